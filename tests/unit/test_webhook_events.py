"""MESSAGE_INBOUND and BATCH_COMPLETED: their builders, who receives them, and their triggers (once per
inbound SMS; once per batch that becomes final, however many writers race)."""

from __future__ import annotations

import threading

import pytest
from messenger.inbound.logic import InboundService
from messenger.inbound.models import InboundSms
from messenger.messages.batch_counts import BatchCountListener
from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Direction,
    Message,
    MessageEvent,
    Provider,
)
from messenger.webhooks.events import Emitter, batch_event, inbound_event, status_event
from messenger.webhooks.models import Webhook, WebhookEvent
from messenger.webhooks.service import Webhooks

from tests.fakes import FixedClock

PHONE, OURS = "+254711000123", "12345"


class Queue:
    def __init__(self, fail: bool = False) -> None:
        self.sent, self.fail = [], fail

    def send(self, body, delay_seconds=0):
        if self.fail:
            raise RuntimeError("SQS is down")
        self.sent.append(body)


class Takes:
    def __init__(self, *types: str) -> None:
        self.types = set(types)

    def takes(self, event_type):
        return event_type in self.types


# -- the builders ------------------------------------------------------------------------------------
def test_an_inbound_event_carries_the_record_and_what_links_it_and_belongs_to_no_client():
    records = Records()
    service = inbound(records, Queue())
    message = records.build(service, "hello there", "p1")
    body = inbound_event(message, keyword=None, proxy_session_id="S-1", link_id="L-9")
    assert (body["kind"], body["eventId"], body["eventType"], body["clientId"]) == (
        "event", f"in_{message.id}", "MESSAGE_INBOUND", None)
    assert body["payload"] == {"type": "message.inbound", "timestamp": "2026-11-23T10:00:00.000Z", "data": {
        "id": message.id, "from": PHONE, "to": OURS, "body": "hello there", "provider": "AFRICASTALKING",
        "receivedAt": "2026-11-23T10:00:00.000Z", "keyword": None, "proxySessionId": "S-1", "linkId": "L-9"}}


def test_a_batch_event_carries_the_final_batch_for_its_client():
    summary = {"id": "B1", "reference": "promo", "status": "COMPLETED", "total": 3,
               "counts": {"DELIVERED": 2, "FAILED": 1}, "badRows": 0, "completedAt": "2026-11-23T10:00:00.000Z",
               "clientId": "shop"}
    body = batch_event(summary)
    assert (body["eventId"], body["eventType"], body["clientId"]) == ("batch_B1", "BATCH_COMPLETED", "shop")
    assert body["payload"] == {"type": "batch.completed", "timestamp": "2026-11-23T10:00:00.000Z", "data": {
        "id": "B1", "reference": "promo", "status": "COMPLETED", "total": 3, "counts": {"DELIVERED": 2, "FAILED": 1},
        "badRows": 0, "completedAt": "2026-11-23T10:00:00.000Z"}}


def test_a_failed_upload_event_counts_its_bad_rows_and_a_bare_summary_gets_the_defaults():
    body = batch_event({"id": "B2", "status": "FAILED", "total": 50, "badRows": 2, "completedAt": "t1"})
    assert body["clientId"] is None
    assert body["payload"]["data"] == {"id": "B2", "reference": None, "status": "FAILED", "total": 50, "counts": {},
                                       "badRows": 2, "completedAt": "t1"}
    assert batch_event({"id": "B3", "status": "FAILED", "total": 1, "completedAt": "t2"})["payload"]["data"]["badRows"] == 0


def _sent(**fields) -> Message:
    base = {"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "to": PHONE, "body": "secret text", "delivery_method": DeliveryMethod.SMS,
            "delivery_status": DeliveryStatus.FAILED, "provider": Provider.SNS, "created_at": "2026-11-23T10:00:00.000Z",
            "updated_at": "2026-11-23T10:00:09.000Z", "reference": "order-1", "failure_reason": "carrier said no",
            "client_id": "shop"}
    return Message(**(base | fields))


def test_a_status_event_is_stamped_by_the_timelines_last_entry_and_numbered_by_its_length():
    message = _sent(events=(MessageEvent(DeliveryStatus.ACCEPTED, "2026-11-23T10:00:01.000Z"),
                            MessageEvent(DeliveryStatus.FAILED, "2026-11-23T10:00:05.000Z", "carrier said no")))
    body = status_event(message)
    assert (body["kind"], body["eventId"], body["eventType"], body["clientId"]) == (
        "event", f"msg_{message.id}_2", "MESSAGE_STATUS", "shop")
    assert body["payload"] == {"type": "message.status", "timestamp": "2026-11-23T10:00:05.000Z", "data": {
        "id": message.id, "reference": "order-1", "to": PHONE, "deliveryMethod": "SMS", "status": "FAILED",
        "failureReason": "carrier said no", "statusAt": "2026-11-23T10:00:05.000Z", "sequence": 2}}
    assert "secret text" not in str(body)


def test_a_status_event_of_a_message_without_timeline_uses_its_update_time_and_sequence_one():
    body = status_event(_sent(client_id=None))
    assert body["eventId"] == "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV_1" and body["clientId"] is None
    assert body["payload"]["timestamp"] == body["payload"]["data"]["statusAt"] == "2026-11-23T10:00:09.000Z"
    assert body["payload"]["data"]["sequence"] == 1


def test_inbound_events_reach_every_subscribed_webhook_batch_events_only_their_clients():
    def hook(client, *events):
        return Webhook("w", "https://h.example.com", tuple(WebhookEvent(e) for e in events), "t", "whsec_x",
                       client_id=client)

    shop, crm = hook("shop", "MESSAGE_INBOUND", "BATCH_COMPLETED"), hook("crm", "MESSAGE_STATUS")
    assert shop.takes("MESSAGE_INBOUND", None) and shop.takes("BATCH_COMPLETED", "shop")
    assert not shop.takes("BATCH_COMPLETED", "crm") and not shop.takes("MESSAGE_STATUS", None)
    assert not crm.takes("MESSAGE_INBOUND", None)  # not subscribed


def test_subscribing_to_inbound_sms_needs_read():
    class Table:
        def all(self):
            return []

        def add(self, webhook):
            self.added = webhook

    service = Webhooks(Table(), allow_loopback=False, grace_seconds=0, resolve=lambda h, p: ["93.184.215.14"])
    args = {"input": {"url": "https://h.example.com/x", "events": ["MESSAGE_STATUS", "MESSAGE_INBOUND"]}}
    with pytest.raises(Exception) as refused:
        service.create(args, "sender-only", reads_history=False)
    assert (refused.value.error_type, refused.value.message) == ("Forbidden", "events: MESSAGE_INBOUND needs scope READ")
    assert service.create(args, "reader", reads_history=True)["events"] == ["MESSAGE_STATUS", "MESSAGE_INBOUND"]
    no_inbound = {"input": {"url": "https://h.example.com/x", "events": ["BATCH_COMPLETED"]}}
    assert service.create(no_inbound, "sender-only", reads_history=False)["events"] == ["BATCH_COMPLETED"]


def test_the_emitter_enqueues_only_taken_types_and_never_raises(monkeypatch):
    from messenger.webhooks import events

    counted = []
    monkeypatch.setattr(events, "count", lambda name, dimension: counted.append((name, dimension)))
    body = batch_event({"id": "B1", "status": "FAILED", "total": 1, "completedAt": "t"})
    queue = Queue()
    assert not Emitter(queue, Takes("MESSAGE_STATUS")).emit(body, "BATCH") and queue.sent == []
    assert Emitter(queue, Takes("BATCH_COMPLETED")).emit(body, "BATCH") and queue.sent == [body]
    assert not Emitter(Queue(fail=True), Takes("BATCH_COMPLETED")).emit(body, "BATCH")
    assert not Emitter(None, Takes("BATCH_COMPLETED")).emit(body, "BATCH")
    assert counted == [("WebhookEnqueueFailed", "BATCH")] * 2


def test_a_failed_enqueue_is_counted_under_its_producers_dimension(monkeypatch):
    from messenger.webhooks import events

    counted = []
    monkeypatch.setattr(events, "count", lambda name, dimension: counted.append((name, dimension)))
    emitter = Emitter(Queue(fail=True), Takes("BATCH_COMPLETED", "MESSAGE_INBOUND"))
    assert emitter.batch_final({"id": "B1", "status": "FAILED", "total": 1, "completedAt": "t"}) is False
    message = _sent(direction=Direction.INBOUND, sender=PHONE, to=OURS, provider=Provider.AFRICASTALKING)
    assert emitter.inbound(message) is False
    assert counted == [("WebhookEnqueueFailed", "BATCH"), ("WebhookEnqueueFailed", "SMS")]


# -- the inbound trigger -----------------------------------------------------------------------------
class Records:
    """The inbound worker's table: a marker per provider id (record_inbound) and its `handled` flag."""

    def __init__(self) -> None:
        self.messages, self.markers = {}, {}
        self.crash_before_handled = False

    def record_inbound(self, message, expires_at):
        key = (message.provider, message.provider_message_id)
        if key in self.markers:
            return self.markers[key][0], True, self.markers[key][1]
        self.markers[key] = (message.id, False)
        self.messages[message.id] = message
        return message.id, False, False

    def mark_handled(self, provider, provider_message_id):
        if self.crash_before_handled:
            self.crash_before_handled = False
            raise RuntimeError("the worker died here")
        key = (provider, provider_message_id)
        self.markers[key] = (self.markers[key][0], True)

    def build(self, service, text, provider_id):
        service.receive(sms(text, provider_id))
        return self.messages[self.markers[(Provider.AFRICASTALKING, provider_id)][0]]


class OptOuts:
    def add(self, suppression):
        return True

    def remove_if_reason(self, recipient, reason):
        return False


class Sessions:
    def relay(self, sms, message_id):
        return "S-7" if sms.recipient == "+254700000999" else None


def sms(text, provider_id, to=OURS):
    return InboundSms(Provider.AFRICASTALKING, provider_id, PHONE, to, text, "2026-11-23T10:00:00.000Z", link_id=None)


def inbound(records, queue, clock=None):
    ids = iter(f"01ID{i:022d}" for i in range(100))
    emitter = Emitter(queue, Takes("MESSAGE_INBOUND"))
    return InboundService(records, OptOuts(), lambda args: None, clock or FixedClock(), lambda at: next(ids), "help",
                          conversations=lambda: Sessions(), events=lambda: emitter)


def test_each_inbound_sms_is_announced_once_a_repeated_callback_not_again():
    records, queue = Records(), Queue()
    service = inbound(records, queue)
    first = service.receive(sms("STOP", "p1"))
    service.receive(sms("STOP", "p1"))  # the provider repeats its callback
    service.receive(sms("hi", "p2", to="+254700000999"))  # relayed in a proxy session
    assert [(e["eventId"], e["payload"]["data"]["keyword"], e["payload"]["data"]["proxySessionId"]) for e in queue.sent] == [
        (f"in_{first.message_id}", "OPT_OUT", None), ("in_01ID0000000000000000000002", None, "S-7")]


def test_a_worker_dying_after_the_event_sends_it_again_with_the_same_id():
    records, queue = Records(), Queue()
    service = inbound(records, queue)
    records.crash_before_handled = True
    with pytest.raises(RuntimeError):
        service.receive(sms("hello", "p1"))
    service.receive(sms("hello", "p1"))  # SQS delivers it again: not handled yet, acted on again
    service.receive(sms("hello", "p1"))  # now handled: nothing
    assert [e["eventId"] for e in queue.sent] == ["in_01ID0000000000000000000000"] * 2
    assert queue.sent[0] == queue.sent[1]  # receivers deduplicate on webhook-id


def test_a_failing_webhooks_queue_never_fails_the_inbound_record():
    records = Records()
    received = inbound(records, Queue(fail=True)).receive(sms("hello", "p1"))
    assert not received.duplicate and records.markers[(Provider.AFRICASTALKING, "p1")][1]  # recorded and handled


# -- the batch trigger: the conditional write that makes the batch final -------------------------------
class Counters:
    """A batch item whose counts already add up: every racing writer sees `all_final` and tries to complete
    it; the conditional write lets exactly one through (messages.dal.complete_batch's contract)."""

    def __init__(self) -> None:
        self.status, self.lock, self.attempts = "SENDING", threading.Lock(), 0

    def count_batch_move(self, batch_id, old, new):
        return {"total": 2, "DELIVERED": 2, "sending": 1}

    def complete_batch(self, batch_id, now):
        with self.lock:
            self.attempts += 1
            if self.status != "SENDING":
                return None
            self.status = "COMPLETED"
        return {"id": batch_id, "status": "COMPLETED", "total": 2, "counts": {"DELIVERED": 2}, "completedAt": now,
                "clientId": "shop"}


def test_racing_status_writers_announce_a_batch_once():
    counters, announced = Counters(), []
    listener = BatchCountListener(counters, FixedClock(), on_final=announced.append)
    at = "2026-11-23T10:00:00.000Z"
    last = Message(id="01G8NBDZ6YMH5SCEQ1BGR3QTWG", to=PHONE, body="b", delivery_method=DeliveryMethod.SMS,
                   delivery_status=DeliveryStatus.DELIVERED, provider=Provider.SNS, created_at=at, updated_at=at,
                   events=(MessageEvent(DeliveryStatus.ACCEPTED, at), MessageEvent(DeliveryStatus.DELIVERED, at)),
                   batch_id="B1")
    threads = [threading.Thread(target=listener.moved, args=(last,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counters.attempts == 4 and [s["id"] for s in announced] == ["B1"]


# -- an erased recipient's events are not sent ------------------------------------------------------------
def test_copies_naming_a_message_no_longer_recorded_are_dropped_unsent():
    from messenger.webhooks import signing
    from messenger.webhooks.delivery import Deliverer
    from messenger.webhooks.models import Delivery, Outcome

    from tests.unit.test_webhooks import FakeQueue, FakeTable

    hook = Webhook("w1", "https://h.example.com/x", tuple(WebhookEvent), "t", signing.new_secret())
    table, queue, posts, asked = FakeTable(hook), FakeQueue(), [], []
    recorded = {("+254711000001", "M-kept"), (PHONE, "I-kept")}

    def still_recorded(party, message_id):
        asked.append((party, message_id))
        return (party, message_id) in recorded

    deliverer = Deliverer(table, queue, lambda *a: posts.append(a) or Outcome(http_status=200), schedule=[5],
                          allow_loopback=False, timeout_seconds=5, disable_after_seconds=86_400,
                          resolve=lambda h, p: ["93.184.215.14"], still_recorded=still_recorded)

    def attempt(event_type, data):
        return deliverer.attempt(Delivery("w1", f"e-{data.get('id')}", event_type, {"data": data}))

    assert attempt("MESSAGE_STATUS", {"id": "M-kept", "to": "+254711000001"}).delivered
    assert attempt("MESSAGE_STATUS", {"id": "M-gone", "to": "+254711000002"}) is None
    assert attempt("MESSAGE_INBOUND", {"id": "I-kept", "from": PHONE, "to": OURS}).delivered
    assert attempt("MESSAGE_INBOUND", {"id": "I-gone", "from": PHONE, "to": OURS}) is None
    assert attempt("BATCH_COMPLETED", {"id": "B1", "status": "COMPLETED"}).delivered  # names no recipient
    assert len(posts) == 3 and queue.sent == [] and queue.parked == []  # dropped: neither retried nor parked
    assert [(a.event_id, a.error, a.delivered) for a in table.records if not a.delivered] == [
        ("e-M-gone", "RecipientErased", False), ("e-I-gone", "RecipientErased", False)]
    assert asked == [("+254711000001", "M-kept"), ("+254711000002", "M-gone"), (PHONE, "I-kept"), (PHONE, "I-gone")]

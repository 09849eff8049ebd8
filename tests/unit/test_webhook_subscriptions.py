"""Which event types a status writer enqueues: the cached subscriptions answer, the listener, and the
subscriptions item the table keeps beside the webhooks (create, disable after failing, enable, delete)."""

from __future__ import annotations

import boto3
import pytest

from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, MessageEvent, Provider
from messenger.webhooks.delivery import Deliverer
from messenger.webhooks.listener import WebhookListener
from messenger.webhooks.models import Delivery, Outcome
from messenger.webhooks.service import Webhooks
from messenger.webhooks.subscriptions import Subscriptions
from tests.support import moto_service

STATUS = "MESSAGE_STATUS"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Reader:
    def __init__(self, answers) -> None:
        self.answers, self.reads = list(answers), 0

    def __call__(self):
        self.reads += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_answer_is_read_at_most_once_per_period_and_forgotten_on_invalidate():
    clock, read = Clock(), Reader([frozenset(), frozenset({STATUS}), frozenset(), frozenset({STATUS})])
    cache = Subscriptions(read, ttl_seconds=30, now=clock)
    assert [cache.takes(STATUS) for _ in range(5)] == [False] * 5 and read.reads == 1
    clock.t += 29.9
    assert not cache.takes(STATUS) and read.reads == 1
    clock.t += 0.1  # the period is over: a webhook created elsewhere is seen now
    assert cache.takes(STATUS) and read.reads == 2
    cache.invalidate()  # a webhook created, enabled or deleted by this instance
    assert not cache.takes(STATUS) and read.reads == 3
    assert not cache.takes("BATCH_COMPLETED")


def test_a_failed_read_counts_as_subscribed_and_is_not_cached():
    read = Reader([RuntimeError("table down"), frozenset()])
    cache = Subscriptions(read, ttl_seconds=30, now=Clock())
    assert cache.takes(STATUS)  # an SQS message too many rather than an event lost
    assert not cache.takes(STATUS) and read.reads == 2


def test_after_a_failed_read_the_next_event_reads_again_even_within_the_period():
    clock, read = Clock(), Reader([frozenset(), RuntimeError("table down"), frozenset({STATUS})])
    cache = Subscriptions(read, ttl_seconds=30, now=clock)
    assert not cache.takes(STATUS)
    cache.invalidate()
    clock.t += 1
    assert cache.takes(STATUS) and read.reads == 2  # unknown: enqueued
    clock.t += 1
    assert cache.takes(STATUS) and read.reads == 3  # a webhook was created meanwhile: seen at once


def test_the_first_event_reads_the_answer_whatever_the_clock_says():
    clock, read = Clock(), Reader([frozenset({STATUS})])
    clock.t = 5.0  # a monotonic clock may start near zero, within one period of it
    assert Subscriptions(read, ttl_seconds=30, now=clock).takes(STATUS) and read.reads == 1


def test_a_zero_period_reads_every_time():
    read = Reader([frozenset()] * 3)
    cache = Subscriptions(read, ttl_seconds=0, now=Clock())
    for _ in range(3):
        cache.takes(STATUS)
    assert read.reads == 3


class Queue:
    def __init__(self, fail: bool = False) -> None:
        self.sent, self.fail = [], fail

    def send(self, body, delay_seconds=0):
        if self.fail:
            raise RuntimeError("queue down")
        self.sent.append(body)


class Answer:
    def __init__(self, yes: bool) -> None:
        self.yes, self.asked = yes, 0

    def takes(self, event_type):
        self.asked += 1
        return self.yes


def message(events: int = 2) -> Message:
    at = "2026-01-01T00:00:00.000Z"
    timeline = tuple(MessageEvent(status=s, at=at) for s in (DeliveryStatus.PENDING, DeliveryStatus.ACCEPTED)[:events])
    return Message(id="01G8NBDZ6YMH5SCEQ1BGR3QTWG", to="jane@example.com", body="b", delivery_method=DeliveryMethod.EMAIL,
                   delivery_status=DeliveryStatus.ACCEPTED, provider=Provider.SES, created_at=at, updated_at=at,
                   events=timeline)


def test_the_listener_enqueues_only_when_a_webhook_takes_status_events_and_never_raises(monkeypatch):
    from messenger.webhooks import events as listener

    counted = []
    monkeypatch.setattr(listener, "count", lambda name, channel: counted.append((name, channel)))
    queue = Queue()
    assert not WebhookListener(queue, Answer(False)).enqueue(message()) and queue.sent == []
    assert WebhookListener(queue, Answer(True)).enqueue(message())
    [event] = queue.sent
    assert event["eventId"] == "msg_01G8NBDZ6YMH5SCEQ1BGR3QTWG_2" and event["payload"]["data"]["sequence"] == 2
    assert not WebhookListener(Queue(fail=True), Answer(True)).enqueue(message())  # logged and counted
    assert not WebhookListener(None, Answer(True)).enqueue(message())  # no queue URL: the same
    assert counted == [("WebhookEnqueueFailed", "EMAIL/SES")] * 2


@pytest.fixture
def world():
    with moto_service() as resources:
        from messenger.webhooks.dal import WebhooksTable

        table = WebhooksTable(boto3.client("dynamodb"), resources.table_name)
        clock = Clock()
        changes = []
        service = Webhooks(table, allow_loopback=False, grace_seconds=0, now=clock,
                           on_change=lambda: changes.append(1), resolve=lambda host, port: ["93.184.215.14"])
        yield table, service, clock, changes


def create(service) -> dict:
    return service.create({"input": {"url": "https://hooks.example.com/h", "events": [STATUS]}})


def test_the_subscriptions_item_follows_create_and_delete_and_each_change_forgets_the_cache(world):
    table, service, _, changes = world
    assert table.subscribed_event_types() == frozenset()
    first, second = create(service), create(service)
    assert table.subscribed_event_types() == {STATUS} and len(changes) == 2
    assert service.delete({"id": first["id"]}) and table.subscribed_event_types() == {STATUS}
    assert service.delete({"id": second["id"]}) and table.subscribed_event_types() == frozenset()
    assert len(changes) == 4


def test_a_webhook_failing_for_24_hours_is_disabled_shown_in_get_webhooks_and_leaves_the_subscriptions(world):
    table, service, clock, _ = world
    created = create(service)
    deliverer = Deliverer(table, Queue(), lambda *args: Outcome(http_status=503), schedule=[5] * 10,
                          allow_loopback=False, timeout_seconds=5, disable_after_seconds=86_400, now=clock,
                          resolve=lambda host, port: ["93.184.215.14"])
    copy = Delivery(created["id"], "msg_x_1", STATUS, {"a": 1})
    deliverer.attempt(copy)
    clock.t += 86_399  # failing for just under a day
    deliverer.attempt(copy)
    [shown] = service.list()
    assert shown["failingSince"] and not shown["disabled"] and table.subscribed_event_types() == {STATUS}
    clock.t += 2
    deliverer.attempt(copy)
    [shown] = service.list()  # what getWebhooks returns
    assert shown["disabled"] and shown["disabledAt"] and "secret" not in shown
    assert table.subscribed_event_types() == frozenset()  # status writers stop enqueueing for it
    enabled = service.enable({"id": created["id"]})
    assert not enabled["disabled"] and enabled["failingSince"] is None
    assert table.subscribed_event_types() == {STATUS}
    assert not service.list()[0]["disabled"]


def test_the_worker_sees_whether_an_events_message_is_still_recorded(world):
    from messenger.messages.dal import to_item

    table, *_ = world
    db, name = boto3.client("dynamodb"), table._table
    recorded = message()
    db.put_item(TableName=name, Item=to_item(recorded))
    assert table.message_recorded(recorded.to, recorded.id)
    assert not table.message_recorded("someone@example.com", recorded.id)
    db.delete_item(TableName=name, Key={"PK": {"S": f"MESSAGE#{recorded.to}"}, "SK": {"S": f"MESSAGE#{recorded.id}"}})
    assert not table.message_recorded(recorded.to, recorded.id)  # as eraseRecipient leaves it

"""The sweeper closes what stayed open past its bound, finds it through the sparse index, and leaves
everything else alone."""

import boto3
import pytest
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.settings import settings
from messenger.messages.models import DeliveryStatus, Provider
from messenger.messages.status import StatusWriter
from messenger.sending.service import MessageService
from messenger.sweeper.dal import OpenMessages
from messenger.sweeper.logic import sweep

from tests.fakes import FakeChannel, FakeQueue, permanent
from tests.support import moto_service


class LaterClock(SystemClock):
    """The sweeper's view from `hours` in the future."""

    def __init__(self, hours: float) -> None:
        self._offset = int(hours * 3600)

    def ago(self, seconds: int) -> str:
        return super().ago(seconds - self._offset)


@pytest.fixture
def world():
    with moto_service() as resources:
        table = OpenMessages(boto3.client("dynamodb"), resources.table_name)
        dead = FakeChannel("ses", on_send=lambda m: (_ for _ in ()).throw(SystemExit))  # the API call dies
        yield table, resources, dead


def service(table, ses=None):
    from messenger.sending.dal import SendingTable

    sending = SendingTable(table._db, table._table)
    channels = {Provider.SES: ses or FakeChannel("ses"), Provider.SNS: FakeChannel("sns")}
    return MessageService(sending, channels, FakeQueue(), settings(), SystemClock(), new_message_id)


def email(to="user@example.com"):
    return {"to": to, "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}


def run(table, hours):
    clock = LaterClock(hours)
    return sweep(table, StatusWriter(table, clock), clock, receipt_timeout_hours=72)


def test_a_pending_message_left_by_a_crashed_call_ends_failed_after_two_minutes(world):
    table, _, dead = world
    with pytest.raises(SystemExit):
        service(table, ses=dead).send(email())
    [(to, message_id)] = [(m.to, m.id) for m in table.older_than(DeliveryStatus.PENDING, LaterClock(1).ago(0), 10)]
    assert run(table, hours=1 / 60) == {}  # one minute later: still within its bound
    assert run(table, hours=0.05) == {"EMAIL/SES": 1}
    stored = table.get(to, message_id)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, "Interrupted (may have been sent)")
    assert stored.completed_at and stored.events[-1].detail == "Interrupted (may have been sent)"


def test_an_accepted_message_without_receipt_ends_unconfirmed_after_the_configured_hours(world):
    table, _, _ = world
    sent = service(table).send(email())
    assert run(table, hours=71) == {}
    assert run(table, hours=73) == {"EMAIL/SES": 1}
    stored = table.get(sent.to, sent.id)
    assert stored.delivery_status is DeliveryStatus.UNCONFIRMED
    assert stored.events[-1].detail == "No receipt within 72 h: it may have arrived"
    assert run(table, hours=200) == {}  # final: out of the index, never closed twice


def test_final_messages_are_not_in_the_open_index(world):
    table, _, _ = world
    failed = service(table, ses=FakeChannel("ses", failures=[permanent()])).send(email())
    assert failed.delivery_status is DeliveryStatus.FAILED
    for status in (DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.ACCEPTED):
        assert list(table.older_than(status, LaterClock(1000).ago(0), 10)) == []


def test_a_queued_message_whose_job_was_lost_ends_failed_after_six_hours(world):
    table, _, _ = world
    queued = service(table).send({"to": "+254711000001", "body": "Hi", "deliveryMethod": "SMS"})  # no worker
    assert queued.delivery_status is DeliveryStatus.QUEUED
    assert run(table, hours=5) == {}
    assert run(table, hours=7) == {"SMS/AFRICASTALKING": 1}
    stored = table.get(queued.to, queued.id)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, "Expired in queue (may have been sent)")


class AgoClock:
    def ago(self, seconds: int) -> str:
        return f"{seconds} s ago"


class Open:
    """Open messages by status; remembers each question's cut-off."""

    def __init__(self, by_status) -> None:
        self.by_status, self.asked = by_status, []

    def older_than(self, status, before, limit):
        self.asked.append((status, before))
        return list(self.by_status.get(status, []))

    def scheduled_before(self, before, limit):
        self.asked.append(("sendAt", before))
        return list(self.by_status.get(DeliveryStatus.SCHEDULED, []))


class Writer:
    """Moves every message but those that moved on their own meanwhile."""

    def __init__(self, moved_meanwhile=()) -> None:
        self.moved_meanwhile, self.moves = set(moved_meanwhile), []

    def move(self, message, target, detail, failure_reason):
        from messenger.core.errors import StatusConflict

        if message.id in self.moved_meanwhile:
            raise StatusConflict("moved")
        self.moves.append((message.id, target, detail, failure_reason))


def _open(message_id, status, method="EMAIL", provider=Provider.SES):
    from messenger.messages.models import DeliveryMethod, Message

    return Message(message_id, "user@example.com", "b", DeliveryMethod(method), status, provider, "t", "t")


def test_each_status_is_swept_from_its_own_bound():
    from messenger.sweeper.logic import STUCK_PENDING_SECONDS, STUCK_QUEUED_SECONDS

    messages = Open({})
    sweep(messages, Writer(), AgoClock(), receipt_timeout_hours=5)
    assert messages.asked == [(DeliveryStatus.PENDING, f"{STUCK_PENDING_SECONDS} s ago"),
                              (DeliveryStatus.QUEUED, f"{STUCK_QUEUED_SECONDS} s ago"),
                              (DeliveryStatus.ACCEPTED, "18000 s ago"),
                              ("sendAt", f"{STUCK_QUEUED_SECONDS} s ago")]
    assert (STUCK_PENDING_SECONDS, STUCK_QUEUED_SECONDS) == (120, 6 * 3600)


def test_a_message_that_moved_meanwhile_is_skipped_and_the_rest_are_closed_and_counted():
    accepted = [_open(f"a{n}", DeliveryStatus.ACCEPTED) for n in range(3)]
    queued = [_open("q1", DeliveryStatus.QUEUED, "SMS", Provider.AFRICASTALKING)]
    scheduled = [_open("s1", DeliveryStatus.SCHEDULED, "SMS", Provider.SNS)]
    writer = Writer(moved_meanwhile={"a0"})
    closed = sweep(Open({DeliveryStatus.ACCEPTED: accepted, DeliveryStatus.QUEUED: queued,
                         DeliveryStatus.SCHEDULED: scheduled}), writer, AgoClock(), 72)
    assert closed == {"EMAIL/SES": 2, "SMS/AFRICASTALKING": 1, "SMS/SNS": 1}
    assert writer.moves == [
        ("q1", DeliveryStatus.FAILED, "Expired in queue (may have been sent)", "Expired in queue (may have been sent)"),
        ("a1", DeliveryStatus.UNCONFIRMED, "No receipt within 72 h: it may have arrived", None),
        ("a2", DeliveryStatus.UNCONFIRMED, "No receipt within 72 h: it may have arrived", None),
        ("s1", DeliveryStatus.FAILED, "Schedule lost (not sent)", "Schedule lost (not sent)")]


# -- SCHEDULED past its sendAt ------------------------------------------------------------------------
def _scheduled(table, send_at: str, **extra) -> "Message":
    """A SCHEDULED record as sendMessage writes it, whose schedule was never made."""
    from messenger.messages.models import DeliveryMethod, Message, MessageEvent
    from messenger.sending.dal import SendingTable

    now = SystemClock().now()
    message = Message(new_message_id(now), "+14155550123", "b", DeliveryMethod.SMS, DeliveryStatus.SCHEDULED,
                      Provider.SNS, now, now, events=(MessageEvent(DeliveryStatus.SCHEDULED, now),),
                      send_at=send_at, **extra)
    SendingTable(table._db, table._table).create(message)
    return message


def test_a_scheduled_message_whose_schedule_never_came_ends_failed_six_hours_after_its_send_at(world):
    table, _, _ = world
    lost = _scheduled(table, send_at=LaterClock(1).ago(0))  # sendAt one hour from now
    later = _scheduled(table, send_at=LaterClock(30 * 24).ago(0))  # in 30 days: not due for a long time
    assert run(table, hours=6.9) == {}  # 5.9 h past its sendAt
    assert run(table, hours=7.1) == {"SMS/SNS": 1}
    stored = table.get(lost.to, lost.id)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, "Schedule lost (not sent)")
    assert stored.events[-1].detail == "Schedule lost (not sent)" and stored.completed_at
    assert table.get(later.to, later.id).delivery_status is DeliveryStatus.SCHEDULED


def test_a_batch_record_is_left_to_its_batch(world):
    table, _, _ = world
    member = _scheduled(table, send_at=LaterClock(0.5).ago(0), batch_id="b-1")
    assert run(table, hours=8) == {}
    assert table.get(member.to, member.id).delivery_status is DeliveryStatus.SCHEDULED


def test_scheduled_records_written_early_and_due_late_are_read_past_up_to_a_bound(world, monkeypatch):
    """The index sorts by the time a record was written: records due later but written earlier come first,
    and are read past page by page, at most SCHEDULED_PAGES pages a shard a run."""
    from messenger.messages import records
    from messenger.sweeper import dal

    table, _, _ = world
    monkeypatch.setattr(records, "OPEN_SHARDS", 1)  # every record in one index partition, as written
    monkeypatch.setattr(dal, "OPEN_SHARDS", 1)
    for _ in range(5):
        _scheduled(table, send_at=LaterClock(20 * 24).ago(0))
    lost = _scheduled(table, send_at=LaterClock(0.5).ago(0))
    cut_off = LaterClock(7).ago(0)
    assert [m.id for m in table.scheduled_before(cut_off, limit=1)] == [lost.id]  # the 6th page of one item
    monkeypatch.setattr(dal, "SCHEDULED_PAGES", 5)
    assert list(table.scheduled_before(cut_off, limit=1)) == []  # the bound: a later run, or fewer before it
    assert [m.id for m in table.scheduled_before(cut_off, limit=6)] == [lost.id]  # a page of six
    second = _scheduled(table, send_at=LaterClock(0.5).ago(0))
    monkeypatch.setattr(dal, "SCHEDULED_PAGES", 10)
    assert [m.id for m in table.scheduled_before(cut_off, limit=1)] == [lost.id]  # `limit` found: no more pages
    assert [m.id for m in table.scheduled_before(cut_off, limit=7)] == [lost.id, second.id]

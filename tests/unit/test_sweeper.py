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
                              (DeliveryStatus.ACCEPTED, "18000 s ago")]
    assert (STUCK_PENDING_SECONDS, STUCK_QUEUED_SECONDS) == (120, 6 * 3600)


def test_a_message_that_moved_meanwhile_is_skipped_and_the_rest_are_closed_and_counted():
    accepted = [_open(f"a{n}", DeliveryStatus.ACCEPTED) for n in range(3)]
    queued = [_open("q1", DeliveryStatus.QUEUED, "SMS", Provider.AFRICASTALKING)]
    writer = Writer(moved_meanwhile={"a0"})
    closed = sweep(Open({DeliveryStatus.ACCEPTED: accepted, DeliveryStatus.QUEUED: queued}), writer, AgoClock(), 72)
    assert closed == {"EMAIL/SES": 2, "SMS/AFRICASTALKING": 1}
    assert writer.moves == [
        ("q1", DeliveryStatus.FAILED, "Expired in queue (may have been sent)", "Expired in queue (may have been sent)"),
        ("a1", DeliveryStatus.UNCONFIRMED, "No receipt within 72 h: it may have arrived", None),
        ("a2", DeliveryStatus.UNCONFIRMED, "No receipt within 72 h: it may have arrived", None)]

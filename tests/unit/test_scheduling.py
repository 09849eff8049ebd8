"""Scheduled sends: sendAt, one schedule per message, the worker's release of a due message, cancelMessage."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import boto3
import pytest
from messenger.adapters.queue import job_body
from messenger.adapters.scheduler import EventBridgeScheduler
from messenger.core.clock import new_message_id
from messenger.core.errors import BadRequest
from messenger.core.settings import settings
from messenger.messages.models import DeliveryStatus, Provider
from messenger.scheduling.logic import Schedules
from messenger.scheduling.models import OneTimeSchedule, ScheduleTarget
from messenger.scheduling.service import ScheduledSends, schedule_name
from messenger.scheduling.validation import parse_send_at, schedule_time
from messenger.sending.dal import SendingTable
from messenger.sending.dispatcher import Dispatcher, Job
from messenger.sending.service import MessageService

from tests.fakes import FakeChannel, FakeQueue, FixedClock, MemoryRepository
from tests.support import moto_service
from tests.unit.test_retry_behaviour import queued

NOW = "2026-11-23T12:00:00.000Z"
TARGET = ScheduleTarget("dev-messaging-sends", "arn:aws:sqs:us-east-1:123456789012:outbound",
                        "arn:aws:iam::123456789012:role/scheduler")  # fmt: skip


class FakeScheduler:
    """The OneTimeScheduler port in memory, with Scheduler's rule that a name exists once per group."""

    def __init__(self, broken: bool = False) -> None:
        self.schedules: dict[str, OneTimeSchedule] = {}
        self.deleted: list[str] = []
        self._broken = broken

    def create(self, target, schedule) -> bool:
        if self._broken:
            raise ConnectionError("scheduler down")
        if schedule.name in self.schedules:
            return False
        self.schedules[schedule.name] = schedule
        return True

    def delete(self, target, name) -> bool:
        self.deleted.append(name)
        return self.schedules.pop(name, None) is not None


# -- sendAt ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    (None, None),
    ("2026-11-23T12:00:05Z", "2026-11-23T12:00:05.000Z"),
    ("2026-11-23T15:30:00+03:00", "2026-11-23T12:30:00.000Z"),  # any offset, stored as UTC
    ("2026-12-28T12:00:00.000Z", "2026-12-28T12:00:00.000Z"),  # exactly 35 days ahead
])
def test_send_at_is_a_future_moment_within_35_days(value, expected):
    assert parse_send_at(value, NOW) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("2026-11-23T11:59:59Z", "is in the past"),
    ("2026-11-23T12:00:00Z", "is in the past"),  # now is not the future
    ("2026-12-28T12:00:00.001Z", "is more than 35 days ahead"),
    ("2026-11-24T12:00:00", "needs a time zone (Z or an offset such as +03:00)"),
    ("tomorrow", "must be an AWSDateTime such as 2026-12-01T09:00:00Z"),
    (1764000000, "must be an AWSDateTime such as 2026-12-01T09:00:00Z"),
])
def test_send_at_in_the_past_too_far_or_unreadable_is_a_bad_request(value, problem):
    with pytest.raises(BadRequest) as raised:
        parse_send_at(value, NOW)
    assert (raised.value.field, str(raised.value)) == ("sendAt", f"sendAt: {problem}")
    with pytest.raises(BadRequest) as raised:
        parse_send_at(value, NOW, "input.sendAt")
    assert str(raised.value) == f"input.sendAt: {problem}"


def test_the_schedule_time_is_utc_seconds_never_earlier_than_send_at():
    assert schedule_time("2026-11-23T12:00:05.000Z") == "2026-11-23T12:00:05"
    assert schedule_time("2026-11-23T12:00:05.001Z") == "2026-11-23T12:00:06"


def test_the_schedule_time_is_utc_whatever_the_offset_given_and_the_hosts_time_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert schedule_time("2026-11-23T14:00:05.000+02:00") == "2026-11-23T12:00:05"
        assert schedule_time("2026-11-23T12:00:05.000Z") == "2026-11-23T12:00:05"
    finally:
        monkeypatch.undo()
        time.tzset()


# -- sendMessage with sendAt ---------------------------------------------------------------------
@pytest.fixture
def resources():
    with moto_service() as created:
        yield created


def scheduling_service(resources, scheduler):
    table = SendingTable(boto3.client("dynamodb"), resources.table_name)
    sends = ScheduledSends(table, lambda: Schedules(scheduler, TARGET), FixedClock(NOW), job_body)
    ses = FakeChannel("ses")
    service = MessageService(table, {Provider.SES: ses, Provider.SNS: FakeChannel("sns")}, FakeQueue(), settings(),
                             FixedClock(NOW), new_message_id, scheduler=lambda: sends)  # fmt: skip
    return service, sends, table, ses


EMAIL = {"to": "later@example.com", "body": "Hello", "deliveryMethod": "EMAIL", "subject": "Hi"}


def test_a_send_with_send_at_is_recorded_scheduled_with_one_schedule_and_not_sent(resources):
    scheduler = FakeScheduler()
    service, _, table, ses = scheduling_service(resources, scheduler)
    message = service.send({**EMAIL, "sendAt": "2026-11-24T09:00:00.250Z"})
    stored = table.get(message.to, message.id)
    assert stored.delivery_status is DeliveryStatus.SCHEDULED and stored.send_at == "2026-11-24T09:00:00.250Z"
    assert [e.status for e in stored.events] == [DeliveryStatus.SCHEDULED]
    assert ses.sent == []
    [schedule] = scheduler.schedules.values()
    assert schedule == OneTimeSchedule(schedule_name(message.id), "2026-11-24T09:00:01", job_body(message))
    assert message.to_graphql()["sendAt"] == "2026-11-24T09:00:00.250Z"


def test_a_schedule_that_cannot_be_made_fails_the_message_instead_of_leaving_it_waiting(resources):
    service, _, table, _ = scheduling_service(resources, FakeScheduler(broken=True))
    message = service.send({**EMAIL, "sendAt": "2026-11-24T09:00:00Z"})
    stored = table.get(message.to, message.id)
    assert stored.delivery_status is DeliveryStatus.FAILED and stored.failure_reason == "ScheduleUnavailable"


def test_a_bad_send_at_writes_nothing(resources):
    from tests.support import table_items

    service, _, _, _ = scheduling_service(resources, FakeScheduler())
    with pytest.raises(BadRequest):
        service.send({**EMAIL, "sendAt": "2026-11-22T09:00:00Z"})
    assert table_items(resources.table_name) == []


def test_without_schedules_configured_send_at_is_a_bad_request():
    from messenger.core.settings import Settings

    limits = Settings({"SENDER_EMAIL": '"no-reply@example.com"', "ALLOWED_FROM_ADDRESSES": "[]",
                       "MAX_EMAIL_BODY_BYTES": "1000", "MAX_SUBJECT_CHARS": "100"})  # fmt: skip
    service = MessageService(MemoryRepository(), {}, FakeQueue(), limits, FixedClock(NOW), new_message_id)
    with pytest.raises(BadRequest) as raised:
        service.send({**EMAIL, "sendAt": "2026-11-24T09:00:00Z"})
    assert str(raised.value) == "sendAt: scheduled sends are not available here"


def test_a_test_key_cannot_schedule_a_send(resources):
    from messenger.core.caller import Caller

    scheduler = FakeScheduler()
    service, _, table, ses = scheduling_service(resources, scheduler)
    with pytest.raises(BadRequest) as raised:
        service.send({**EMAIL, "sendAt": "2026-11-24T09:00:00Z"}, Caller("tester", frozenset({"SEND", "TEST"}), True))
    assert str(raised.value) == "sendAt: scheduled sends are not available with a TEST key"
    assert scheduler.schedules == {} and ses.sent == []


# -- the worker and cancelMessage ------------------------------------------------------------------
def scheduled(id_="01KAAAAAAAAAAAAAAAAAAAAAAA", provider=Provider.SNS):
    return dataclasses.replace(queued(id_, provider), delivery_status=DeliveryStatus.SCHEDULED,
                               send_at="2026-11-23T12:00:00.000Z")  # fmt: skip


def dispatcher(repository, sns):
    return Dispatcher(repository, {Provider.SNS: _OneByOne(sns)}, FakeQueue(), FixedClock(NOW), max_receive_count=3,
                      retry_base_seconds=10, claim_lease_seconds=30)  # fmt: skip


def _OneByOne(channel):
    from messenger.sending.providers.base import OneByOne

    return OneByOne(channel)


def job(message):
    return Job(f"sqs-{message.id}", f"rh-{message.id}", message.to, message.id, 1)


def test_a_due_scheduled_message_is_released_to_queued_then_sent_once():
    repository, sns = MemoryRepository(), FakeChannel("sns")
    message = repository.add(scheduled())
    report = dispatcher(repository, sns).process([job(message), job(message)])  # a duplicated job too
    stored = repository.records[(message.to, message.id)]
    assert [m.id for m in sns.sent] == [message.id] and report.accepted == 1
    assert [e.status for e in stored.events] == [DeliveryStatus.QUEUED, DeliveryStatus.ACCEPTED]
    assert stored.events[0].detail == "sendAt reached" and stored.delivery_status is DeliveryStatus.ACCEPTED


def test_a_job_for_a_message_already_sent_is_acknowledged_after_one_claim_attempt():
    repository, sns = MemoryRepository(), FakeChannel("sns")
    message = repository.add(dataclasses.replace(scheduled(), delivery_status=DeliveryStatus.ACCEPTED))
    report = dispatcher(repository, sns).process([job(message)])
    assert (sns.sent, report.skipped, repository.calls) == ([], 1, ["claim"])


def test_a_message_another_copy_of_its_job_released_and_then_dropped_is_still_sent():
    class ReleasedByAnotherCopy(MemoryRepository):
        """The first claim sees SCHEDULED; meanwhile another copy of the job released it and died."""

        def claim(self, recipient, message_id, token, now, stale_before):
            answer = super().claim(recipient, message_id, token, now, stale_before)
            if self.calls.count("claim") == 1:
                key = (recipient, message_id)
                self.records[key] = dataclasses.replace(self.records[key], delivery_status=DeliveryStatus.QUEUED)
            return answer

    repository, sns = ReleasedByAnotherCopy(), FakeChannel("sns")
    message = repository.add(scheduled())
    report = dispatcher(repository, sns).process([job(message)])
    assert [m.id for m in sns.sent] == [message.id] and report.accepted == 1


def test_a_cancelled_message_whose_schedule_fires_anyway_is_never_sent():
    repository, sns = MemoryRepository(), FakeChannel("sns")
    message = repository.add(scheduled())
    sends = ScheduledSends(repository, lambda: Schedules(FakeScheduler(), TARGET), FixedClock(NOW), job_body)
    sends.cancel(message.id)
    report = dispatcher(repository, sns).process([job(message)])
    assert sns.sent == [] and report.skipped == 1 and report.retry == set()
    assert repository.records[(message.to, message.id)].delivery_status is DeliveryStatus.CANCELLED


def test_cancel_moves_a_scheduled_message_to_cancelled_and_deletes_its_schedule():
    repository, scheduler = MemoryRepository(), FakeScheduler()
    message = repository.add(scheduled())
    scheduler.create(TARGET, OneTimeSchedule(schedule_name(message.id), "2026-11-24T09:00:00", "{}"))
    moved = []
    sends = ScheduledSends(repository, lambda: Schedules(scheduler, TARGET), FixedClock(NOW), job_body,
                           listeners=[SimpleNamespace(moved=moved.append, recorded=lambda m: None)])
    cancelled = sends.cancel(f"MESSAGE#{message.id}")
    assert cancelled.delivery_status is DeliveryStatus.CANCELLED and cancelled.completed_at == NOW
    assert (cancelled.events[-1].status, cancelled.events[-1].at, cancelled.events[-1].detail) == (
        DeliveryStatus.CANCELLED, NOW, "Cancelled")
    assert [m.delivery_status for m in moved] == [DeliveryStatus.CANCELLED]  # subscriptions, webhooks, metrics
    assert scheduler.schedules == {} and scheduler.deleted == [schedule_name(message.id)]


def test_a_cancel_reads_the_record_itself_not_the_lagging_index_copy():
    class LaggingIndex(MemoryRepository):
        def get_by_id(self, message_id):
            return self.stale

    repository = LaggingIndex()
    message = repository.add(scheduled())
    repository.stale = message  # the index still says SCHEDULED
    repository.records[(message.to, message.id)] = dataclasses.replace(message, delivery_status=DeliveryStatus.CANCELLED)
    sends = ScheduledSends(repository, lambda: Schedules(FakeScheduler(), TARGET), FixedClock(NOW), job_body)
    with pytest.raises(BadRequest) as refused:
        sends.cancel(message.id)
    assert str(refused.value) == "id: the message is CANCELLED: only a message not yet sent can be cancelled"


def test_an_id_that_cannot_be_a_message_id_is_not_looked_up_for_a_cancel():
    class NoLookups(MemoryRepository):
        def get_by_id(self, message_id):
            raise AssertionError(f"looked up {message_id!r}")

    sends = ScheduledSends(NoLookups(), lambda: Schedules(FakeScheduler(), TARGET), FixedClock(NOW), job_body)
    for raw in ("not-an-id", None, ""):
        with pytest.raises(BadRequest, match="^id: no message has this id$"):
            sends.cancel(raw)


def test_a_queued_message_no_attempt_holds_can_be_cancelled_one_being_sent_cannot():
    repository = MemoryRepository()
    free, busy = repository.add(queued("01KAAAAAAAAAAAAAAAAAAAAAA1")), repository.add(queued("01KAAAAAAAAAAAAAAAAAAAAAA2"))
    repository.claim(busy.to, busy.id, "token", NOW, "2026-11-23T11:00:00.000Z")
    sends = ScheduledSends(repository, lambda: Schedules(FakeScheduler(), TARGET), FixedClock(NOW), job_body)
    assert sends.cancel(free.id).delivery_status is DeliveryStatus.CANCELLED
    with pytest.raises(BadRequest) as refused:
        sends.cancel(busy.id)
    assert str(refused.value) == "id: the message is being sent or was sent: it can no longer be cancelled"
    assert repository.records[(busy.to, busy.id)].delivery_status is DeliveryStatus.QUEUED


@pytest.mark.parametrize("status", [DeliveryStatus.ACCEPTED, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED,
                                    DeliveryStatus.CANCELLED, DeliveryStatus.PENDING])  # fmt: skip
def test_cancelling_a_message_already_sent_or_final_is_a_bad_request_and_changes_nothing(status):
    repository, scheduler = MemoryRepository(), FakeScheduler()
    message = repository.add(dataclasses.replace(scheduled(), delivery_status=status))
    sends = ScheduledSends(repository, lambda: Schedules(scheduler, TARGET), FixedClock(NOW), job_body)
    with pytest.raises(BadRequest) as raised:
        sends.cancel(message.id)
    assert (raised.value.field, str(raised.value)) == (
        "id", f"id: the message is {status.value}: only a message not yet sent can be cancelled")
    assert repository.records[(message.to, message.id)] == message and scheduler.deleted == []


@pytest.mark.parametrize("raw", ["01KAAAAAAAAAAAAAAAAAAAAAAA", "not-an-id", None])
def test_cancelling_an_unknown_message_is_a_bad_request(raw):
    sends = ScheduledSends(MemoryRepository(), lambda: Schedules(FakeScheduler(), TARGET), FixedClock(NOW), job_body)
    with pytest.raises(BadRequest) as refused:
        sends.cancel(raw)
    assert str(refused.value) == "id: no message has this id"


# -- the EventBridge Scheduler adapter (moto) -----------------------------------------------------
def test_the_adapter_makes_a_one_time_schedule_that_deletes_itself_and_cancels_by_name():
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("scheduler", region_name="us-east-1")
        client.create_schedule_group(Name=TARGET.group)
        adapter = EventBridgeScheduler(client)
        schedule = OneTimeSchedule("message-01K", "2026-11-24T09:00:01", '{"v":1}')
        assert adapter.create(TARGET, schedule) is True
        assert adapter.create(TARGET, schedule) is False  # the name exists: nothing changes
        made = client.get_schedule(Name="message-01K", GroupName=TARGET.group)
        assert made["ScheduleExpression"] == "at(2026-11-24T09:00:01)" and made["ScheduleExpressionTimezone"] == "UTC"
        assert made["ActionAfterCompletion"] == "DELETE" and made["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert (made["Target"]["Arn"], made["Target"]["RoleArn"], made["Target"]["Input"]) == (
            TARGET.queue_arn, TARGET.role_arn, '{"v":1}')
        assert adapter.delete(TARGET, "message-01K") is True
        assert adapter.delete(TARGET, "message-01K") is False


# -- the rest of the service sees the new statuses --------------------------------------------------
def test_history_filters_by_scheduled_and_cancelled_and_the_sweeper_counts_scheduled_from_send_at():
    from messenger.messages.filters import parse_history_query
    from messenger.sweeper.logic import rules

    query = parse_history_query({"filter": {"to": "later@example.com", "status": ["SCHEDULED", "CANCELLED"]}},
                                lambda to: "MESSAGE#" + to)  # fmt: skip
    assert set(query.statuses) == {"SCHEDULED", "CANCELLED"}
    # A scheduled message may wait 35 days: its one sweeper rule counts from its sendAt, not its record.
    [scheduled_rule] = [rule for rule in rules(72) if rule.status is DeliveryStatus.SCHEDULED]
    assert scheduled_rule.by_send_at and scheduled_rule.after_seconds == 6 * 3600
    assert [rule.by_send_at for rule in rules(72) if rule.status is not DeliveryStatus.SCHEDULED] == [False] * 3
    assert DeliveryStatus.CANCELLED.final and not DeliveryStatus.SCHEDULED.final


def test_a_cancel_that_lands_between_the_release_and_the_claim_wins_and_nothing_is_sent():
    class CancelBeforeSecondClaim(MemoryRepository):
        """Cancels the message right after the worker released it to QUEUED, before its claim."""

        def __init__(self):
            super().__init__()
            self.claims_seen = 0

        def claim(self, recipient, message_id, token, now, stale_before):
            self.claims_seen += 1
            if self.claims_seen == 2:
                sends.cancel(message_id)
            return super().claim(recipient, message_id, token, now, stale_before)

    repository, sns = CancelBeforeSecondClaim(), FakeChannel("sns")
    sends = ScheduledSends(repository, lambda: Schedules(FakeScheduler(), TARGET), FixedClock(NOW), job_body)
    message = repository.add(scheduled())
    report = dispatcher(repository, sns).process([job(message)])
    stored = repository.records[(message.to, message.id)]
    assert sns.sent == [] and report.accepted == 0 and report.skipped == 1
    assert [e.status for e in stored.events] == [DeliveryStatus.QUEUED, DeliveryStatus.CANCELLED]


def test_a_replayed_scheduled_send_makes_sure_its_schedule_exists(resources):
    scheduler = FakeScheduler()
    service, _, _, _ = scheduling_service(resources, scheduler)
    request = {**EMAIL, "sendAt": "2026-11-24T09:00:00Z", "idempotencyKey": "remind-1"}
    first = service.send(request)
    scheduler.schedules.clear()  # as if the first request died before making it
    again = service.send(request)
    assert again.id == first.id and again.delivery_status is DeliveryStatus.SCHEDULED
    assert list(scheduler.schedules) == [schedule_name(first.id)]
    service.send(request)  # a third time: the schedule exists, nothing changes
    assert list(scheduler.schedules) == [schedule_name(first.id)]



def late_retry_service(resources, scheduler):
    """A scheduling service whose clock a test moves past the sendAt, as a slow client's retry finds it."""
    import datetime as dt

    clock = FixedClock(NOW)
    table = SendingTable(boto3.client("dynamodb"), resources.table_name)
    sends = ScheduledSends(table, lambda: Schedules(scheduler, TARGET), clock, job_body)
    service = MessageService(table, {Provider.SES: FakeChannel("ses")}, FakeQueue(), settings(), clock,
                             new_message_id, scheduler=lambda: sends)  # fmt: skip
    return service, table, lambda seconds: setattr(clock, "moment", clock.moment + dt.timedelta(seconds=seconds))


def messages_to(resources, recipient: str) -> list[str]:
    from messenger.messages.records import MESSAGE_PREFIX

    items = boto3.client("dynamodb").query(
        TableName=resources.table_name, KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": MESSAGE_PREFIX + recipient}})["Items"]  # fmt: skip
    return [item["id"]["S"] for item in items]


def test_a_keyed_scheduled_send_retried_after_its_send_at_answers_with_the_message_it_made(resources):
    from messenger.core.caller import Caller

    scheduler = FakeScheduler()
    service, table, wait = late_retry_service(resources, scheduler)
    shop = Caller("shop", frozenset({"SEND"}))
    request = {**EMAIL, "sendAt": "2026-11-23T12:00:30+00:00", "idempotencyKey": "soon-1"}
    first = service.send(request, shop)
    own = service.send({**request, "to": "own@example.com"})  # no caller: the stack's own key
    scheduler.schedules.clear()  # the schedule fired and Scheduler deleted it
    wait(30)  # the very moment of its sendAt
    assert service.send(request, shop).id == first.id and scheduler.schedules == {}
    wait(1)
    assert service.send({**request, "to": "own@example.com"}).id == own.id
    again = service.send(request, shop)
    assert (again.id, again.delivery_status, again.send_at) == (first.id, DeliveryStatus.SCHEDULED, first.send_at)
    assert scheduler.schedules == {}  # a moment that has passed is not scheduled again
    wait(3600)  # an hour later, the same
    assert service.send({**request, "sendAt": "2026-11-23T12:00:30Z"}, shop).id == first.id  # the same moment
    assert messages_to(resources, first.to) == [first.id]


def test_a_late_keyed_retry_with_other_input_is_a_conflict_and_an_unknown_key_stays_in_the_past(resources):
    from messenger.core.caller import Caller
    from messenger.core.errors import Conflict

    scheduler = FakeScheduler()
    service, table, wait = late_retry_service(resources, scheduler)
    shop, other = Caller("shop", frozenset({"SEND"})), Caller("other", frozenset({"SEND"}))
    request = {**EMAIL, "sendAt": "2026-11-23T12:00:30Z", "idempotencyKey": "soon-2"}
    first = service.send(request, shop)
    wait(60)
    with pytest.raises(Conflict, match="idempotencyKey: this key was used with a different input"):
        service.send({**request, "body": "Hello again"}, shop)
    with pytest.raises(Conflict, match="idempotencyKey: this key was used with a different input"):
        service.send({**request, "sendAt": "2026-11-23T12:00:31Z"}, shop)
    for caller, key in ((other, "soon-2"), (shop, "never-used")):  # another client's key, a key never used
        with pytest.raises(BadRequest, match="^sendAt: is in the past$"):
            service.send({**request, "idempotencyKey": key}, caller)
    with pytest.raises(BadRequest, match="^sendAt: is in the past$"):
        service.send({**request, "idempotencyKey": None}, shop)
    with pytest.raises(BadRequest, match="^sendAt: needs a time zone"):
        service.send({**request, "sendAt": "2026-11-23T12:00:30"}, shop)
    assert messages_to(resources, first.to) == [first.id]
    wait(24 * 3600)  # the key has expired: the refusal stands
    with pytest.raises(BadRequest, match="^sendAt: is in the past$"):
        service.send(request, shop)


def test_a_due_scheduled_message_is_released_claimed_and_sent_once_on_the_real_table(resources):
    scheduler = FakeScheduler()
    service, _, table, _ = scheduling_service(resources, scheduler)
    message = service.send({**EMAIL, "sendAt": "2026-11-23T12:10:00Z"})
    ses = FakeChannel("ses")
    worker = Dispatcher(table, {Provider.SES: _OneByOne(ses)}, FakeQueue(), FixedClock("2026-11-23T12:10:00.500Z"),
                        max_receive_count=3, retry_base_seconds=10, claim_lease_seconds=30)
    report = worker.process([job(message)])  # the schedule's job
    again = worker.process([job(message)])  # a duplicate of it, later
    stored = table.get(message.to, message.id)
    assert ([m.id for m in ses.sent], report.accepted, again.skipped, again.retry) == ([message.id], 1, 1, set())
    assert [(e.status, e.detail) for e in stored.events][1:] == [
        (DeliveryStatus.QUEUED, "sendAt reached"), (DeliveryStatus.ACCEPTED, None)]


def test_one_key_with_another_send_at_is_a_conflict_not_a_replay(resources):
    from messenger.core.errors import Conflict

    scheduler = FakeScheduler()
    service, _, _, _ = scheduling_service(resources, scheduler)
    first = service.send({**EMAIL, "sendAt": "2026-11-24T09:00:00Z", "idempotencyKey": "remind-2"})
    with pytest.raises(Conflict, match="different input"):
        service.send({**EMAIL, "sendAt": "2026-11-25T09:00:00Z", "idempotencyKey": "remind-2"})
    assert list(scheduler.schedules) == [schedule_name(first.id)]

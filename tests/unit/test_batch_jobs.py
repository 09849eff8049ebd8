"""The batch jobs' own decisions (batches/jobs.py): what a job body may be, the check of a scheduled
batch whose schedule may be missing, the cancel job, the boundaries of a check, a move lost to another
request. Over the world of test_batch_schedules.py (moto in-process, schedules in memory)."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from messenger.batches import fanout
from messenger.batches.jobs import CANCEL, CHECK, FIRE, BatchJobs, cancel_messages, job_text, parse_job
from messenger.batches.models import BatchStatus
from messenger.messages.models import DeliveryStatus
from messenger.sending.dal import SendingTable

from tests.unit.test_batch_schedules import AFTER, NOW, SOON, rows, service, world  # noqa: F401 - fixtures


@pytest.mark.parametrize("body", [
    "not json", "[]", '"fire"', '{"v": 2, "batch": "B1", "kind": "fire"}', '{"v": 1, "batch": "B1", "kind": "send"}',
    '{"v": 1, "kind": "fire"}', '{"v": 1, "batch": "", "kind": "fire"}', '{"v": 1, "batch": 7, "kind": "fire"}',
])
def test_anything_but_a_batch_job_of_this_version_is_not_a_job(body):
    assert parse_job(body) is None  # S3's notifications share the queue


@pytest.mark.parametrize("kind", [FIRE, CHECK, CANCEL])
def test_a_job_names_its_batch_and_kind(kind):
    assert parse_job(job_text("01KAQZ3X8J0000000000000000", kind)) == ("01KAQZ3X8J0000000000000000", kind)


def test_a_job_for_a_batch_that_is_gone_is_ignored(world):
    assert world.jobs.handle("01KAQZ3X8J0000000000000000", FIRE) is None


def test_the_check_of_a_scheduled_batch_makes_its_schedule_again_should_the_request_have_died_before(world):
    batch = world.service.send({"messages": rows(2), "body": "Hi", "sendAt": SOON})
    world.schedules.live.clear()  # the request died between recording and scheduling
    assert world.jobs.handle(batch.id, FIRE).status is BatchStatus.SCHEDULED  # an early fire makes nothing
    assert world.schedules.live == {}
    assert world.jobs.handle(batch.id, CHECK).status is BatchStatus.SCHEDULED
    assert world.schedules.live == {f"batch-{batch.id}": (SOON, job_text(batch.id, FIRE))}
    world.schedules.live.clear()
    without = BatchJobs(world.table, world.fanout, world.statuses, world.clock, None, world.batch_jobs_queue)
    assert without.handle(batch.id, CHECK).status is BatchStatus.SCHEDULED  # no schedules here: nothing made
    assert world.schedules.live == {}


def test_a_fired_batch_cancelled_meanwhile_is_answered_cancelled_and_queues_nothing(world, monkeypatch):
    batch = world.service.send({"messages": rows(2), "body": "Hi", "sendAt": SOON})
    world.at(AFTER)
    move = world.table.move_batch

    def cancelled_first(batch_id, expected, to, now, **fields):
        move(batch_id, (BatchStatus.SCHEDULED,), BatchStatus.CANCELLED, now)  # cancelBatch's write
        return move(batch_id, expected, to, now, **fields)

    monkeypatch.setattr(world.table, "move_batch", cancelled_first)
    answer = world.jobs.handle(batch.id, FIRE)
    assert (answer.id, answer.status) == (batch.id, BatchStatus.CANCELLED)
    assert world.sends() == []


def test_the_cancel_job_cancels_what_no_provider_has_and_leaves_the_rest(world, monkeypatch):
    monkeypatch.setattr("messenger.batches.logic.CANCEL_IN_REQUEST_ROWS", 1)
    batch = world.service.send({"messages": rows(4), "body": "Hi"})
    first, claimed, *_ = world.records(batch.id)  # in row order
    sending = SendingTable(boto3.client("dynamodb"), world.resources.table_name)
    grant = sending.claim(first.to, first.id, "t-1", NOW, "2026-11-23T11:00:00.000Z")
    world.statuses.move(grant.message, DeliveryStatus.ACCEPTED, claim_token="t-1")  # handed over: not cancellable
    assert sending.claim(claimed.to, claimed.id, "t-2", NOW, "2026-11-23T11:00:00.000Z").granted  # being sent
    assert world.service.cancel(batch.id).status is BatchStatus.CANCELLED
    assert [job for job in world.batch_jobs() if job[1] == CANCEL] == [(batch.id, CANCEL)]
    world.jobs.handle(batch.id, CANCEL)
    assert [m.delivery_status for m in world.records(batch.id)] == [
        DeliveryStatus.ACCEPTED, DeliveryStatus.QUEUED, DeliveryStatus.CANCELLED, DeliveryStatus.CANCELLED]
    assert cancel_messages(world.table, world.statuses, batch.id) == 0  # the job again: nothing left to cancel


def test_cancel_messages_says_how_many_it_cancelled(world):
    batch = world.service.send({"messages": rows(3), "body": "Hi", "sendAt": SOON})
    assert cancel_messages(world.table, world.statuses, batch.id) == 3


def test_a_cancel_job_for_a_batch_that_was_not_cancelled_changes_nothing(world):
    batch = world.service.send({"messages": rows(2), "body": "Hi", "sendAt": SOON})
    assert world.jobs.handle(batch.id, CANCEL).status is BatchStatus.SCHEDULED
    assert {m.delivery_status for m in world.records(batch.id)} == {DeliveryStatus.SCHEDULED}


def test_a_check_at_exactly_the_stale_age_queues_what_a_dead_request_left(world, monkeypatch):
    batch = world.service.send({"messages": rows(2), "body": "Hi", "sendAt": SOON})
    world.at(AFTER)
    with monkeypatch.context() as died:
        died.setattr(world.fanout, "queue_recorded", lambda b: None)  # the fire died before queueing
        world.jobs.handle(batch.id, FIRE)
    released = world.table.get_batch(batch.id).updated_at
    world.at("2026-11-23T12:10:30.999Z")  # 29.999 s after the release: the request may still be queueing
    assert released == "2026-11-23T12:10:01.000Z" and world.jobs.handle(batch.id, CHECK).slices_queued == 0
    world.at("2026-11-23T12:10:31.000Z")
    assert world.jobs.handle(batch.id, CHECK).slices_queued == 1 and len(world.sends()) == 2


def test_records_the_index_does_not_show_yet_are_queued_by_a_fire_a_few_seconds_later(world, monkeypatch):
    batch = world.service.send({"messages": rows(2), "body": "Hi", "sendAt": SOON})
    world.at(AFTER)

    def lagging(b):
        raise fanout.RecordsMissing(b.id)

    monkeypatch.setattr(world.fanout, "queue_recorded", lagging)
    put = []
    checks = SimpleNamespace(put=lambda body, delay=0: put.append((body, delay)))
    batch_jobs = BatchJobs(world.table, world.fanout, world.statuses, world.clock, lambda: world.schedules, checks)
    assert batch_jobs.handle(batch.id, FIRE).status is BatchStatus.SENDING
    assert put == [(job_text(batch.id, FIRE), 5)]  # the index shows a record within about a second

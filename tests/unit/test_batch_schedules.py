"""Scheduled batches, cancelBatch, an interrupted sendBatch finished by its check job, and batch rows
against the client's quotas. Through the real data-access layer and queue adapter on moto in-process;
schedules are an in-memory stand-in (what Scheduler does with them is scheduling's own tests')."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import boto3
import pytest
from messenger.adapters.queue import SqsBodyQueue, SqsJobQueue, parse_job
from messenger.adapters.s3 import UploadBucket
from messenger.batches.dal import BatchesTable
from messenger.batches.fanout import Fanout
from messenger.batches.jobs import CHECK, FIRE, BatchJobs, job_text
from messenger.batches.jobs import parse_job as parse_batch_job
from messenger.batches.logic import BatchService, upload_key
from messenger.batches.models import BatchStatus, NotFound, RowError
from messenger.batches.uploads import UploadProcessor
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.errors import BadRequest
from messenger.core.settings import settings
from messenger.limits.dal import LimitsTable
from messenger.limits.logic import Limiter
from messenger.limits.models import LimitExceeded, TooManyRequests
from messenger.messages.batch_counts import BatchCountListener
from messenger.messages.models import DeliveryStatus
from messenger.messages.status import StatusWriter
from messenger.sending.dal import SendingTable

from tests.fakes import FixedClock
from tests.support import dies_at_call, empty_table, moto_service, table_items

NOW = "2026-11-23T12:00:00.000Z"
SOON = "2026-11-23T12:10:00.000Z"
AFTER = "2026-11-23T12:10:01.000Z"


class MemorySchedules:
    def __init__(self) -> None:
        self.live: dict[str, tuple[str, str]] = {}
        self.cancelled: list[str] = []

    def deliver_at(self, name: str, send_at: str, payload: str) -> None:
        self.live.setdefault(name, (send_at, payload))

    def cancel(self, name: str) -> bool:
        self.cancelled.append(name)
        return self.live.pop(name, None) is not None


class World:
    def __init__(self, resources, clock=None, slice_rows: int = 250, limits=None) -> None:
        self.resources = resources
        self.clock = clock or FixedClock(NOW)
        db = boto3.client("dynamodb")
        self.table = BatchesTable(db, resources.table_name, sleep=lambda _: None)
        self.queue = SqsJobQueue(boto3.client("sqs"), resources.queues["outbound"].url)
        self.batch_jobs_queue = SqsBodyQueue(boto3.client("sqs"), resources.queues["uploads"].url)
        self.schedules = MemorySchedules()
        self.statuses = StatusWriter(self.table, self.clock, [BatchCountListener(self.table, self.clock)])
        self.announced: list[dict] = []  # BATCH_COMPLETED summaries, from the one write that made a batch final
        self.fanout = Fanout(self.table, self.queue, None, self.clock, slice_rows=slice_rows,
                             on_final=self.announced.append)
        self.service = BatchService(self.table, self.fanout, settings(), self.clock, new_message_id,
                                    uploads=UploadBucket(boto3.client("s3"), resources.buckets["uploads"]),
                                    schedules=lambda: self.schedules, jobs=self.batch_jobs_queue,
                                    statuses=self.statuses, limits=limits)
        self.jobs = BatchJobs(self.table, self.fanout, self.statuses, self.clock, lambda: self.schedules,
                              self.batch_jobs_queue)
        self.uploads = UploadProcessor(self.table, self.fanout, self.service._uploads, settings(), self.clock,
                                       schedules=lambda: self.schedules, jobs=self.jobs, limits=limits)

    def at(self, moment: str) -> None:
        self.clock.moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))

    def _drain(self, name: str) -> list[str]:
        sqs, found = boto3.client("sqs"), []
        while batch := sqs.receive_message(QueueUrl=self.resources.queues[name].url, MaxNumberOfMessages=10,
                                           AttributeNames=["All"]).get("Messages", []):
            found += [m["Body"] for m in batch]
            sqs.delete_message_batch(QueueUrl=self.resources.queues[name].url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        return found

    def sends(self) -> list[tuple[str, str]]:
        return [parse_job(body) for body in self._drain("outbound")]

    def batch_jobs(self) -> list[tuple[str, str]]:
        return [job for body in self._drain("uploads") if (job := parse_batch_job(body))]

    def records(self, batch_id: str) -> list:
        return list(self.table.batch_messages(batch_id))


@pytest.fixture(scope="module")
def service():
    with moto_service() as resources:
        yield resources


@pytest.fixture
def world(service, monkeypatch):
    from messenger.batches import jobs, logic

    for module in (jobs, logic):  # moto holds a delayed message back as SQS does
        monkeypatch.setattr(module, "CHECK_DELAY_SECONDS", 0)
    empty_table(service.table_name)
    settings.cache_clear()
    world = World(service)
    world.sends(), world._drain("uploads")
    return world


def rows(n: int) -> list[dict]:
    return [{"to": f"+2547110{i:05d}", "deliveryMethod": "SMS"} if i % 2 else
            {"to": f"user{i}@example.com", "deliveryMethod": "EMAIL"} for i in range(n)]


def test_a_scheduled_batch_is_recorded_scheduled_with_one_schedule_and_nothing_queued(world):
    batch = world.service.send({"messages": rows(5), "body": "Hi", "sendAt": SOON}, client_id="c-1")
    assert (batch.status, batch.send_at, batch.counts["SCHEDULED"], batch.total) == (BatchStatus.SCHEDULED, SOON, 5, 5)
    records = world.records(batch.id)
    assert {m.delivery_status for m in records} == {DeliveryStatus.SCHEDULED}
    # Each record names its client and expires messageRetentionDays after the batch was made.
    retention = settings().message_retention_days * 86_400
    assert {(m.client_id, m.expires_at) for m in records} == {("c-1", int(world.clock.moment.timestamp()) + retention)}
    assert list(world.schedules.live) == [f"batch-{batch.id}"]
    assert world.schedules.live[f"batch-{batch.id}"] == (SOON, job_text(batch.id, FIRE))
    assert world.sends() == []
    assert batch.to_graphql()["sendAt"] == SOON


@pytest.mark.parametrize("send_at, reason", [("2026-11-23T11:59:59Z", "in the past"),
                                             ("2026-12-29T12:00:01Z", "more than 35 days"),
                                             ("tomorrow", "AWSDateTime")])
def test_a_send_time_in_the_past_or_too_far_is_bad_and_nothing_is_written(world, send_at, reason):
    for call in (lambda: world.service.send({"messages": rows(2), "body": "Hi", "sendAt": send_at}),
                 lambda: world.service.create_upload({"body": "Hi", "sendAt": send_at})):
        with pytest.raises(BadRequest) as error:
            call()
        assert error.value.info["field"] == "sendAt" and reason in error.value.message
    assert table_items(world.resources.table_name) == []


def test_a_keyed_scheduled_batch_or_upload_retried_after_its_send_at_answers_with_what_it_made(world):
    from messenger.core.errors import Conflict

    args = {"messages": rows(3), "body": "Hi", "sendAt": SOON, "idempotencyKey": "late-batch"}
    upload_args = {"body": "Hi", "sendAt": SOON, "idempotencyKey": "late-upload"}
    batch = world.service.send(args, client_id="c-1")
    upload = world.service.create_upload(upload_args, client_id="c-1")
    written = len(table_items(world.resources.table_name))
    world.at(AFTER)
    again = world.service.send(args, client_id="c-1")
    assert (again.id, again.status, again.total) == (batch.id, BatchStatus.SCHEDULED, 3)
    assert world.service.create_upload(upload_args, client_id="c-1").batch_id == upload.batch_id
    with pytest.raises(Conflict, match="^idempotencyKey: this key was used with a different input$"):
        world.service.send({**args, "body": "Hello"}, client_id="c-1")
    for who, key in (("c-2", "late-batch"), ("c-1", "never-used")):  # another client's key, a key never used
        with pytest.raises(BadRequest, match="^sendAt: is in the past$"):
            world.service.send({**args, "idempotencyKey": key}, client_id=who)
        with pytest.raises(BadRequest, match="^sendAt: is in the past$"):
            world.service.create_upload({**upload_args, "idempotencyKey": key}, client_id=who)
    with pytest.raises(BadRequest, match="^sendAt: is in the past$"):
        world.service.send({**args, "idempotencyKey": None}, client_id="c-1")
    assert len(table_items(world.resources.table_name)) == written and world.sends() == []
    # a key recorded before keys were named per client ("IDEMPOTENCY#BATCH#<key>") is found too
    [item] = [i for i in table_items(world.resources.table_name) if i["PK"]["S"].endswith("#BATCH#late-batch")]
    db = boto3.client("dynamodb")
    db.delete_item(TableName=world.resources.table_name, Key={"PK": item["PK"], "SK": item["SK"]})
    old_name = {"S": "IDEMPOTENCY#BATCH#late-batch"}
    db.put_item(TableName=world.resources.table_name, Item={**item, "PK": old_name, "SK": old_name})
    assert world.service.send(args, client_id="c-1").id == batch.id


def test_the_fired_schedule_queues_the_batch_once_and_the_worker_releases_its_messages(world):
    batch = world.service.send({"messages": rows(5), "body": "Hi", "sendAt": SOON})
    assert world.jobs.handle(batch.id, FIRE).status is BatchStatus.SCHEDULED  # early: nothing happens
    assert world.sends() == []
    world.at(AFTER)
    fired = world.jobs.handle(batch.id, FIRE)
    assert (fired.status, fired.slices_queued) == (BatchStatus.SENDING, 1)
    jobs = world.sends()
    assert sorted(mid for _, mid in jobs) == sorted(m.id for m in world.records(batch.id))
    world.jobs.handle(batch.id, FIRE)  # a second copy of the fire
    assert world.sends() == []
    # The dispatch worker's release of a job's SCHEDULED record (dispatcher._release_scheduled):
    record = world.table.get(*jobs[0])
    world.statuses.move(record, DeliveryStatus.QUEUED, detail="sendAt reached")
    counts = world.table.get_batch(batch.id).counts
    assert (counts["SCHEDULED"], counts["QUEUED"]) == (4, 1)


def test_cancelling_a_scheduled_batch_cancels_every_message_and_deletes_its_schedule(world):
    batch = world.service.send({"messages": rows(4), "body": "Hi", "sendAt": SOON}, client_id="c-1")
    with pytest.raises(NotFound):
        world.service.cancel(batch.id, "c-2")  # another client's batch is not found
    cancelled = world.service.cancel(batch.id.lower(), "c-1")
    assert (cancelled.status, cancelled.counts["CANCELLED"], cancelled.counts["SCHEDULED"]) == (
        BatchStatus.CANCELLED, 4, 0)
    assert {m.delivery_status for m in world.records(batch.id)} == {DeliveryStatus.CANCELLED}
    assert {(m.events[-1].status, m.events[-1].detail) for m in world.records(batch.id)} == {
        (DeliveryStatus.CANCELLED, "Batch cancelled")}
    assert world.schedules.live == {} and cancelled.completed_at
    world.at(AFTER)
    assert world.jobs.handle(batch.id, FIRE).status is BatchStatus.CANCELLED  # a schedule that fired anyway
    assert world.sends() == []
    with pytest.raises(BadRequest, match="CANCELLED"):
        world.service.cancel(batch.id, "c-1")
    with pytest.raises(NotFound):
        world.service.cancel("01ARZ3NDEKTSV4RRFFQ69G5FAV", "c-1")


def test_cancelling_a_sending_batch_stops_what_no_worker_claimed(world):
    batch = world.service.send({"messages": rows(3), "body": "Hi"})
    jobs = world.sends()
    first = world.table.get(*jobs[0])
    sending = SendingTable(boto3.client("dynamodb"), world.resources.table_name)
    assert sending.claim(first.to, first.id, "token", NOW, "2026-11-23T11:00:00.000Z").granted
    cancelled = world.service.cancel(batch.id)
    assert cancelled.status is BatchStatus.CANCELLED and cancelled.counts["CANCELLED"] == 2
    statuses = {m.id: m.delivery_status for m in world.records(batch.id)}
    assert statuses[first.id] is DeliveryStatus.QUEUED  # claimed: its send goes on
    assert sorted(s.value for s in statuses.values()) == ["CANCELLED", "CANCELLED", "QUEUED"]


def test_a_completed_batch_cannot_be_cancelled(world):
    batch = world.service.send({"messages": rows(1), "body": "Hi"})
    [job] = world.sends()
    record = world.table.get(*job)
    world.statuses.move(world.statuses.move(record, DeliveryStatus.ACCEPTED), DeliveryStatus.DELIVERED)
    assert world.table.get_batch(batch.id).status is BatchStatus.COMPLETED
    with pytest.raises(BadRequest) as refused:
        world.service.cancel(batch.id)
    assert str(refused.value) == "id: the batch is COMPLETED: only a batch not yet sent can be cancelled"


def test_a_batch_still_being_recorded_cannot_be_cancelled_yet(world, monkeypatch):
    batch = world.service.send({"messages": rows(3), "body": "Hi"})
    monkeypatch.setattr(type(batch), "recorded", lambda self, slice_rows: False)
    with pytest.raises(BadRequest) as refused:
        world.service.cancel(batch.id)
    assert str(refused.value) == "id: the batch is still being recorded: try again in a few seconds"
    assert world.table.get_batch(batch.id).status is BatchStatus.SENDING


def test_a_batch_that_moves_while_it_is_cancelled_says_where_it_went(world, monkeypatch):
    batch = world.service.send({"messages": rows(1), "body": "Hi", "sendAt": SOON})
    real_move = world.table.move_batch

    def released_first(batch_id, expected, target, now):
        real_move(batch_id, expected, BatchStatus.SENDING, now)  # its schedule fired in between
        return real_move(batch_id, expected, target, now)

    monkeypatch.setattr(world.table, "move_batch", released_first)
    with pytest.raises(BadRequest) as refused:
        world.service.cancel(batch.id)
    assert str(refused.value) == "id: the batch moved to SENDING meanwhile: try again"


@pytest.mark.parametrize("raw", ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "  ", 5, None, "A" * 65])
def test_cancelling_an_unknown_or_malformed_batch_id_is_not_found_saying_which_field(world, raw):
    with pytest.raises(NotFound) as refused:
        world.service.cancel(raw, "c-1")
    assert (refused.value.error_type, refused.value.message, refused.value.info) == (
        "NotFound", "id: no batch has this id", {"field": "id"})


def test_an_id_that_cannot_be_a_batch_id_is_not_looked_up(world, monkeypatch):
    looked_up = []
    monkeypatch.setattr(world.table, "get_batch", looked_up.append)
    for raw in ("  ", 5, None, "A" * 65):
        assert world.service.get({"id": raw}) is None
    assert looked_up == []
    world.service.get({"id": "a" * 64})
    world.service.get({"id": " 01arz3ndektsv4rrffq69g5fav "})
    assert looked_up == ["A" * 64, "01ARZ3NDEKTSV4RRFFQ69G5FAV"]  # trimmed and upper-cased, as ids are written


def test_a_batch_that_vanishes_while_it_is_cancelled_says_so(world, monkeypatch):
    batch = world.service.send({"messages": rows(1), "body": "Hi"})
    found = world.service.get({"id": batch.id})
    monkeypatch.setattr(world.service, "get", lambda args: found)  # read before it vanished
    world.table._db.delete_item(TableName=world.resources.table_name,
                                Key={"PK": {"S": f"BATCH#{batch.id}"}, "SK": {"S": "BATCH"}})
    with pytest.raises(BadRequest) as refused:
        world.service.cancel(batch.id)
    assert str(refused.value) == "id: the batch moved to nothing meanwhile: try again"


def test_a_batch_without_a_send_time_is_cancelled_without_touching_the_scheduler(world):
    batch = world.service.send({"messages": rows(2), "body": "Hi"})
    assert world.service.cancel(batch.id).status is BatchStatus.CANCELLED
    assert world.schedules.cancelled == []


@pytest.mark.parametrize(("rows_in_batch", "in_request"), [(3, True), (4, False)])
def test_a_large_batch_is_cancelled_by_a_job_a_small_one_in_the_request(world, monkeypatch, rows_in_batch, in_request):
    from messenger.batches import logic
    from messenger.batches.jobs import CANCEL

    monkeypatch.setattr(logic, "CANCEL_IN_REQUEST_ROWS", 3)
    batch = world.service.send({"messages": rows(rows_in_batch), "body": "Hi", "sendAt": SOON})
    cancelled = world.service.cancel(batch.id)
    assert cancelled.status is BatchStatus.CANCELLED and world.schedules.live == {}
    assert cancelled.counts["CANCELLED"] == (rows_in_batch if in_request else 0)
    assert [job for job in world.batch_jobs() if job[1] == CANCEL] == ([] if in_request else [(batch.id, CANCEL)])


def test_without_a_jobs_queue_even_a_large_batch_is_cancelled_in_the_request(world, monkeypatch):
    from messenger.batches import logic

    monkeypatch.setattr(logic, "CANCEL_IN_REQUEST_ROWS", 3)
    monkeypatch.setattr(world.service, "_jobs", None)
    batch = world.service.send({"messages": rows(4), "body": "Hi", "sendAt": SOON})
    assert world.service.cancel(batch.id).counts["CANCELLED"] == 4


def test_an_upload_answers_a_url_for_its_batchs_file_valid_for_the_configured_time(world):
    import time
    from urllib.parse import parse_qs, urlsplit

    upload = world.service.create_upload({"body": "Hi ((name))"}, client_id="c-1")
    seconds = settings().batch_upload_url_seconds
    url = urlsplit(upload.upload_url)
    assert url.path.endswith(f"/{upload_key(upload.batch_id)}")
    query = parse_qs(url.query)
    if "X-Amz-Expires" in query:  # SigV4: the validity itself
        assert query["X-Amz-Expires"] == [str(seconds)]
    else:  # SigV2: the moment it ends, from the signer's (real) clock
        assert abs(int(query["Expires"][0]) - (time.time() + seconds)) <= 5
    moment = world.clock.moment + dt.timedelta(seconds=seconds)
    assert upload.expires_at == moment.strftime("%Y-%m-%dT%H:%M:%S.000Z") and upload.expires_at > NOW


def test_an_upload_with_an_idempotency_key_is_created_once_and_another_input_conflicts(world):
    from messenger.core.errors import Conflict
    from messenger.messages import ulids

    args = {"body": "Hi ((name))", "reference": "spring", "idempotencyKey": "upload-1"}
    first = world.service.create_upload(args, client_id="c-1")
    again = world.service.create_upload(args, client_id="c-1")
    assert again.batch_id == first.batch_id and again.expires_at == first.expires_at
    batch = world.table.get_batch(first.batch_id)
    assert (batch.status, batch.reference, batch.created_at, batch.client_id) == (
        BatchStatus.VALIDATING, "spring", NOW, "c-1")
    assert ulids.milliseconds_of(batch.id) == world.clock.epoch() * 1000  # the id names its creation time
    [key] = [i for i in table_items(world.resources.table_name) if "upload-1" in i["PK"]["S"]]
    assert (key["batchId"]["S"], int(key["expiresAt"]["N"])) == (
        batch.id, world.clock.epoch() + settings().idempotency_ttl_hours * 3600)
    with pytest.raises(Conflict) as conflict:
        world.service.create_upload({**args, "body": "Other ((name))"}, client_id="c-1")
    assert conflict.value.message == "idempotencyKey: this key was used with a different input"
    assert [b["id"] for b in world.service.page({"first": 10})["data"]] == [batch.id]


class Died(Exception):
    pass


def _died_while_recording(world, monkeypatch) -> str:
    """sendBatch of 5 rows in slices of 2 that died at its second slice: 4 records, nothing queued."""
    real = BatchesTable.commit_slice
    calls = {"n": 0}

    def dies_on_second(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Died()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BatchesTable, "commit_slice", dies_on_second)
    with pytest.raises(Died):
        world.service.send({"messages": rows(5), "body": "Hi"})
    monkeypatch.setattr(BatchesTable, "commit_slice", real)
    [(batch_id, kind)] = world.batch_jobs()
    assert kind == CHECK
    return batch_id


def test_a_request_that_died_while_recording_ends_failed_with_nothing_sent(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=2)
    batch_id = _died_while_recording(world, monkeypatch)  # its check job was put before anything was written
    assert world.sends() == []
    assert world.jobs.handle(batch_id, CHECK).status is BatchStatus.SENDING  # too fresh: checked again later
    assert world.batch_jobs() == [(batch_id, CHECK)]
    world.at("2026-11-23T12:01:00.000Z")
    failed = world.jobs.handle(batch_id, CHECK)
    assert failed.status is BatchStatus.FAILED and failed.errors == (RowError(
        2, "messages", "the request was interrupted while recording the batch: nothing was sent; send the batch again"),)
    records = world.records(batch_id)
    assert len(records) == 4 and {m.delivery_status for m in records} == {DeliveryStatus.FAILED}
    assert (failed.counts["FAILED"], failed.counts["QUEUED"]) == (4, 0)
    assert world.sends() == []
    assert [(a["id"], a["status"], a["counts"]) for a in world.announced] == [(batch_id, "FAILED", {"FAILED": 4})]
    world.jobs.handle(batch_id, CHECK)  # the check delivered again: announced once all the same
    assert len(world.announced) == 1


def test_an_interrupted_batch_is_failed_by_the_check_that_finds_it_exactly_stale(world, monkeypatch):
    interrupted = "Batch interrupted before sending (nothing was sent)"
    world = World(world.resources, world.clock, slice_rows=2)
    batch_id = _died_while_recording(world, monkeypatch)
    world.at("2026-11-23T12:00:29.999Z")  # the request could still be running: looked at again later
    assert world.jobs.handle(batch_id, CHECK).status is BatchStatus.SENDING
    assert world.batch_jobs() == [(batch_id, CHECK)]
    world.at("2026-11-23T12:00:30.000Z")
    assert world.jobs.handle(batch_id, CHECK).status is BatchStatus.FAILED  # 30 s: no request runs that long
    records = world.records(batch_id)
    assert len(records) == 4
    for record in records:  # each one says why, in its failure reason and its timeline
        assert (record.delivery_status, record.failure_reason) == (DeliveryStatus.FAILED, interrupted)
        assert (record.events[-1].status, record.events[-1].detail) == (DeliveryStatus.FAILED, interrupted)


def test_an_interrupted_batch_leaves_a_claimed_record_to_its_send_and_counts_each_as_it_ended(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=2)
    batch_id = _died_while_recording(world, monkeypatch)
    in_flight, finished, *_ = sorted(world.records(batch_id), key=lambda m: m.id)
    sending = SendingTable(boto3.client("dynamodb"), world.resources.table_name)
    for record, token in ((in_flight, "t-1"), (finished, "t-2")):  # a keyed replay's sends hold them
        assert sending.claim(record.to, record.id, token, NOW, "2026-11-23T11:00:00.000Z").granted
    listed = world.table.batch_messages

    def finished_after_it_was_listed(batch):
        for record in listed(batch):
            if record.id == finished.id:  # its send ends between the listing and the move
                held = world.table.get(record.to, record.id)
                world.statuses.move(world.statuses.move(held, DeliveryStatus.ACCEPTED, claim_token="t-2"),
                                    DeliveryStatus.DELIVERED)
            yield record  # the copy read before

    monkeypatch.setattr(world.table, "batch_messages", finished_after_it_was_listed)
    world.at("2026-11-23T12:01:00.000Z")
    failed = world.jobs.handle(batch_id, CHECK)
    statuses = {m.id: m.delivery_status for m in listed(batch_id)}
    assert (statuses.pop(in_flight.id), statuses.pop(finished.id)) == (DeliveryStatus.QUEUED, DeliveryStatus.DELIVERED)
    assert set(statuses.values()) == {DeliveryStatus.FAILED}
    assert {k: v for k, v in failed.counts.items() if v} == {"FAILED": 2, "QUEUED": 1, "DELIVERED": 1}


def test_an_interrupted_batch_failed_meanwhile_by_another_copy_of_its_check_is_answered_as_it_is(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=2)
    batch_id = _died_while_recording(world, monkeypatch)
    real = world.table.move_batch

    def another_copy_first(*args, **kwargs):
        real(*args, **kwargs)
        return real(*args, **kwargs)  # this copy's write now finds the batch FAILED already

    monkeypatch.setattr(world.table, "move_batch", another_copy_first)
    world.at("2026-11-23T12:01:00.000Z")
    answer = world.jobs.handle(batch_id, CHECK)
    assert (answer.id, answer.status) == (batch_id, BatchStatus.FAILED)
    assert world.announced == []  # the copy that made it FAILED announces it, not this one
    assert {m.delivery_status for m in world.records(batch_id)} == {DeliveryStatus.QUEUED}  # that copy's work


def test_a_check_that_finds_the_request_still_recording_looks_again_after_the_check_delay(world, monkeypatch):
    from messenger.batches import jobs

    world = World(world.resources, world.clock, slice_rows=2)
    batch_id = _died_while_recording(world, monkeypatch)
    monkeypatch.setattr(jobs, "CHECK_DELAY_SECONDS", 23)
    put = []
    checks = SimpleNamespace(put=lambda body, delay=0: put.append((body, delay)))
    BatchJobs(world.table, world.fanout, world.statuses, world.clock, lambda: world.schedules, checks).handle(
        batch_id, CHECK)
    assert put == [(job_text(batch_id, CHECK), 23)]


def test_a_request_that_died_while_queueing_is_finished_by_its_check_with_every_row_queued(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=2)
    real = SqsJobQueue.enqueue_many
    calls = {"n": 0}

    def dies_on_second(self, messages):
        calls["n"] += 1
        if calls["n"] == 2:
            real(self, messages[:1])
            raise Died()
        return real(self, messages)

    monkeypatch.setattr(SqsJobQueue, "enqueue_many", dies_on_second)
    with pytest.raises(Died):
        world.service.send({"messages": rows(5), "body": "Hi"})
    [(batch_id, _)] = world.batch_jobs()
    world.at("2026-11-23T12:01:00.000Z")
    resumed = world.jobs.handle(batch_id, CHECK)
    assert (resumed.status, resumed.slices_queued) == (BatchStatus.SENDING, 3)
    queued = [mid for _, mid in world.sends()]
    ids = sorted(m.id for m in world.records(batch_id))
    assert sorted(set(queued)) == ids  # every row; the one job queued twice is settled once by the claim
    assert world.jobs.handle(batch_id, CHECK).slices_queued == 3 and world.sends() == []


def test_a_keyed_batch_replayed_after_its_request_died_before_queueing_queues_every_row(world, monkeypatch):
    args = {"messages": rows(3), "body": "Hi", "idempotencyKey": "k-resume"}
    with monkeypatch.context() as patch:
        patch.setattr(world.fanout, "queue_recorded", lambda *a, **k: (_ for _ in ()).throw(Died()))
        with pytest.raises(Died):
            world.service.send(args)
    assert world.sends() == []
    resumed = world.service.send(args)
    assert resumed.status is BatchStatus.SENDING
    assert sorted(mid for _, mid in world.sends()) == sorted(m.id for m in world.records(resumed.id))


def test_a_batch_cancelled_while_it_was_recorded_queues_nothing(world, monkeypatch):
    real_record = world.fanout.record

    def record_then_cancelled(batch, messages, status):
        report = real_record(batch, messages, status)
        world.table.move_batch(batch.id, (BatchStatus.SENDING,), BatchStatus.CANCELLED, NOW)  # cancelBatch won
        return report

    monkeypatch.setattr(world.fanout, "record", record_then_cancelled)
    batch = world.service.send({"messages": rows(3), "body": "Hi"})
    assert batch.status is BatchStatus.CANCELLED and world.sends() == []


def test_a_batch_is_queued_from_its_own_records_without_reading_them_back(world, monkeypatch):
    monkeypatch.setattr(world.table, "batch_messages", lambda *a: pytest.fail("read the records back"))
    batch = world.service.send({"messages": rows(3), "body": "Hi"})
    assert len(world.sends()) == 3 and batch.counts["QUEUED"] == 3


def test_a_batch_and_its_records_are_named_after_its_creation_and_expire_with_the_retention(world):
    from messenger.messages import ulids

    batch = world.service.send({"messages": rows(2), "body": "Hi"})
    assert ulids.milliseconds_of(batch.id) == world.clock.epoch() * 1000
    expected = world.clock.epoch() + settings().message_retention_days * 86_400
    assert [(ulids.milliseconds_of(m.id), m.expires_at) for m in world.records(batch.id)] == [
        (world.clock.epoch() * 1000, expected)] * 2


def test_a_batch_key_is_kept_for_the_idempotency_window(world):
    batch = world.service.send({"messages": rows(1), "body": "Hi", "idempotencyKey": "k-ttl"})
    [key] = [i for i in table_items(world.resources.table_name) if "k-ttl" in i["PK"]["S"]]
    assert (key["batchId"]["S"], int(key["expiresAt"]["N"])) == (
        batch.id, world.clock.epoch() + settings().idempotency_ttl_hours * 3600)


def test_a_batch_key_past_its_expiry_is_free_again_even_before_ttl_deletes_it(world):
    first = world.service.send({"messages": rows(1), "body": "Hi", "idempotencyKey": "k-old"})
    upload = world.service.create_upload({"body": "Hi ((name))", "idempotencyKey": "k-old-upload"})
    for item in table_items(world.resources.table_name):
        if "k-old" in item["PK"]["S"]:
            boto3.client("dynamodb").update_item(
                TableName=world.resources.table_name, Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="SET expiresAt = :past", ExpressionAttributeValues={":past": {"N": "1000"}})
    again = world.service.send({"messages": rows(2), "body": "Other", "idempotencyKey": "k-old"})
    assert again.id != first.id and again.total == 2
    other = world.service.create_upload({"body": "Other ((name))", "idempotencyKey": "k-old-upload"})
    assert other.batch_id != upload.batch_id


def test_the_check_job_names_the_batch_and_waits_before_it_looks(world, monkeypatch):
    from messenger.batches import logic

    monkeypatch.setattr(logic, "CHECK_DELAY_SECONDS", 17)
    put = []
    monkeypatch.setattr(world.service, "_jobs", SimpleNamespace(put=lambda body, delay=0: put.append((body, delay))))
    batch = world.service.send({"messages": rows(1), "body": "Hi", "idempotencyKey": "k-check"})
    other = world.service.send({"messages": rows(1), "body": "Hi"})
    assert put == [(job_text(batch.id, CHECK), 17), (job_text(other.id, CHECK), 17)]


def test_a_batch_of_several_slices_is_recorded_and_queued_in_its_request(world):
    world = World(world.resources, world.clock, slice_rows=2)
    batch = world.service.send({"messages": rows(5), "body": "Hi"})
    assert (batch.status, batch.slices_done, batch.slices_queued, batch.counts["QUEUED"]) == (
        BatchStatus.SENDING, 3, 3, 5)
    assert sorted(mid for _, mid in world.sends()) == sorted(m.id for m in world.records(batch.id))


def test_a_keyed_batch_replayed_after_dying_while_recording_writes_only_what_is_missing(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=2)
    commits = dies_at_call(monkeypatch, BatchesTable, "commit_slice", error=Died)
    args = {"messages": rows(5), "body": "Hi", "idempotencyKey": "k-record"}
    with pytest.raises(Died):
        world.service.send(args)
    world.table.write_calls = 0
    batch = world.service.send(args)
    assert commits == [0, 1, 1, 2] and world.table.write_calls == 1  # slice 1 was written whole: only slice 2
    assert (batch.status, batch.counts["QUEUED"]) == (BatchStatus.SENDING, 5)
    assert sorted(mid for _, mid in world.sends()) == sorted(m.id for m in world.records(batch.id))


def test_a_keyed_batch_replayed_after_dying_while_queueing_queues_only_the_slices_left(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=2)
    real, calls = SqsJobQueue.enqueue_many, []

    def dies_at_the_second(self, messages):
        calls.append(len(messages))
        if len(calls) == 2:
            raise Died()
        return real(self, messages)

    monkeypatch.setattr(SqsJobQueue, "enqueue_many", dies_at_the_second)
    args = {"messages": rows(5), "body": "Hi", "idempotencyKey": "k-queue"}
    with pytest.raises(Died):
        world.service.send(args)
    batch = world.service.send(args)
    assert calls == [2, 2, 2, 1]  # slice 0 once; slice 1 again (it died), then slice 2
    assert batch.slices_queued == 3
    assert sorted(mid for _, mid in world.sends()) == sorted(m.id for m in world.records(batch.id))


def _limits(day: int, minute: int = 1000) -> Limiter:
    limits = SimpleNamespace(client_messages_per_day=day, client_messages_per_minute=minute)
    return Limiter(LimitsTable(boto3.client("dynamodb"), settings().table_name), limits, FixedClock(NOW))


def test_batch_rows_count_against_the_clients_quotas_before_anything_is_written(world):
    world = World(world.resources, world.clock, limits=_limits(day=5, minute=4))
    with pytest.raises(LimitExceeded, match="per minute") as never:  # 5 rows never fit in 4 a minute
        world.service.send({"messages": rows(5), "body": "Hi"}, client_id="c-1", request_id="r-1")
    assert "retryAfter" not in never.value.info and never.value.info["rows"] == 5
    assert [i for i in table_items(world.resources.table_name) if not i["PK"]["S"].startswith("LIMIT#")] == []
    world.service.send({"messages": rows(3), "body": "Hi"}, client_id="c-1", request_id="r-2")
    with pytest.raises(TooManyRequests):  # 3 + 2 > 4 this minute
        world.service.send({"messages": rows(2), "body": "Hi"}, client_id="c-1", request_id="r-3")
    world.service.send({"messages": rows(1), "body": "Hi"}, client_id="c-1", request_id="r-4")
    world.service.send({"messages": rows(1), "body": "Hi"}, client_id="c-2", request_id="r-5")  # its own quota


def test_a_batch_over_the_daily_quota_is_limit_exceeded_and_a_replay_is_not_counted_again(world):
    world = World(world.resources, world.clock, limits=_limits(day=4))
    args = {"messages": rows(3), "body": "Hi", "idempotencyKey": "k"}
    first = world.service.send(args, client_id="c-1", request_id="r-1")
    assert world.service.send(args, client_id="c-1", request_id="r-2").id == first.id
    before = len(table_items(world.resources.table_name))
    with pytest.raises(LimitExceeded, match="per day") as error:
        world.service.send({"messages": rows(2), "body": "Hi"}, client_id="c-1", request_id="r-3")
    assert error.value.info["retryAfter"] == "2026-11-24T00:00:00Z"
    assert len(table_items(world.resources.table_name)) == before


def test_a_keyed_batch_counts_its_rows_once_when_it_is_made_and_never_on_a_replay(world):
    world = World(world.resources, world.clock, limits=_limits(day=4))
    args = {"messages": rows(3), "body": "Hi", "idempotencyKey": "k-quota"}
    world.service.send(args, client_id="c-1", request_id="r-1")
    with pytest.raises(LimitExceeded, match="per day"):  # 3 of 4 are used: 2 more do not fit
        world.service.send({"messages": rows(2), "body": "Hi"}, client_id="c-1", request_id="r-2")
    world.service.send(args, client_id="c-1", request_id="r-3")  # the replay takes nothing
    world.service.send({"messages": rows(1), "body": "Hi"}, client_id="c-1", request_id="r-4")


def test_batches_of_no_client_and_single_sends_of_no_caller_share_one_quota(world):
    from messenger.limits.models import DEFAULT_CLIENT, SendFacts

    quotas = SimpleNamespace(client_messages_per_day=3, client_messages_per_minute=1000, messages_per_request=100,
                             sms_per_number_per_hour=100, sms_identical_per_number_per_hour=100)
    limits = Limiter(LimitsTable(boto3.client("dynamodb"), settings().table_name), quotas, FixedClock(NOW))
    world = World(world.resources, world.clock, limits=limits)
    world.service.send({"messages": rows(2), "body": "Hi"})
    limits.admit(SendFacts(DEFAULT_CLIENT, None, "+254711000001", True, "Hi"))  # sendMessage without a caller
    with pytest.raises(LimitExceeded, match="per day"):
        world.service.send({"messages": rows(1), "body": "Hi"})


def test_aliased_batches_share_a_requests_batch_rows(world, monkeypatch):
    from messenger.limits import logic

    monkeypatch.setattr(logic, "BATCH_ROWS_PER_REQUEST", 10)  # 1,000 in the service: fewer rows to write here
    world = World(world.resources, world.clock, limits=_limits(day=10_000, minute=10_000))
    world.service.send({"messages": rows(6), "body": "Hi"}, client_id="c-1", request_id="r-1")
    with pytest.raises(LimitExceeded, match="10 batch rows per GraphQL request"):
        world.service.send({"messages": rows(5), "body": "Hi"}, client_id="c-1", request_id="r-1")
    world.service.send({"messages": rows(4), "body": "Hi"}, client_id="c-1", request_id="r-1")
    with pytest.raises(LimitExceeded, match="10 batch rows per GraphQL request"):  # a keyed one shares them too
        world.service.send({"messages": rows(1), "body": "Hi", "idempotencyKey": "k-alias"}, client_id="c-1",
                           request_id="r-1")
    with pytest.raises(LimitExceeded, match="10 batch rows"):  # more than the cap is never admitted
        world.service.send({"messages": rows(11), "body": "Hi"}, client_id="c-1", request_id="r-2")


def _upload(world, text: str, **content) -> str:
    upload = world.service.create_upload({"body": "Hi ((name))", **content}, client_id="c-1")
    boto3.client("s3").put_object(Bucket=world.resources.buckets["uploads"], Key=upload_key(upload.batch_id),
                                  Body=text.encode())
    return upload.batch_id


def test_a_scheduled_upload_is_recorded_scheduled_when_its_file_arrives(world):
    batch_id = _upload(world, "to,name\n+254711000001,A\njane@example.com,B\n", sendAt=SOON)
    batch = world.uploads.process(upload_key(batch_id))
    assert (batch.status, batch.total, batch.counts["SCHEDULED"]) == (BatchStatus.SCHEDULED, 2, 2)
    assert world.schedules.live == {f"batch-{batch_id}": (SOON, job_text(batch_id, FIRE))} and world.sends() == []
    world.at(AFTER)
    assert world.jobs.handle(batch_id, FIRE).status is BatchStatus.SENDING
    assert len(world.sends()) == 2


def test_an_upload_validated_at_its_very_send_time_goes_at_once(world):
    batch_id = _upload(world, "to,name\n+254711000001,A\n", sendAt=SOON)
    world.at(SOON)
    assert world.uploads.process(upload_key(batch_id)).status is BatchStatus.SENDING
    assert world.schedules.live == {} and len(world.sends()) == 1


def test_a_notice_of_a_released_scheduled_upload_again_queues_what_its_release_left(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=1)
    batch_id = _upload(world, "to,name\n+254711000001,A\n+254711000002,B\n", sendAt=SOON)
    world.uploads.process(upload_key(batch_id))
    world.at(AFTER)
    dies_at_call(monkeypatch, BatchesTable, "commit_queued")
    with pytest.raises(RuntimeError):
        world.jobs.handle(batch_id, FIRE)  # the schedule's release died after its first slice
    assert len(world.sends()) == 2 and world.table.get_batch(batch_id).slices_queued == 1
    batch = world.uploads.process(upload_key(batch_id))  # S3 tells of the file again
    assert (batch.status, batch.slices_queued) == (BatchStatus.SENDING, 2)
    assert [to for to, _ in world.sends()] == ["+254711000002"]  # the slice left, again: its record is claimed once


def test_an_upload_whose_fan_out_died_is_left_to_s3s_notice_not_failed_by_a_batch_job(world, monkeypatch):
    world = World(world.resources, world.clock, slice_rows=1)
    batch_id = _upload(world, "to,name\n+254711000001,A\n+254711000002,B\n")
    dies_at_call(monkeypatch, BatchesTable, "commit_slice")
    with pytest.raises(RuntimeError):
        world.uploads.process(upload_key(batch_id))
    world.at("2026-11-23T13:00:00.000Z")  # long past the stale age of a request's batch
    for kind in (CHECK, FIRE):
        assert world.jobs.handle(batch_id, kind).status is BatchStatus.SENDING  # not failed as a dead request
    batch = world.uploads.process(upload_key(batch_id))  # S3 tells of the file again
    assert (batch.status, batch.slices_done, batch.counts["QUEUED"]) == (BatchStatus.SENDING, 2, 2)


@pytest.mark.parametrize("key", ["uploads/.csv", "elsewhere/01JBATCH.csv", "uploads/01JBATCH.txt"])
def test_a_notice_of_an_object_that_is_no_upload_is_ignored(world, key):
    assert world.uploads.process(key) is None
    assert world.sends() == [] and world.batch_jobs() == []


def test_a_csv_with_a_bad_row_before_a_repeated_recipient_lists_both(world):
    batch_id = _upload(world, "to,name\n+2547,A\n+254711000001,B\n+254 711 000001,C\n")
    batch = world.uploads.process(upload_key(batch_id))
    assert [(e.row, e.field) for e in batch.errors] == [(0, "to"), (2, "to")]
    assert batch.errors[1].message == "the same recipient as row 1" and world.records(batch_id) == []
    assert (batch.status, batch.bad_rows, batch.total) == (BatchStatus.FAILED, 2, 3)  # the bad row and the repeat


def test_an_upload_over_the_daily_quota_fails_with_nothing_written(world):
    world = World(world.resources, world.clock, limits=_limits(day=2))
    batch_id = _upload(world, "to,name\n+254711000001,A\n+254711000002,B\n+254711000003,C\n")
    batch = world.uploads.process(upload_key(batch_id))
    assert batch.status is BatchStatus.FAILED and batch.total == 3 and batch.bad_rows == 0
    assert (batch.errors[0].row, batch.errors[0].field) == (0, "file") and "per day" in batch.errors[0].message
    assert world.records(batch_id) == [] and world.sends() == []
    assert [(a["id"], a["status"], a["total"]) for a in world.announced] == [(batch_id, "FAILED", 3)]


def test_an_upload_counts_against_its_own_clients_quota(world):
    world = World(world.resources, world.clock, limits=_limits(day=2))
    world.service.send({"messages": rows(2), "body": "Hi"}, client_id="c-1")  # c-1's day is used up
    batch_id = _upload(world, "to,name\n+254711000009,A\n")  # _upload: c-1's
    assert world.uploads.process(upload_key(batch_id)).status is BatchStatus.FAILED
    other = world.service.create_upload({"body": "Hi ((name))"}, client_id="c-2")
    boto3.client("s3").put_object(Bucket=world.resources.buckets["uploads"], Key=upload_key(other.batch_id),
                                  Body=b"to,name\n+254711000009,A\n")
    assert world.uploads.process(upload_key(other.batch_id)).status is BatchStatus.SENDING


def test_an_upload_cancelled_while_its_file_is_validated_sends_nothing(world, monkeypatch):
    batch_id = _upload(world, "to,name\n+254711000001,A\n+254711000002,B\n")
    validate = world.uploads._validate

    def validate_while_the_client_cancels(batch):
        answer = validate(batch)
        world.service.cancel(batch_id, "c-1")
        return answer

    monkeypatch.setattr(world.uploads, "_validate", validate_while_the_client_cancels)
    assert world.uploads.process(upload_key(batch_id)).status is BatchStatus.CANCELLED
    assert world.records(batch_id) == [] and world.sends() == []


def test_a_scheduled_upload_validated_after_its_time_is_sent_once_even_when_the_index_lags(world, monkeypatch):
    from messenger.batches import jobs

    monkeypatch.setattr(jobs, "INDEX_RETRY_SECONDS", 0)  # moto holds a delayed message back as SQS does
    batch_id = _upload(world, "to,name\n+254711000001,A\njane@example.com,B\n", sendAt=SOON)
    world.at(AFTER)  # its file is validated after its sendAt: it goes at once
    real, reads = BatchesTable.batch_messages, []

    def lags_once(self, *args, **kwargs):
        reads.append(1)
        return iter(()) if len(reads) == 1 else real(self, *args, **kwargs)

    monkeypatch.setattr(BatchesTable, "batch_messages", lags_once)
    assert world.uploads.process(upload_key(batch_id)).status is BatchStatus.SENDING
    assert world.sends() == [] and world.batch_jobs() == [(batch_id, FIRE)]  # tried again shortly
    world.jobs.handle(batch_id, FIRE)
    assert len(world.sends()) == 2
    world.uploads.process(upload_key(batch_id))  # S3's notice delivered again: nothing more goes out
    world.jobs.handle(batch_id, FIRE)
    assert world.sends() == []

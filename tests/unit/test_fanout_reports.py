"""What one fan-out reports (the slices, records, jobs and suppressions it handled: its log line says
them), also when it resumes after a crash, and what a RecordsMissing says is missing."""

from __future__ import annotations

import pytest
from messenger.batches.dal import BatchesTable
from messenger.batches.fanout import Fanout, RecordsMissing
from messenger.batches.logic import upload_key
from messenger.core.settings import settings
from messenger.suppressions.models import Suppression

from tests.support import dies_at_call, empty_table, moto_service
from tests.unit.test_batches import World, _upload, rows

SUPPRESSED = "+254711000003"  # row 3: the second slice's second row


@pytest.fixture(scope="module")
def service():
    with moto_service() as resources:
        yield resources


@pytest.fixture
def world(service):
    empty_table(service.table_name)
    settings.cache_clear()
    world = World(service, slice_rows=2)  # 5 rows: slices 0 (rows 0-1), 1 (rows 2-3), 2 (row 4)
    world.jobs()
    world.suppressions.add(Suppression(SUPPRESSED, "opt-out", "2026-11-23T00:00:00.000Z"))
    return world


def reports_of(monkeypatch, method: str) -> list:
    """The reports `Fanout.<method>` returns from now on, in order."""
    reports, real = [], getattr(Fanout, method)

    def keep(self, *args, **kwargs):
        reports.append(real(self, *args, **kwargs))
        return reports[-1]

    monkeypatch.setattr(Fanout, method, keep)
    return reports


def forget_record(world, to: str) -> None:
    [item] = [m for m in world.messages() if m["to"]["S"] == to]
    world.db.delete_item(TableName=world.resources.table_name, Key={"PK": item["PK"], "SK": item["SK"]})


def test_a_resumed_csv_fan_out_reports_only_what_it_did_itself(world, monkeypatch):
    batch_id = _upload(world, "to,name\n" + "".join(f"+2547110000{n:02d},N{n}\n" for n in range(5)))
    dies_at_call(monkeypatch, BatchesTable, "commit_slice")  # after writing the second slice, before counting it
    with pytest.raises(RuntimeError):
        world.uploads.process(upload_key(batch_id))
    forget_record(world, "+254711000002")  # the crash left the second slice half written
    reports = reports_of(monkeypatch, "run")
    world.uploads.process(upload_key(batch_id))
    [report] = reports
    assert (report.slices, report.written, report.skipped_existing, report.queued, report.suppressed) == (2, 2, 1, 2, 1)


def test_a_resumed_request_batch_reports_what_it_recorded_then_what_it_queued(world, monkeypatch):
    args = {"messages": rows(5), "body": "Hi ((name))", "idempotencyKey": "resume-1"}
    dies_at_call(monkeypatch, BatchesTable, "commit_slice")  # after writing the second slice, before counting it
    with pytest.raises(RuntimeError):
        world.service.send(args)
    forget_record(world, "user2@example.com")
    recorded, queued = reports_of(monkeypatch, "record"), reports_of(monkeypatch, "queue_recorded")
    world.service.send(args)  # the client's retry with its key resumes the batch
    [record], [queue] = recorded, queued
    assert (record.slices, record.written, record.skipped_existing, record.suppressed) == (2, 2, 1, 1)
    assert record.failed_ids == {m["id"]["S"] for m in world.messages() if m["to"]["S"] == SUPPRESSED}
    assert (queue.slices, queue.queued) == (3, 4)
    assert sorted(to for to, _ in world.jobs()) == sorted(r["to"] for i, r in enumerate(rows(5)) if i != 3)


def test_queueing_from_the_table_resumes_at_slices_queued_and_names_what_is_missing(world):
    batch = world.service.send({"messages": rows(5), "body": "Hi ((name))"})
    world.jobs()

    def from_slice_one():
        world.db.update_item(TableName=world.resources.table_name, Key={"PK": {"S": f"BATCH#{batch.id}"}, "SK": {"S": "BATCH"}},
                             UpdateExpression="SET slicesQueued = :one", ExpressionAttributeValues={":one": {"N": "1"}})  # fmt: skip
        return world.table.get_batch(batch.id)

    report = world.fanout.queue_recorded(from_slice_one())
    assert (report.slices, report.queued) == (2, 2)  # rows 2 and 4; row 3 is suppressed
    assert sorted(to for to, _ in world.jobs()) == ["user2@example.com", "user4@example.com"]
    forget_record(world, "user4@example.com")  # the last slice not in the index yet
    with pytest.raises(RecordsMissing, match=r"^1 slice\(s\) not found yet$"):
        world.fanout.queue_recorded(from_slice_one())
    forget_record(world, "user2@example.com")  # and half of slice 1
    with pytest.raises(RecordsMissing, match="^slice 1: 2 records expected, 1 found$"):
        world.fanout.queue_recorded(from_slice_one())

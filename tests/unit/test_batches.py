"""Batches: validation of every row before anything is written, the fan-out in bulk, counts, idempotency,
CSV uploads. Through the real data-access layer and queue adapter, on moto in-process."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from messenger.adapters.queue import SqsJobQueue, parse_job
from messenger.adapters.s3 import UploadBucket
from messenger.batches.dal import BatchesTable
from messenger.batches.fanout import Fanout
from messenger.batches.logic import BatchService, upload_key
from messenger.batches.models import BatchRejected, BatchStatus
from messenger.batches.uploads import UploadProcessor
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.errors import BadRequest, Conflict
from messenger.core.settings import settings
from messenger.messages.batch_counts import BatchCountListener
from messenger.messages.models import DeliveryStatus, Provider
from messenger.suppressions.dal import SuppressionsTable
from messenger.suppressions.models import Suppression

from tests.support import dies_at_call, empty_table, moto_service, table_items


class World:
    def __init__(self, resources, slice_rows: int = 250) -> None:
        self.resources = resources
        self.db = boto3.client("dynamodb")
        self.table = BatchesTable(self.db, resources.table_name, sleep=lambda _: None)
        self.queue = SqsJobQueue(boto3.client("sqs"), resources.queues["outbound"].url)
        self.suppressions = SuppressionsTable(self.db, resources.table_name)
        self.bucket = UploadBucket(boto3.client("s3"), resources.buckets["uploads"])
        self.fanout = Fanout(self.table, self.queue, self.suppressions, SystemClock(), slice_rows=slice_rows)
        self.service = BatchService(self.table, self.fanout, settings(), SystemClock(), new_message_id,
                                    uploads=self.bucket)
        self.uploads = UploadProcessor(self.table, self.fanout, self.bucket, settings(), SystemClock())

    def jobs(self) -> list[tuple[str, str]]:
        sqs, found = boto3.client("sqs"), []
        while batch := sqs.receive_message(QueueUrl=self.resources.queues["outbound"].url,
                                           MaxNumberOfMessages=10).get("Messages", []):
            found += [parse_job(m["Body"]) for m in batch]
        return found

    def messages(self) -> list[dict]:
        return [i for i in table_items(self.resources.table_name) if i["PK"]["S"].startswith("MESSAGE#")]


@pytest.fixture(scope="module")
def service():
    with moto_service() as resources:
        yield resources


@pytest.fixture
def world(service):
    """One moto for the module (its start costs seconds); each test starts from an empty table and queue."""
    empty_table(service.table_name)
    settings.cache_clear()
    world = World(service)
    world.jobs()  # drained
    return world


def rows(n: int, bad=()) -> list[dict]:
    out = []
    for i in range(n):
        to = f"+2547110{i:05d}" if i % 2 else f"user{i}@example.com"
        out.append({"to": "not a number" if i in bad else to, "deliveryMethod": "SMS" if i % 2 else "EMAIL",
                    "personalisation": json.dumps({"name": f"N{i}"})})
    return out


def test_two_bad_rows_of_fifty_are_listed_and_nothing_is_written_or_queued(world):
    with pytest.raises(BatchRejected) as error:
        world.service.send({"messages": rows(50, bad={7, 31}), "body": "Hi ((name))", "subject": "S"})
    info = error.value.info
    assert error.value.error_type == "BadRequest"
    assert info["badRows"] == 2 and [(r["row"], r["field"]) for r in info["rows"]] == [(7, "to"), (31, "to")]
    assert table_items(world.resources.table_name) == [] and world.jobs() == []


def test_missing_placeholders_and_duplicate_recipients_are_row_errors(world):
    batch = rows(4)
    batch[2]["personalisation"] = None
    batch[3] = dict(batch[1])  # the same number again
    with pytest.raises(BatchRejected) as error:
        world.service.send({"messages": batch, "body": "Hi ((name))"})
    assert [(r["row"], r["field"]) for r in error.value.info["rows"]] == [(2, "personalisation"), (3, "to")]
    assert "row 1" in error.value.info["rows"][1]["message"]


def test_only_the_first_hundred_bad_rows_are_listed(world):
    with pytest.raises(BatchRejected) as error:
        world.service.send({"messages": rows(300, bad=set(range(0, 300, 2))), "body": "Hi"})
    assert error.value.info["badRows"] == 150 and len(error.value.info["rows"]) == 100


@pytest.mark.parametrize("args", [{"messages": [], "body": "x"}, {"messages": rows(1001), "body": "x"},
                                  {"messages": rows(1)}, {"messages": rows(1), "body": "x", "templateId": "t"},
                                  {"messages": rows(1), "body": "bad ((placeholder"}])
def test_a_request_without_valid_rows_or_content_is_bad(world, args):
    with pytest.raises(BadRequest):
        world.service.send(args)


def test_a_valid_batch_is_written_in_bulk_personalised_and_queued(world):
    batch = world.service.send({"messages": rows(60), "body": "Hi ((name))", "subject": "For ((name))",
                                "reference": "promo"})
    assert (batch.status, batch.total, batch.counts["QUEUED"]) == (BatchStatus.SENDING, 60, 60)
    messages = {m["to"]["S"]: m for m in world.messages()}
    assert len(messages) == 60
    assert messages["user0@example.com"]["body"]["S"] == "Hi N0"
    assert messages["user0@example.com"]["subject"]["S"] == "For N0"
    assert messages["+254711000001"]["provider"]["S"] == "AFRICASTALKING" and "subject" not in messages["+254711000001"]
    assert {m["batchId"]["S"] for m in messages.values()} == {batch.id}
    assert {m["deliveryStatus"]["S"] for m in messages.values()} == {"QUEUED"}
    assert world.table.write_calls == 3  # 60 records, 25 a call
    assert world.queue.calls == 6  # 60 jobs, 10 a call
    assert sorted(to for to, _ in world.jobs()) == sorted(messages)


def test_suppressed_recipients_are_recorded_failed_and_not_queued(world):
    world.suppressions.add(Suppression("user0@example.com", "bounce", "2026-11-23T00:00:00.000Z"))
    batch = world.service.send({"messages": rows(2), "body": "Hi ((name))"})
    assert batch.counts["FAILED"] == 1 and batch.counts["QUEUED"] == 1
    assert [to for to, _ in world.jobs()] == ["+254711000001"]
    [failed] = [i for i in world.messages() if i["deliveryStatus"]["S"] == "FAILED"]
    assert failed["failureReason"]["S"] == "Suppressed: bounce" and failed["completedAt"]["S"] == failed["createdAt"]["S"]
    record = world.table.get(failed["to"]["S"], failed["id"]["S"])
    assert [(e.status, e.at, e.detail) for e in record.events] == [
        (DeliveryStatus.FAILED, record.created_at, "Suppressed: bounce")]


def test_the_same_idempotency_key_returns_the_same_batch_and_another_input_conflicts(world):
    args = {"messages": rows(3), "body": "Hi ((name))", "idempotencyKey": "k-1"}
    first = world.service.send(args)
    again = world.service.send(args)
    assert again.id == first.id and len(world.messages()) == 3 and len(world.jobs()) == 3
    with pytest.raises(Conflict) as conflict:
        world.service.send({**args, "body": "Other ((name))"})
    assert (conflict.value.message, conflict.value.info) == (
        "idempotencyKey: this key was used with a different input", {"field": "idempotencyKey"})


def test_a_message_key_named_like_a_batch_key_is_a_conflict_either_way_round(world):
    """sendBatch keeps key k as "BATCH#k"; a sendMessage may use "BATCH#k" itself: neither answers
    with the other's record, and neither fails on it."""
    from messenger.sending.dal import SendingTable
    from messenger.sending.service import MessageService

    from tests.fakes import FakeChannel, FakeQueue

    sms = FakeChannel("sns")
    messages = MessageService(SendingTable(world.db, world.resources.table_name), {Provider.SNS: sms}, FakeQueue(),
                              settings(), SystemClock(), new_message_id)  # fmt: skip
    one = {"to": "+254711000009", "body": "Hi", "deliveryMethod": "SMS", "provider": "SNS"}
    world.service.send({"messages": rows(2), "body": "Hi ((name))", "idempotencyKey": "k-a"})
    with pytest.raises(Conflict, match="^idempotencyKey: this key was used with a different input$"):
        messages.send({**one, "idempotencyKey": "BATCH#k-a"})
    assert sms.sent == [] and len(world.messages()) == 2
    first = messages.send({**one, "idempotencyKey": "BATCH#k-b"})
    with pytest.raises(Conflict, match="^idempotencyKey: this key was used with a different input$"):
        world.service.send({"messages": rows(2), "body": "Hi ((name))", "idempotencyKey": "k-b"})
    assert [m.id for m in sms.sent] == [first.id] and len(world.messages()) == 3
    assert [b.total for b in world.table.page_batches(10, None)[0]] == [2]  # the first batch only


def test_a_key_whose_batch_has_gone_is_an_internal_error_not_a_second_batch(world):
    from messenger.core.errors import MessagingError

    args = {"messages": rows(3), "body": "Hi ((name))", "idempotencyKey": "k-gone"}
    first = world.service.send(args)
    world.db.delete_item(TableName=world.resources.table_name,
                         Key={"PK": {"S": f"BATCH#{first.id}"}, "SK": {"S": "BATCH"}})
    world.jobs()
    with pytest.raises(MessagingError) as failed:
        world.service.send(args)
    assert (failed.value.error_type, failed.value.message) == ("InternalError", "the batch this key created is missing")
    assert len(world.messages()) == 3 and world.jobs() == []


def test_a_batch_idempotency_key_answers_only_the_client_that_used_it(world):
    args = {"messages": rows(2), "body": "Hi ((name))", "idempotencyKey": "k-1"}
    first = {who: world.service.send(args, client_id=who) for who in ("01JCLIENTALICE", "01JCLIENTBOB", "stack")}
    assert len({b.id for b in first.values()}) == 3 and len(world.jobs()) == 6  # three batches, each sent
    assert {who: world.service.send(args, client_id=who).id for who in first} == {w: b.id for w, b in first.items()}
    assert world.jobs() == []  # the replays sent nothing
    keys = sorted(i["PK"]["S"] for i in table_items(world.resources.table_name) if i["PK"]["S"].startswith("IDEMPOTENCY"))
    assert keys == ["IDEMPOTENCY#BATCH#k-1", "IDEMPOTENCY-CLIENT#01JCLIENTALICE#BATCH#k-1",
                    "IDEMPOTENCY-CLIENT#01JCLIENTBOB#BATCH#k-1"]


def test_a_batch_key_a_client_used_before_keys_were_named_per_client_still_replays_for_it_only(world):
    args = {"messages": rows(2), "body": "Hi ((name))", "idempotencyKey": "k-7"}
    first = world.service.send(args, client_id="01JCLIENTALICE")
    world.jobs()
    [item] = [i for i in table_items(world.resources.table_name) if i["PK"]["S"].startswith("IDEMPOTENCY")]
    world.db.delete_item(TableName=world.resources.table_name, Key={"PK": item["PK"], "SK": item["SK"]})
    old_name = {"S": "IDEMPOTENCY#BATCH#k-7"}  # as the release before per-client names wrote it
    world.db.put_item(TableName=world.resources.table_name, Item={**item, "PK": old_name, "SK": old_name})
    assert world.service.send(args, client_id="01JCLIENTALICE").id == first.id and world.jobs() == []
    assert world.service.send(args, client_id="01JCLIENTBOB").id != first.id and len(world.jobs()) == 2


def test_counts_move_with_each_status_and_the_batch_completes_when_all_are_final(world):
    batch = world.service.send({"messages": rows(2), "body": "Hi ((name))"})
    listener = BatchCountListener(world.table, SystemClock())
    from messenger.messages.status import StatusWriter

    writer = StatusWriter(world.table, SystemClock(), [listener])
    stored = [world.table.get(to, mid) for to, mid in world.jobs()]
    accepted = [writer.move(m, DeliveryStatus.ACCEPTED) for m in stored]
    assert world.table.get_batch(batch.id).counts["ACCEPTED"] == 2
    writer.move(accepted[0], DeliveryStatus.DELIVERED)
    assert world.table.get_batch(batch.id).status is BatchStatus.SENDING
    writer.move(accepted[1], DeliveryStatus.FAILED)
    done = world.table.get_batch(batch.id)
    assert done.status is BatchStatus.COMPLETED
    assert (done.counts["QUEUED"], done.counts["ACCEPTED"], done.counts["DELIVERED"], done.counts["FAILED"]) == (0, 0, 1, 1)


def test_batches_page_newest_first(world):
    ids = [world.service.send({"messages": rows(1), "body": "x"}).id for _ in range(3)]
    page = world.service.page({"first": 2})
    assert [b["id"] for b in page["data"]] == ids[::-1][:2] and page["pageInfo"]["hasNextPage"]
    rest = world.service.page({"first": 2, "after": page["pageInfo"]["endCursor"]})
    assert [b["id"] for b in rest["data"]] == ids[:1] and not rest["pageInfo"]["hasNextPage"]


def _upload(world, text: str, **content) -> str:
    upload = world.service.create_upload({"body": "Hi ((name))", **content})
    assert world.table.get_batch(upload.batch_id).status is BatchStatus.VALIDATING
    boto3.client("s3").put_object(Bucket=world.resources.buckets["uploads"], Key=upload_key(upload.batch_id),
                                  Body=text.encode())
    return upload.batch_id


def test_a_csv_upload_is_validated_then_fanned_out(world):
    lines = ["to,name"] + [f"+2547110{i:05d},N{i}" for i in range(30)] + ["jane@example.com,Jane"]
    batch_id = _upload(world, "\n".join(lines) + "\n")
    batch = world.uploads.process(upload_key(batch_id))
    assert (batch.status, batch.total, batch.counts["QUEUED"]) == (BatchStatus.SENDING, 31, 31)
    by_to = {m["to"]["S"]: m for m in world.messages()}
    assert by_to["jane@example.com"]["deliveryMethod"]["S"] == "EMAIL" and by_to["jane@example.com"]["body"]["S"] == "Hi Jane"
    assert len(world.jobs()) == 31
    assert world.uploads.process(upload_key(batch_id)).counts["QUEUED"] == 31  # a repeated notification adds nothing


def test_a_csv_is_read_once_to_check_and_once_to_send_and_once_more_only_for_suspected_repeats(world, monkeypatch):
    reads, real = [], UploadBucket.lines
    monkeypatch.setattr(UploadBucket, "lines", lambda self, key: reads.append(key) or real(self, key))
    lines = "".join(f"+2547110{i:05d},N{i}\n" for i in range(200))
    batch_id = _upload(world, "to,name\n" + lines)
    assert world.uploads.process(upload_key(batch_id)).counts["QUEUED"] == 200
    assert reads == [upload_key(batch_id)] * 2  # no row was suspected of repeating another
    reads.clear()
    repeated = _upload(world, "to,name\n" + lines + "+254711000007,again\n")
    assert world.uploads.process(upload_key(repeated)).bad_rows == 1
    assert reads == [upload_key(repeated)] * 2  # checked, then read again for the repeats; nothing sent


def test_a_csv_upload_records_suppressed_recipients_failed_and_queues_the_others(world):
    world.suppressions.add(Suppression("+254711000002", "opt-out", "2026-11-23T00:00:00.000Z"))
    batch_id = _upload(world, "to,name\n+254711000001,A\n+254711000002,B\n+254711000003,C\n")
    batch = world.uploads.process(upload_key(batch_id))
    assert (batch.counts["QUEUED"], batch.counts["FAILED"]) == (2, 1)
    assert sorted(to for to, _ in world.jobs()) == ["+254711000001", "+254711000003"]
    by_to = {m["to"]["S"]: m for m in world.messages()}
    assert by_to["+254711000002"]["failureReason"]["S"] == "Suppressed: opt-out"


def test_a_csv_whose_every_recipient_is_suppressed_completes_at_once_and_is_announced(world):
    announced = []
    world.fanout = Fanout(world.table, world.queue, world.suppressions, SystemClock(), on_final=announced.append)
    world.uploads = UploadProcessor(world.table, world.fanout, world.bucket, settings(), SystemClock())
    for n in (1, 2):
        world.suppressions.add(Suppression(f"+25471100000{n}", "opt-out", "2026-11-23T00:00:00.000Z"))
    batch_id = _upload(world, "to,name\n+254711000001,A\n+254711000002,B\n")
    world.uploads.process(upload_key(batch_id))
    batch = world.table.get_batch(batch_id)
    assert (batch.status, batch.counts["FAILED"], batch.completed_at is not None) == (BatchStatus.COMPLETED, 2, True)
    assert [(a["id"], a["status"], a["total"]) for a in announced] == [(batch_id, "COMPLETED", 2)]
    assert world.jobs() == []


def test_a_csv_fan_out_that_died_between_slices_resumes_where_it_stopped(world, monkeypatch):
    world = World(world.resources, slice_rows=2)
    batch_id = _upload(world, "to,name\n" + "".join(f"+2547110000{n:02d},N{n}\n" for n in range(5)))
    commits = dies_at_call(monkeypatch, BatchesTable, "commit_slice")
    with pytest.raises(RuntimeError):
        world.uploads.process(upload_key(batch_id))
    assert world.table.get_batch(batch_id).slices_done == 1 and len(world.messages()) == 4
    world.table.write_calls = 0
    batch = world.uploads.process(upload_key(batch_id))  # S3's notice again, or the check job
    assert (batch.status, batch.slices_done, batch.counts["QUEUED"]) == (BatchStatus.SENDING, 3, 5)
    assert commits == [0, 1, 1, 2]  # the broken slice again, then the rest: never the first twice
    assert world.table.write_calls == 1  # the second slice's records were all there: only the last one's
    jobs = [to for to, _ in world.jobs()]
    assert sorted(set(jobs)) == [f"+2547110000{n:02d}" for n in range(5)] and len(jobs) == 7  # slice 1 twice


def test_a_csv_with_one_bad_row_fails_with_nothing_written_or_queued(world):
    batch_id = _upload(world, "to,name\n+254711000001,A\n+2547,B\n+254711000003,C\n")
    batch = world.uploads.process(upload_key(batch_id))
    assert batch.status is BatchStatus.FAILED and batch.bad_rows == 1
    assert [(e.row, e.field) for e in batch.errors] == [(1, "to")]
    assert world.messages() == [] and world.jobs() == []


def test_a_csv_repeating_a_recipient_fails_naming_the_row_it_repeats(world):
    batch_id = _upload(world, "to,name\n+254711000001,A\njane@example.com,B\n+254 711 000001,C\n")
    batch = world.uploads.process(upload_key(batch_id))
    assert batch.status is BatchStatus.FAILED and batch.bad_rows == 1
    assert [(e.row, e.field, e.message) for e in batch.errors] == [(2, "to", "the same recipient as row 0")]
    assert world.messages() == []


def test_a_csv_without_a_to_column_or_over_the_row_limit_fails(world, monkeypatch):
    batch_id = _upload(world, "number,name\n+254711000001,A\n")
    failed = world.uploads.process(upload_key(batch_id))
    assert [(e.row, e.field, e.message) for e in failed.errors] == [
        (0, "file", "the first line must name the columns, with a `to` column")]
    assert (failed.total, failed.bad_rows) == (0, 1)
    assert world.uploads.process(upload_key(_upload(world, ""))).errors[0].field == "file"  # no first line at all
    headers_only = world.uploads.process(upload_key(_upload(world, "to,name\n")))
    assert [(e.row, e.field, e.message) for e in headers_only.errors] == [(0, "file", "has no rows")]
    assert (headers_only.status, headers_only.total, headers_only.bad_rows) == (BatchStatus.FAILED, 0, 1)
    monkeypatch.setenv("BATCH_UPLOAD_MAX_ROWS", "2")
    settings.cache_clear()  # the next test's world clears it again
    world.uploads = UploadProcessor(world.table, world.fanout, world.bucket, settings(), SystemClock())
    batch_id = _upload(world, "to,name\n+254711000001,A\n+254711000002,B\n+254711000003,C\n")
    failed = world.uploads.process(upload_key(batch_id))
    assert failed.status is BatchStatus.FAILED and failed.bad_rows == 1
    assert [(e.row, e.field, e.message) for e in failed.errors] == [(2, "file", "has more than 2 rows")]


def test_a_file_that_is_not_utf_8_fails_at_the_row_it_was_read_to(world):
    batch_id = _upload(world, "")
    good = "".join(f"+2547110{n:05d},A\n" for n in range(2, 2000))  # 40 kB: read in several pieces
    body = ("to,name\n+254711000001,A\n+2547,B\n" + good).encode() + b"+254711099999,\xff\n"
    boto3.client("s3").put_object(Bucket=world.resources.buckets["uploads"], Key=upload_key(batch_id), Body=body)
    failed = world.uploads.process(upload_key(batch_id))
    assert failed.status is BatchStatus.FAILED and failed.bad_rows == 2 and 2 < failed.total <= 2000
    assert [(e.row, e.field, e.message) for e in failed.errors][1:] == [(failed.total, "file", "is not a UTF-8 CSV file")]
    assert (failed.errors[0].row, failed.errors[0].field) == (1, "to") and world.messages() == []


def test_every_bad_row_is_counted_and_the_first_hundred_listed(world):
    lines = "".join(f"+2547,{n}\n" for n in range(105))
    failed = world.uploads.process(upload_key(_upload(world, "to,name\n" + lines)))
    assert (failed.total, failed.bad_rows, len(failed.errors)) == (105, 105, 100)
    assert [e.row for e in failed.errors] == list(range(100))


@pytest.mark.parametrize("bits", [None, 64])  # 64: a filter so small that every row is a suspect
def test_repeats_among_many_recipients_are_all_found_and_nothing_else(world, monkeypatch, bits):
    from messenger.batches import uploads

    if bits:
        monkeypatch.setattr(uploads, "DUPLICATE_BITS", bits)
    numbers = [f"+2547110{n:05d}" for n in range(3000)]
    lines = [f"{to},x" for to in numbers] + [f"{numbers[0]},x", f"{numbers[1500]},x", f"{numbers[2999]},x"]
    failed = world.uploads.process(upload_key(_upload(world, "to,name\n" + "\n".join(lines) + "\n")))
    assert [(e.row, e.message) for e in failed.errors] == [
        (3000, "the same recipient as row 0"), (3001, "the same recipient as row 1500"),
        (3002, "the same recipient as row 2999")]
    assert failed.bad_rows == 3 and world.messages() == []


def test_a_batch_by_template_renders_each_row_and_refuses_rows_of_the_other_channel(world):
    from messenger.templates.dependencies import template_service

    template = template_service().create({"input": {"name": "code", "channel": "SMS", "body": "Code ((code))"}})
    world.service = BatchService(world.table, world.fanout, settings(), SystemClock(), new_message_id,
                                 render=lambda args, method: template_service().for_send(args, method))
    sms = [{"to": f"+2547110000{i:02d}", "deliveryMethod": "SMS", "personalisation": {"code": str(i)}} for i in range(2)]
    with pytest.raises(BatchRejected) as error:
        world.service.send({"messages": [*sms, {"to": "a@example.com", "deliveryMethod": "EMAIL"}],
                            "templateId": template.id})
    assert [(r["row"], r["field"]) for r in error.value.info["rows"]] == [(2, "templateId")]
    batch = world.service.send({"messages": sms, "templateId": template.id, "templateVersion": 1})
    bodies = sorted(m["body"]["S"] for m in world.messages())
    assert bodies == ["Code 0", "Code 1"] and {m["templateId"]["S"] for m in world.messages()} == {template.id}
    assert batch.total == 2


def test_a_csv_by_template_is_rendered_row_by_row_and_its_records_keep_client_and_retention(world):
    from messenger.messages import ulids
    from messenger.templates.dependencies import template_service

    template = template_service().create({"input": {"name": "code", "channel": "SMS", "body": "Code ((code))"}})
    render = lambda args, method: template_service().for_send(args, method)  # noqa: E731
    world.service = BatchService(world.table, world.fanout, settings(), SystemClock(), new_message_id,
                                 uploads=world.bucket, render=render)
    world.uploads = UploadProcessor(world.table, world.fanout, world.bucket, settings(), SystemClock(), render)
    upload = world.service.create_upload({"templateId": template.id}, client_id="c-9")
    boto3.client("s3").put_object(Bucket=world.resources.buckets["uploads"], Key=upload_key(upload.batch_id),
                                  Body=b"to,code\n+254711000001,11\n+254711000002,22\n")
    assert world.uploads.process(upload_key(upload.batch_id)).counts["QUEUED"] == 2
    records = sorted(world.messages(), key=lambda m: m["to"]["S"])
    assert [m["body"]["S"] for m in records] == ["Code 11", "Code 22"]
    assert {m["clientId"]["S"] for m in records} == {"c-9"}
    created = ulids.milliseconds_of(upload.batch_id) // 1000
    assert {int(m["expiresAt"]["N"]) for m in records} == {created + settings().message_retention_days * 86_400}


def test_the_write_that_makes_a_batch_final_answers_its_summary_once(world):
    """BATCH_COMPLETED's single trigger: of two conditional writes, only one gets the batch back."""
    announced = []
    fanout = Fanout(world.table, world.queue, world.suppressions, SystemClock(), on_final=announced.append)
    service = BatchService(world.table, fanout, settings(), SystemClock(), new_message_id, uploads=world.bucket)
    world.suppressions.add(Suppression("user0@example.com", "bounce", "2026-11-23T00:00:00.000Z"))
    batch = service.send({"messages": rows(1), "body": "Hi ((name))", "reference": "r-1"}, client_id="shop")
    assert batch.status is BatchStatus.COMPLETED and batch.client_id == "shop"  # every row suppressed
    assert [(s["id"], s["status"], s["total"], s["counts"], s["reference"], s["clientId"]) for s in announced] == [
        (batch.id, "COMPLETED", 1, {"FAILED": 1}, "r-1", "shop")]
    assert world.table.complete_batch(batch.id, "2026-11-23T10:00:00.000Z") is None  # a racing writer: nothing

    sent = service.send({"messages": rows(2)[1:], "body": "Hi ((name))"}, client_id="shop")
    assert {m["clientId"]["S"] for m in world.messages() if m["batchId"]["S"] == sent.id} == {"shop"}

    uploads = UploadProcessor(world.table, fanout, world.bucket, settings(), SystemClock())  # announces through its fan-out
    upload = service.create_upload({"body": "Hi ((name))"}, client_id="crm")
    boto3.client("s3").put_object(Bucket=world.resources.buckets["uploads"], Key=upload_key(upload.batch_id),
                                  Body=b"to,name\n+2547,B\n")
    assert uploads.process(upload_key(upload.batch_id)).status is BatchStatus.FAILED
    assert uploads.process(upload_key(upload.batch_id)).status is BatchStatus.FAILED  # notified again: ignored
    assert [(s["status"], s["badRows"], s["clientId"]) for s in announced[1:]] == [("FAILED", 1, "crm")]


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"body": "Hi", "messages": []}, "messages", "give 1 to 1000 messages (a CSV upload takes more)"),
    ({"body": "Hi", "messages": "x"}, "messages", "give 1 to 1000 messages (a CSV upload takes more)"),
    ({"body": "Hi"}, "messages", "give 1 to 1000 messages (a CSV upload takes more)"),
    ({"body": "Hi", "messages": rows(1), "sendAt": "2099-01-01T00:00:00Z"}, "sendAt", "is more than 35 days ahead"),
])
def test_a_request_that_is_not_a_batch_is_refused_with_nothing_written(world, args, field, message):
    with pytest.raises(BadRequest) as refused:
        world.service.send(args)
    assert (refused.value.field, str(refused.value)) == (field, f"{field}: {message}")
    assert world.messages() == [] and world.service.page({})["data"] == []


def test_a_batch_may_hold_exactly_the_most_rows_a_request_takes(world, monkeypatch):
    import messenger.batches.logic as logic

    monkeypatch.setattr(logic, "MAX_REQUEST_ROWS", 3)  # 1,000 in the product: the same comparison, fewer writes
    with pytest.raises(BadRequest, match="give 1 to 3 messages"):
        world.service.send({"body": "Hi ((name))", "messages": rows(4)})
    assert world.service.send({"body": "Hi ((name))", "messages": rows(3)}).total == 3


def test_without_schedules_or_uploads_those_requests_are_refused(world):
    bare = BatchService(world.table, world.fanout, settings(), SystemClock(), new_message_id)
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(BadRequest) as refused:
        bare.send({"body": "Hi", "messages": rows(1), "sendAt": soon})
    assert str(refused.value) == "sendAt: scheduled sends are not available here"
    with pytest.raises(BadRequest) as refused:
        bare.create_upload({"body": "Hi"})
    assert str(refused.value) == "input: uploads are not available here"
    with pytest.raises(BadRequest) as refused:
        world.service.create_upload({"body": "Hi", "messages": rows(1)})
    assert str(refused.value) == "messages: the rows come in the uploaded CSV file"
    assert world.messages() == [] and world.service.page({})["data"] == []


def test_an_s3_notification_names_its_created_objects_and_the_test_event_none(world):  # world: the worker's settings
    from messenger.batches.worker import object_keys

    created = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "uploads/B1.csv"}}},
                           {"eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "uploads/B2.csv"}}},
                           {"eventName": "ObjectCreated:Copy", "s3": {"object": {"key": "uploads/my+batch%21.csv"}}}]}
    assert object_keys(json.dumps(created)) == ["uploads/B1.csv", "uploads/my batch!.csv"]
    assert object_keys(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Records": created["Records"]})) == []


class Stingy:
    """DynamoDB that, on the first bulk call of each kind, does half the work and hands the rest back."""

    def __init__(self, db) -> None:
        self._db, self.first_write, self.first_read = db, True, True

    def __getattr__(self, name):
        return getattr(self._db, name)

    def batch_write_item(self, RequestItems):  # noqa: N803 - boto3's names
        [(table, requests)] = RequestItems.items()
        if self.first_write and len(requests) > 1:
            self.first_write = False
            half = len(requests) // 2
            self._db.batch_write_item(RequestItems={table: requests[:half]})
            return {"UnprocessedItems": {table: requests[half:]}}
        return self._db.batch_write_item(RequestItems=RequestItems)

    def batch_get_item(self, RequestItems):  # noqa: N803
        [(table, request)] = RequestItems.items()
        if self.first_read and len(request["Keys"]) > 1:
            self.first_read = False
            half = len(request["Keys"]) // 2
            answer = self._db.batch_get_item(RequestItems={table: {**request, "Keys": request["Keys"][:half]}})
            return {**answer, "UnprocessedKeys": {table: {**request, "Keys": request["Keys"][half:]}}}
        return self._db.batch_get_item(RequestItems=RequestItems)


def test_records_dynamodb_leaves_unprocessed_are_written_and_read_again(world):
    from messenger.messages.models import DeliveryMethod, Message, Provider

    pauses = []
    table = BatchesTable(Stingy(world.db), world.resources.table_name, sleep=pauses.append)
    messages = [Message(new_message_id(), f"user{i}@example.com", "Hi", DeliveryMethod.EMAIL, DeliveryStatus.QUEUED,
                        Provider.SES, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", subject="s")
                for i in range(30)]  # fmt: skip
    assert table.put_messages(messages) == 3  # 25 in two calls (half handed back), then 5
    assert sorted(m["to"]["S"] for m in world.messages()) == sorted(m.to for m in messages)
    assert table.existing(messages) == {m.id for m in messages}
    assert pauses == [0.05, 0.05]  # one pause before each second try


def test_the_suppression_check_of_a_large_batch_keeps_within_dynamodbs_limit_of_100_keys_a_call(world):
    class Limited(Stingy):
        calls: list[int] = []

        def batch_get_item(self, RequestItems):  # noqa: N803
            [(_, request)] = RequestItems.items()
            if len(request["Keys"]) > 100:
                raise AssertionError("DynamoDB refuses more than 100 keys in one BatchGetItem")
            self.calls.append(len(request["Keys"]))
            return super().batch_get_item(RequestItems)

    recipients = [f"+2547110{i:05d}" for i in range(250)]
    for n in (0, 100, 249):
        world.suppressions.add(Suppression(recipients[n], f"reason {n}", "2026-11-23T00:00:00.000Z"))
    db = Limited(world.db)
    assert SuppressionsTable(db, world.resources.table_name).reasons(recipients * 2) == {
        recipients[0]: "Suppressed: reason 0", recipients[100]: "Suppressed: reason 100",
        recipients[249]: "Suppressed: reason 249"}
    assert db.calls == [100, 50, 100, 50]  # each recipient once; the first call's other half handed back

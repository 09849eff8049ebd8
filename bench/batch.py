"""Batches against the single-send path, measured in the same run.

1. Calls per message (moto in-process, every AWS call counted by operation): a 1,000-row sendBatch
   (Africa's Talking SMS, SNS SMS and e-mail) against 1,000 sendMessage calls of the same rows.
   DynamoDB write calls per message for the records (target <= 0.1) and SQS calls per message
   (target <= 0.15).
2. Africa's Talking requests per 100 same-text SMS of a batch, drained by the dispatch worker in one
   SQS batch of 100 (target <= 1).
3. Peak memory (tracemalloc) of the CSV upload worker's two reads of the file for 10,000 and 100,000
   rows: validation, then the rows the fan-out consumes (its table and queue calls stubbed, since moto
   would hold every record in this process). Target: flat.
4. Wall time through the local mode: a 10,000-row CSV upload until every record is written and queued,
   against 10,000 sendMessage calls (8 concurrent clients) of the same Africa's Talking SMS.

Usage: .venv/bin/python bench/batch.py [--rows 1000] [--csv 10000 100000] [--wall 10000] [--skip-wall] [--skip-calls]
"""

from __future__ import annotations

import argparse
import collections
import functools
import io
import sys
import time
import tracemalloc
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]

import boto3

from tests.support import moto_service

WRITES = {"PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem", "DeleteItem"}


def counted(made: collections.Counter):
    from messenger.adapters import aws

    make = aws.client.__wrapped__

    def client(*args, **kwargs):
        built = make(*args, **kwargs)
        service = built.meta.service_model.service_name
        built.meta.events.register("before-call", lambda model, **_: made.update([f"{service}.{model.name}"]))
        return built

    aws.client = functools.cache(client)


def rows(n: int, prefix: str = "") -> list[dict]:
    out = []
    for i in range(n):
        kind = i % 3
        to = (f"+2547{prefix}{i:07d}", f"+1415555{i % 10_000:04d}", f"user{prefix}{i}@example.com")[kind]
        out.append({"to": to, "deliveryMethod": "EMAIL" if kind == 2 else "SMS", "personalisation": {"n": str(i)}})
    return out


def calls_per_message(n: int) -> None:
    made: collections.Counter = collections.Counter()
    with moto_service():
        counted(made)
        from messenger.batches.dependencies import batch_service
        from messenger.sending.dependencies import message_service

        made.clear()
        for row in rows(n, "1"):
            message_service().send({"to": row["to"], "deliveryMethod": row["deliveryMethod"], "body": f"Code {row['personalisation']['n']}",
                                    **({"subject": "Code"} if row["deliveryMethod"] == "EMAIL" else {})})
        single = collections.Counter(made)
        made.clear()
        batch_service().send({"messages": rows(n, "2"), "body": "Code ((n))", "subject": "Code"})
        batch = collections.Counter(made)
    for name, counts in (("single sends", single), ("one batch", batch)):
        writes = sum(v for k, v in counts.items() if k.split(".")[1] in WRITES and k.startswith("dynamodb"))
        records = counts["dynamodb.PutItem"] + counts["dynamodb.BatchWriteItem"] + counts["dynamodb.TransactWriteItems"]
        sqs = sum(v for k, v in counts.items() if k.startswith("sqs."))
        print(f"  {name:13} {n} messages: DynamoDB write calls {writes} ({writes / n:.3f}/message; records "
              f"{records / n:.3f}/message), SQS calls {sqs} ({sqs / n:.3f}/message); "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return single, batch


def at_requests_per_100() -> int:
    from messenger.adapters.queue import parse_job
    from messenger.core.clock import SystemClock
    from messenger.messages.models import Provider
    from messenger.sending.dal import SendingTable
    from messenger.sending.dispatcher import Dispatcher, Job

    from tests.fakes import FakeAfricasTalking, FakeChannel, FixedCredentials, senders

    with moto_service() as resources:
        from messenger.batches.dependencies import batch_service

        batch_service().send({"messages": [{"to": f"+2547119{i:05d}", "deliveryMethod": "SMS"} for i in range(100)],
                              "body": "The same text for everyone"})
        sqs, url, jobs = boto3.client("sqs"), resources.queues["outbound"].url, []
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            jobs += [Job(m["MessageId"], m["ReceiptHandle"], *parse_job(m["Body"]), 1) for m in got]
        at = FakeAfricasTalking()
        table = SendingTable(boto3.client("dynamodb"), resources.table_name)
        dispatcher = Dispatcher(table, senders({Provider.SNS: FakeChannel("sns"), Provider.SES: FakeChannel("ses")}, at,
                                               FixedCredentials(), sender_id=None, max_recipients=100),
                                None, SystemClock(), max_receive_count=3, retry_base_seconds=1, claim_lease_seconds=30)
        report = dispatcher.process(jobs)
        assert report.accepted == 100, report
        return len(at.requests)


class NullTable:
    def existing(self, messages):
        return set()

    def put_messages(self, messages):
        return 0

    def commit_slice(self, *args):
        return {"sending": 1, "total": 1}

    def complete_batch(self, *args):
        return False


class NullQueue:
    def enqueue_many(self, messages):
        return 0


def csv_peak(n: int) -> tuple[float, float]:
    """Peak traced memory (MiB) of the worker's two reads of an n-row file, and the seconds they took."""
    from messenger.batches.fanout import Fanout
    from messenger.batches.logic import BatchService, upload_key
    from messenger.batches.uploads import UploadProcessor
    from messenger.core.clock import SystemClock, new_message_id
    from messenger.core.settings import settings

    with moto_service() as resources:
        from messenger.batches.dependencies import table, uploads

        service = BatchService(table(), Fanout(NullTable(), NullQueue(), None, SystemClock()), settings(),
                               SystemClock(), new_message_id, uploads=uploads())
        upload = service.create_upload({"body": "Code ((code))"})
        text = io.StringIO()
        text.write("to,code\n")
        for i in range(n):
            text.write(f"+2547{i:08d},{i}\n")
        boto3.client("s3").put_object(Bucket=resources.buckets["uploads"], Key=upload_key(upload.batch_id),
                                      Body=text.getvalue().encode())
        del text
        processor = UploadProcessor(table(), Fanout(NullTable(), NullQueue(), None, SystemClock()), uploads(),
                                    settings(), SystemClock())
        batch = table().get_batch(upload.batch_id)
        started = time.perf_counter()
        tracemalloc.start()
        total, errors, bad = processor._validate(batch)
        assert (total, bad) == (n, 0), errors[:3]
        table().start_sending(batch.id, total, batch.created_at)
        processor._fanout.run(table().get_batch(batch.id), processor._rows(table().get_batch(batch.id)))
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return peak, time.perf_counter() - started


def wall(n: int, clients: int) -> tuple[float, float]:
    from tests.e2e.conftest import start_local_mode, wait_for

    send = "mutation($input: MessageInput!){ sendMessage(input: $input){ id deliveryStatus } }"
    upload = "mutation($input: BatchUploadInput!){ createBatchUpload(input: $input){ batchId uploadUrl } }"
    get = "query($id: ID!){ getBatch(id: $id){ status total counts { status count } } }"
    api = start_local_mode()
    try:
        def one(i: int) -> None:
            status, body = api.graphql(send, {"input": {"to": f"+2547118{i:05d}", "deliveryMethod": "SMS", "body": "Code 1"}})
            assert status == 200 and "errors" not in body, body

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(one, range(n)))
        singles = time.perf_counter() - started

        started = time.perf_counter()
        _, body = api.graphql(upload, {"input": {"body": "Code ((code))"}})
        target = body["data"]["createBatchUpload"]
        csv = "to,code\n" + "".join(f"+2547117{i:05d},{i}\n" for i in range(n))
        request = urllib.request.Request(target["uploadUrl"], data=csv.encode(), method="PUT",
                                         headers={"Content-Type": "text/csv"})
        urllib.request.urlopen(request, timeout=60).read()

        def queued():
            batch = api.graphql(get, {"id": target["batchId"]})[1]["data"]["getBatch"]
            return batch["status"] != "VALIDATING" and sum(c["count"] for c in batch["counts"]) >= n

        wait_for(queued, timeout=1800, interval=0.5)
        return singles, time.perf_counter() - started
    finally:
        try:
            api.stop()
        except BaseException as error:  # noqa: BLE001 - a slow shutdown must not lose the figures
            print(f"  (local mode stopped uneasily: {error})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--csv", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--wall", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-wall", action="store_true")
    parser.add_argument("--skip-calls", action="store_true", help="leave out parts 1 and 2")
    args = parser.parse_args()

    if not args.skip_calls:
        print(f"1. AWS calls per message, {args.rows} rows (1/3 each: Africa's Talking SMS, SNS SMS, e-mail)")
        single, batch = calls_per_message(args.rows)
        records = (batch["dynamodb.BatchWriteItem"] + batch["dynamodb.TransactWriteItems"]) / args.rows
        sqs = sum(v for k, v in batch.items() if k.startswith("sqs.")) / args.rows
        single_sqs = sum(v for k, v in single.items() if k.startswith("sqs.")) / args.rows
        print(f"  records: {records:.3f} DynamoDB write calls/message (target <= 0.1; single sends "
              f"{single['dynamodb.PutItem'] / args.rows:.3f}); SQS: {sqs:.3f} calls/message (target <= 0.15; "
              f"single sends {single_sqs:.3f}, only the Africa's Talking third is queued there)")
        print("2. Africa's Talking requests for 100 same-text SMS of one batch:", at_requests_per_100(), "(target <= 1)")
    print("3. CSV upload worker, peak traced memory of its two reads of the file")
    for n in args.csv:
        peak, seconds = csv_peak(n)
        print(f"  {n:>7} rows: peak {peak:6.1f} MiB, {seconds:5.1f} s")
    if not args.skip_wall:
        singles, batch_seconds = wall(args.wall, args.clients)
        print(f"4. Local mode, {args.wall} Africa's Talking SMS recorded and queued: {args.wall} sendMessage calls "
              f"({args.clients} clients) {singles:.1f} s; one CSV batch {batch_seconds:.1f} s "
              f"(ratio {singles / batch_seconds:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

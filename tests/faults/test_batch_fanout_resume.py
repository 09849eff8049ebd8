"""A fan-out killed mid-batch, and run again, gives every recipient exactly one send.

The batch (60 rows, slices of 10: SMS through Africa's Talking and SNS, e-mail through SES) is
fanned out over the real data-access layer and SQS adapter on moto. The run is killed three ways:
halfway through a slice's BatchWriteItem calls, after a slice's records and jobs but before its
slice was recorded as done, and in the middle of SendMessageBatch calls. Between kills the dispatch worker
drains what was queued so far (so some records of the broken slice are already sent when the
retry comes). Each retry is the client's same request with its idempotency key. At the end every
job on the queue, duplicates included, goes through the real Dispatcher: each recipient was handed to
its provider exactly once, every record is ACCEPTED, and the batch's counts say so.
"""

from __future__ import annotations

import collections
import json

import boto3
import pytest
from messenger.adapters.queue import SqsJobQueue, parse_job
from messenger.batches.dal import BatchesTable
from messenger.batches.fanout import Fanout
from messenger.batches.logic import BatchService
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.settings import settings
from messenger.messages.batch_counts import BatchCountListener
from messenger.messages.models import Provider
from messenger.sending.dal import SendingTable
from messenger.sending.dispatcher import Dispatcher, Job

from tests.fakes import FakeAfricasTalking, FakeChannel, FixedCredentials, senders
from tests.support import moto_service

ROWS = 60
SLICE = 10


class Killed(Exception):
    pass


class KillableTable(BatchesTable):
    """Dies at the planned call: `kill_at` = (operation, call number), counted across the run."""

    kill_at: tuple[str, int] | None = None
    calls: collections.Counter

    def _maybe_die(self, operation: str) -> None:
        self.calls[operation] += 1
        if self.kill_at == (operation, self.calls[operation]):
            self.kill_at = None
            raise Killed(operation)

    def put_messages(self, messages):
        half = len(messages) // 2
        super().put_messages(messages[:half])
        self._maybe_die("put_messages")  # dies with half of the slice written
        return super().put_messages(messages[half:])

    def commit_slice(self, *args, **kwargs):
        self._maybe_die("commit_slice")  # records and jobs written, the slice not yet recorded
        return super().commit_slice(*args, **kwargs)


class KillableQueue(SqsJobQueue):
    kill_after: int | None = None

    def enqueue_many(self, messages):
        if self.kill_after is not None and len(messages) > self.kill_after:
            super().enqueue_many(messages[: self.kill_after])
            self.kill_after = None
            raise Killed("enqueue_many")
        return super().enqueue_many(messages)


def _rows() -> list[dict]:
    rows = []
    for i in range(ROWS):
        kind = i % 3
        to = (f"+2547110{i:05d}", f"+1415555{i:04d}", f"user{i}@example.com")[kind]
        rows.append({"to": to, "deliveryMethod": "EMAIL" if kind == 2 else "SMS",
                     "personalisation": json.dumps({"n": str(i)})})
    return rows


def test_a_fan_out_killed_three_times_sends_every_recipient_exactly_once():
    with moto_service() as resources:
        db = boto3.client("dynamodb")
        table = KillableTable(db, resources.table_name, sleep=lambda _: None)
        table.calls = collections.Counter()
        url = resources.queues["outbound"].url
        queue = KillableQueue(boto3.client("sqs"), url)
        fanout = Fanout(table, queue, None, SystemClock(), slice_rows=SLICE)
        service = BatchService(table, fanout, settings(), SystemClock(), new_message_id)
        ses, sns, at = FakeChannel("ses"), FakeChannel("sns"), FakeAfricasTalking()
        sending = SendingTable(db, resources.table_name)
        dispatcher = Dispatcher(
            sending, senders({Provider.SES: ses, Provider.SNS: sns}, at, FixedCredentials(), sender_id=None,
                           max_recipients=100),
            None, SystemClock(), max_receive_count=3, retry_base_seconds=1, claim_lease_seconds=30,
            listeners=[BatchCountListener(sending, SystemClock())],
        )
        sqs = boto3.client("sqs")

        def drain() -> int:
            handled = 0
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                jobs = [Job(m["MessageId"], m["ReceiptHandle"], *parse_job(m["Body"]), 1) for m in messages]
                report = dispatcher.process(jobs)
                assert not report.retry
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
                handled += len(messages)
            return handled

        request = {"messages": _rows(), "body": "Code ((n))", "subject": "Your code", "idempotencyKey": "bulk-1"}
        for kill in (("put_messages", 2), ("commit_slice", 4), None):
            table.kill_at = kill
            if kill is None:
                queue.kill_after = 4  # the third run dies in slice 5's SendMessageBatch calls
            with pytest.raises(Killed):
                service.send(request)
            drain()
        batch = service.send(request)  # the fourth run finishes
        assert drain() > 0
        assert table.calls["commit_slice"] >= 6

        sent = collections.Counter([m.to for m in ses.sent] + [m.to for m in sns.sent]
                                   + [to for to, _ in at.recipients_sent])
        assert len(sent) == ROWS and set(sent.values()) == {1}, [k for k, v in sent.items() if v > 1][:5]
        final = table.get_batch(batch.id)
        assert final.slices_done == ROWS // SLICE
        assert (final.counts["ACCEPTED"], final.counts["QUEUED"]) == (ROWS, 0)
        assert final.total == ROWS


def test_a_batch_without_a_key_whose_request_died_is_finished_by_its_check_with_one_send_each(monkeypatch):
    """No idempotency key, so no retry comes: the request dies twice over (once while queueing, once
    while recording another batch), and the check job sendBatch put first finishes each: the first is
    queued from its records (each recipient sent once), the second, not all recorded, ends FAILED with
    nothing sent."""
    from messenger.adapters.queue import SqsBodyQueue
    from messenger.batches import jobs as batch_jobs
    from messenger.batches import logic
    from messenger.batches.jobs import BatchJobs
    from messenger.batches.jobs import parse_job as parse_batch_job
    from messenger.batches.models import BatchStatus
    from messenger.messages.status import StatusWriter

    from tests.fakes import FixedClock

    for module in (batch_jobs, logic):  # moto holds a delayed message back as SQS does
        monkeypatch.setattr(module, "CHECK_DELAY_SECONDS", 0)
    with moto_service() as resources:
        db, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        table = KillableTable(db, resources.table_name, sleep=lambda _: None)
        table.calls = collections.Counter()
        url = resources.queues["outbound"].url
        queue = KillableQueue(sqs, url)
        clock = FixedClock("2026-11-23T12:00:00.000Z")
        fanout = Fanout(table, queue, None, clock, slice_rows=SLICE)
        checks = SqsBodyQueue(sqs, resources.queues["uploads"].url)
        service = BatchService(table, fanout, settings(), clock, new_message_id, jobs=checks)
        ses, sns, at = FakeChannel("ses"), FakeChannel("sns"), FakeAfricasTalking()
        sending = SendingTable(db, resources.table_name)
        listener = BatchCountListener(sending, SystemClock())
        dispatcher = Dispatcher(
            sending, senders({Provider.SES: ses, Provider.SNS: sns}, at, FixedCredentials(), sender_id=None,
                           max_recipients=100),
            None, SystemClock(), max_receive_count=3, retry_base_seconds=1, claim_lease_seconds=30, listeners=[listener],
        )
        jobs = BatchJobs(table, fanout, StatusWriter(table, clock, [listener]), clock, None, checks)

        def drain() -> int:
            handled = 0
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                batch = [Job(m["MessageId"], m["ReceiptHandle"], *parse_job(m["Body"]), 1) for m in messages]
                assert not dispatcher.process(batch).retry
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
                handled += len(messages)
            return handled

        def checks_put() -> list[str]:
            found = []
            while messages := sqs.receive_message(QueueUrl=resources.queues["uploads"].url,
                                                  MaxNumberOfMessages=10).get("Messages", []):
                found += [job[0] for m in messages if (job := parse_batch_job(m["Body"]))]  # not S3's test event
                for m in messages:
                    sqs.delete_message(QueueUrl=resources.queues["uploads"].url, ReceiptHandle=m["ReceiptHandle"])
            return found

        queue.kill_after = 4  # dies in the first slice's SendMessageBatch calls, 4 jobs queued
        calls_before = table.calls["commit_slice"]
        with pytest.raises(Killed):
            service.send({"messages": _rows(), "body": "Code ((n))", "subject": "Your code"})
        assert table.calls["commit_slice"] - calls_before == ROWS // SLICE  # every row was recorded first
        [sent_batch] = checks_put()
        assert drain() == 4  # sent before the check comes
        clock.moment = clock.moment.replace(minute=1)  # past STALE_SECONDS: no request can still be on it
        resumed = jobs.handle(sent_batch, "check")
        assert (resumed.status, resumed.slices_queued) == (BatchStatus.SENDING, ROWS // SLICE)
        drain()
        sent = collections.Counter([m.to for m in ses.sent] + [m.to for m in sns.sent]
                                   + [to for to, _ in at.recipients_sent])
        assert len(sent) == ROWS and set(sent.values()) == {1}
        assert table.get_batch(sent_batch).counts["ACCEPTED"] == ROWS

        table.kill_at = ("put_messages", table.calls["put_messages"] + 3)  # dies recording slice 3
        with pytest.raises(Killed):
            service.send({"messages": _rows(), "body": "Other ((n))", "subject": "Other"})
        [broken] = checks_put()
        clock.moment = clock.moment.replace(minute=2)
        failed = jobs.handle(broken, "check")
        assert failed.status is BatchStatus.FAILED and "interrupted" in failed.errors[0].message
        assert drain() == 0 and len(sent) == ROWS and sum(sent.values()) == ROWS
        assert failed.counts["FAILED"] == 25 and failed.total == ROWS  # 2 slices and half of the third

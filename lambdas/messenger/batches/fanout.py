"""Fan-out: a validated batch's rows become message records and send jobs, slice by slice.

Each slice of SLICE_ROWS rows is written with BatchWriteItem (25 records a call, unprocessed items
tried again) and queued on the outbound queue with SendMessageBatch (10 jobs a call); then one
conditional write on the batch item records the slice as done (`slicesDone` = its index + 1, only if it
was its index) and adds its messages to the counts. From there the dispatch worker sends them exactly
as it sends any queued message: claim, provider, StatusWriter.

Resuming after a crash: a run starts at `slicesDone`. Records of that slice may already exist (the
crash came after some writes), and BatchWriteItem cannot write conditionally, so that first slice reads
which records exist (BatchGetItem) and writes only the others: a record already sent is never written
back to QUEUED. Its jobs are queued again; a job whose message was sent or is being sent is
acknowledged without a send by the worker's claim. Message ids are fixed by the batch and the row
number (validation.row_message_id), so a second run names the same records.

Suppressed recipients are written FAILED with the suppression's reason and never queued, as
sendMessage does.

Recording first, queueing after (`record`, then `queue_recorded`): sendBatch and scheduled batches
write every record before any job is queued. `record` commits slices as `run` does (`slicesDone`),
counting the records under their status (QUEUED, or SCHEDULED for a batch waiting for its sendAt);
`queue_recorded` then queues the jobs of each slice's waiting records and commits the slice in
`slicesQueued`. A batch recorded in full can therefore always be queued later from its records alone
(the `byBatch` index, in row order): by the fired schedule, or by the check that resumes a request
that died (batches/jobs.py). A record whose status is no longer QUEUED or SCHEDULED (cancelled,
suppressed) gets no job; a job for a SCHEDULED record is released by the worker (SCHEDULED -> QUEUED).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice

from messenger.batches.models import Batch, BatchStatus
from messenger.batches.ports import BatchRepository, BulkQueue, Suppressions
from messenger.batches.validation import row_message_id
from messenger.messages import ulids
from messenger.messages.batch_counts import all_final
from messenger.messages.models import DeliveryStatus, Message, MessageEvent

log = logging.getLogger(__name__)

SLICE_ROWS = 250
WAITING = frozenset({DeliveryStatus.QUEUED, DeliveryStatus.SCHEDULED})
ROW_BITS = 40  # validation.row_message_id: the row number is the id's low 40 bits


class RecordsMissing(Exception):
    """The index does not show every record of a slice yet (it is eventually consistent): try later."""


def row_of(message_id: str) -> int:
    return ulids.to_int(message_id) & ((1 << ROW_BITS) - 1)


@dataclass
class FanoutReport:
    slices: int = 0
    written: int = 0
    queued: int = 0
    suppressed: int = 0
    skipped_existing: int = 0
    failed_ids: set = field(default_factory=set)  # recorded FAILED (suppressed): no job for them


def slices(rows: Iterable[Message], size: int) -> Iterator[list[Message]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _in_status(message: Message, status: DeliveryStatus) -> Message:
    if message.delivery_status is status:
        return message
    return replace(message, delivery_status=status, events=(MessageEvent(status, message.created_at),))


def _suppressed(message: Message, reason: str) -> Message:
    return replace(message, delivery_status=DeliveryStatus.FAILED, failure_reason=reason,
                   completed_at=message.created_at, events=(MessageEvent(DeliveryStatus.FAILED, message.created_at, reason),))


class Fanout:
    def __init__(self, repository: BatchRepository, queue: BulkQueue, suppressions: Suppressions | None, clock,
                 slice_rows: int = SLICE_ROWS, on_final: Callable[[dict], object] | None = None) -> None:
        self._repo = repository
        self._on_final = on_final  # announces a batch this fan-out completed (BATCH_COMPLETED)
        self._queue = queue
        self._suppressions = suppressions
        self._clock = clock
        self._slice_rows = slice_rows

    def announce(self, summary: dict | bool | None) -> None:
        """A batch whose final write this process won (a summary; None/False: another writer's) is announced."""
        if isinstance(summary, dict) and self._on_final is not None:
            self._on_final(summary)

    @property
    def slice_rows(self) -> int:
        return self._slice_rows

    def record(self, batch: Batch, rows: Iterable[Message], status: DeliveryStatus = DeliveryStatus.QUEUED) -> FanoutReport:
        """Write every row's record in `status` (suppressed ones FAILED), slice by slice, queueing nothing.
        Resumes at `slicesDone` (the first slice writes only the records that are missing)."""
        report = FanoutReport()
        start = batch.slices_done
        for index, chunk in enumerate(slices(rows, self._slice_rows)):
            if index < start:
                continue
            messages = [_in_status(message, status) for message in chunk]
            reasons = self._suppressions.reasons({m.to for m in messages}) if self._suppressions else {}
            messages = [_suppressed(m, reasons[m.to]) if m.to in reasons else m for m in messages]
            fresh = messages
            if index == start:  # perhaps half written by a run that died
                have = self._repo.existing(messages)
                fresh = [m for m in messages if m.id not in have]
                report.skipped_existing += len(messages) - len(fresh)
            self._repo.put_messages(fresh)
            waiting = sum(1 for m in messages if m.delivery_status is status)
            report.failed_ids.update(m.id for m in messages if m.delivery_status is not status)
            self._repo.commit_slice(batch.id, index, waiting, len(messages) - waiting, self._clock.now(), counted=status)
            report.slices += 1
            report.written += len(fresh)
            report.suppressed += len(messages) - waiting
        log.info("batch recorded", extra={"batchId": batch.id, "slices": report.slices, "status": status.value,
                                          "suppressed": report.suppressed, "resumedOver": report.skipped_existing})
        return report

    def queue_recorded(self, batch: Batch, messages: Iterable[Message] | None = None) -> FanoutReport:
        """Queue the jobs of a recorded batch, slice by slice from `slicesQueued`. `messages`: its records
        in row order (the request's own); by default read back from the table (the `byBatch` index)."""
        report = FanoutReport()
        start = batch.slices_queued
        if messages is None:  # read back from the slice to resume at
            first = row_message_id(batch.id, ulids.milliseconds_of(batch.id), start * self._slice_rows)
            chunks = enumerate(slices(self._repo.batch_messages(batch.id, first), self._slice_rows), start)
        else:
            chunks = enumerate(slices(messages, self._slice_rows))
        for index, chunk in chunks:
            if index < start:
                continue
            want = list(range(index * self._slice_rows, min((index + 1) * self._slice_rows, batch.total)))
            if [row_of(m.id) for m in chunk] != want:
                raise RecordsMissing(f"slice {index}: {len(want)} records expected, {len(chunk)} found")
            waiting = [m for m in chunk if m.delivery_status in WAITING]
            self._queue.enqueue_many(waiting)
            self._repo.commit_queued(batch.id, index, self._clock.now())
            report.slices += 1
            report.queued += len(waiting)
        if start + report.slices < batch.slices(self._slice_rows):
            raise RecordsMissing(f"{batch.slices(self._slice_rows) - start - report.slices} slice(s) not found yet")
        now = self._repo.get_batch(batch.id)
        if now is not None and now.status is BatchStatus.SENDING and all_final({**now.counts, "total": now.total}):
            self.announce(self._repo.complete_batch(batch.id, self._clock.now()))  # nothing was left to send
        log.info("batch queued", extra={"batchId": batch.id, "slices": report.slices, "queued": report.queued})
        return report

    def run(self, batch: Batch, rows: Iterable[Message]) -> FanoutReport:
        report = FanoutReport()
        start = batch.slices_done
        counts = None
        for index, chunk in enumerate(slices(rows, self._slice_rows)):
            if index < start:
                continue
            messages = list(chunk)
            reasons = self._suppressions.reasons({m.to for m in messages}) if self._suppressions else {}
            messages = [_suppressed(m, reasons[m.to]) if m.to in reasons else m for m in messages]
            fresh = messages
            if index == start:  # perhaps half written by a run that died
                have = self._repo.existing(messages)
                fresh = [m for m in messages if m.id not in have]
                report.skipped_existing += len(messages) - len(fresh)
            self._repo.put_messages(fresh)
            queued = [m for m in messages if m.delivery_status is DeliveryStatus.QUEUED]
            self._queue.enqueue_many(queued)
            counts = self._repo.commit_slice(batch.id, index, len(queued), len(messages) - len(queued),
                                             self._clock.now())
            report.slices += 1
            report.written += len(fresh)
            report.queued += len(queued)
            report.suppressed += len(messages) - len(queued)
        if counts is not None and counts.get("sending") and all_final(counts):
            self.announce(self._repo.complete_batch(batch.id, self._clock.now()))  # every row was suppressed
        log.info("batch fanned out", extra={"batchId": batch.id, "slices": report.slices, "queued": report.queued,
                                            "suppressed": report.suppressed, "resumedOver": report.skipped_existing})
        return report

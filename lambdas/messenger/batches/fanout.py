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
sendMessage does. A batch whose every row was suppressed is complete at its last slice: the fan-out's
conditional write makes it COMPLETED and, when it succeeds, announces it (`on_final`); otherwise the
status writer that moves its last message does (messages/batch_counts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice

from messenger.batches.models import Batch, Row
from messenger.batches.ports import BatchRepository, BulkQueue, Suppressions
from messenger.messages.batch_counts import all_final
from messenger.messages.models import DeliveryStatus, Message, MessageEvent

log = logging.getLogger(__name__)

SLICE_ROWS = 250


@dataclass
class FanoutReport:
    slices: int = 0
    written: int = 0
    queued: int = 0
    suppressed: int = 0
    skipped_existing: int = 0


def slices(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


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

    def run(self, batch: Batch, rows: Iterable[Row]) -> FanoutReport:
        report = FanoutReport()
        start = batch.slices_done
        counts = None
        for index, chunk in enumerate(slices(rows, self._slice_rows)):
            if index < start:
                continue
            messages = [row.message for row in chunk]
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
            completed = self._repo.complete_batch(batch.id, self._clock.now())  # every row was suppressed
            if completed is not None and self._on_final is not None:
                self._on_final(completed)
        log.info("batch fanned out", extra={"batchId": batch.id, "slices": report.slices, "queued": report.queued,
                                            "suppressed": report.suppressed, "resumedOver": report.skipped_existing})
        return report

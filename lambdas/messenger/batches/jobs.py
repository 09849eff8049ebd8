"""Batch jobs: what the batch worker does for a batch when told to by its schedule or by a check.

A batch job is a small JSON body on the batch jobs queue (the `uploads` queue, which also carries S3's
notifications): `{"v": 1, "batch": "<id>", "kind": "fire" | "check" | "cancel"}`.

- `fire`: the batch's one-time schedule (scheduling/, group `batches`) reached its sendAt. The batch
  moves SCHEDULED -> SENDING (a conditional write that cancelBatch's SCHEDULED -> CANCELLED cannot
  also win) and its recorded messages are queued (fanout.queue_recorded, resumable by slices). A fire
  for a batch not SCHEDULED (cancelled, fired already) does nothing; a retried fire of a SENDING batch
  resumes the queueing.
- `check`: sendBatch puts one, CHECK_DELAY_SECONDS ahead, before it writes anything. If the request
  died, the check finishes the batch once it is STALE_SECONDS untouched (the API function stops
  after 15 s): a batch whose records are all written is queued (or its schedule made again); a batch
  whose records are not all written cannot be finished (the rows were in the request) and nothing of
  it was queued, so its records are FAILED and the batch FAILED ("interrupted"), all or nothing.
  A batch still being worked on gets a new check.
- `cancel`: the rest of cancelBatch for a batch too big to cancel in the request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Protocol

from messenger.batches.fanout import Fanout, RecordsMissing
from messenger.batches.models import Batch, BatchSource, BatchStatus, RowError
from messenger.batches.ports import BatchRepository
from messenger.core.errors import StatusConflict
from messenger.messages.models import DeliveryStatus
from messenger.messages.status import StatusWriter

log = logging.getLogger(__name__)

JOB_VERSION = 1
FIRE, CHECK, CANCEL = "fire", "check", "cancel"
CHECK_DELAY_SECONDS = 60
# The byBatch index shows records written a moment ago within about a second: queueing is tried again
# this much later, not after the queue's visibility timeout.
INDEX_RETRY_SECONDS = 5
STALE_SECONDS = 30  # twice the API function's timeout
SCHEDULE_PREFIX = "batch-"
INTERRUPTED = "Batch interrupted before sending (nothing was sent)"
CANCELLABLE = frozenset({DeliveryStatus.SCHEDULED, DeliveryStatus.QUEUED})


def schedule_name(batch_id: str) -> str:
    """A batch's one schedule (Scheduler names: 1-64 of [0-9A-Za-z-_.])."""
    return SCHEDULE_PREFIX + batch_id


def job_text(batch_id: str, kind: str) -> str:
    return json.dumps({"v": JOB_VERSION, "batch": batch_id, "kind": kind}, separators=(",", ":"))


def parse_job(body: str) -> tuple[str, str] | None:
    """(batch id, kind) of a batch job; None for anything else (S3's notifications)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != JOB_VERSION or data.get("kind") not in (FIRE, CHECK, CANCEL):
        return None
    if not isinstance(data.get("batch"), str) or not data["batch"]:
        return None
    return data["batch"], data["kind"]


class JobQueue(Protocol):
    def put(self, body: str, delay_seconds: int = 0) -> None: ...


class Schedules(Protocol):
    def deliver_at(self, name: str, send_at: str, payload: str) -> None: ...

    def cancel(self, name: str) -> bool: ...


def _age_seconds(at: str, now: str) -> float:
    return (dt.datetime.fromisoformat(now) - dt.datetime.fromisoformat(at)).total_seconds()


def cancel_messages(repo: BatchRepository, statuses: StatusWriter, batch_id: str) -> int:
    """Every record of the batch not yet handed to a provider -> CANCELLED (conditional: a record the
    dispatch worker has claimed stays as it is). How many were cancelled."""
    cancelled = 0
    for message in repo.batch_messages(batch_id):
        if message.delivery_status not in CANCELLABLE:
            continue
        try:
            statuses.move(message, DeliveryStatus.CANCELLED, detail="Batch cancelled", unclaimed=True)
        except StatusConflict:
            continue  # claimed, being sent, or sent meanwhile
        cancelled += 1
    return cancelled


class BatchJobs:
    def __init__(self, repository: BatchRepository, fanout: Fanout, statuses: StatusWriter, clock,
                 schedules: Callable[[], Schedules] | None = None, checks: JobQueue | None = None) -> None:
        self._repo = repository
        self._fanout = fanout
        self._statuses = statuses
        self._clock = clock
        self._schedules = schedules
        self._checks = checks

    def handle(self, batch_id: str, kind: str) -> Batch | None:
        batch = self._repo.get_batch(batch_id)
        if batch is None or batch.status.final and kind != CANCEL:
            log.info("batch job for no open batch; ignored", extra={"batchId": batch_id, "kind": kind})
            return batch
        if kind == CANCEL:
            if batch.status is BatchStatus.CANCELLED:
                cancelled = cancel_messages(self._repo, self._statuses, batch.id)
                log.info("batch messages cancelled", extra={"batchId": batch.id, "cancelled": cancelled})
            return self._repo.get_batch(batch.id)
        if batch.source is BatchSource.UPLOAD and batch.send_at is None:
            return batch  # an unscheduled upload is resumed by S3's notification coming again
        if batch.status not in (BatchStatus.SCHEDULED, BatchStatus.SENDING):
            return batch
        if not batch.recorded(self._fanout.slice_rows):
            return self._unrecorded(batch)
        if batch.status is BatchStatus.SCHEDULED:
            if batch.send_at > self._clock.now():
                if kind == CHECK and self._schedules is not None:  # the request may have died before making it
                    self._schedules().deliver_at(schedule_name(batch.id), batch.send_at, job_text(batch.id, FIRE))
                return batch
            if not self._repo.move_batch(batch.id, (BatchStatus.SCHEDULED,), BatchStatus.SENDING, self._clock.now()):
                return self._repo.get_batch(batch.id)  # cancelled (or fired by another copy) meanwhile
            log.info("scheduled batch released", extra={"batchId": batch.id})
            batch = self._repo.get_batch(batch.id)
        elif kind == CHECK and _age_seconds(batch.updated_at, self._clock.now()) < STALE_SECONDS:
            return self._check_again(batch)
        try:
            self._fanout.queue_recorded(batch)
        except RecordsMissing:
            if self._checks is None:
                raise
            # SENDING now: the next FIRE resumes queueing at the first slice not yet queued.
            self._checks.put(job_text(batch.id, FIRE), INDEX_RETRY_SECONDS)
        return self._repo.get_batch(batch.id)

    def _unrecorded(self, batch: Batch) -> Batch:
        """Its records are not all written: a request (or upload worker) is on it, or died."""
        if batch.source is BatchSource.UPLOAD:
            return batch  # S3's notification coming again resumes it
        if _age_seconds(batch.updated_at, self._clock.now()) < STALE_SECONDS:
            return self._check_again(batch)
        recorded = min(batch.slices_done * self._fanout.slice_rows, batch.total)
        error = RowError(recorded, "messages", "the request was interrupted while recording the batch: nothing was "
                                              "sent; send the batch again")
        failed = self._repo.move_batch(batch.id, (batch.status,), BatchStatus.FAILED, self._clock.now(), errors=[error])
        if not failed:
            return self._repo.get_batch(batch.id)
        counts: Counter = Counter()
        for message in self._repo.batch_messages(batch.id):
            if not message.delivery_status.final:
                try:
                    message = self._statuses.move(message, DeliveryStatus.FAILED, detail=INTERRUPTED,
                                                  failure_reason=INTERRUPTED, unclaimed=True)
                except StatusConflict:
                    message = self._repo.get(message.to, message.id) or message
            counts[message.delivery_status] += 1
        self._repo.set_counts(batch.id, dict(counts))
        self._fanout.announce({**failed, "counts": {s.value: n for s, n in counts.items() if n}})
        log.warning("interrupted batch failed", extra={"batchId": batch.id, "records": sum(counts.values()),
                                                       "rows": batch.total})
        return self._repo.get_batch(batch.id)

    def _check_again(self, batch: Batch) -> Batch:
        if self._checks is not None:
            self._checks.put(job_text(batch.id, CHECK), CHECK_DELAY_SECONDS)
        return batch

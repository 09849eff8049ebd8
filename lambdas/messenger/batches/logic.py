"""sendBatch, getBatch, getBatches and createBatchUpload: what a batch records and when it is sent.

sendBatch validates every row before anything is written (validation.py): one bad row and the answer
is BadRequest listing the bad rows, with nothing written or sent. Then the client's quotas take its
rows (limits/: LimitExceeded or TooManyRequests, nothing written). A valid batch is recorded (with its
idempotency key, in one transaction), a check job is put on the batch jobs queue (jobs.py: it finishes
the batch if this request dies), every record is written (fanout.record), and only then are the jobs
queued (fanout.queue_recorded): at most MAX_REQUEST_ROWS rows, 4 slices. The same idempotency key with
the same input returns the same batch, and resumes a fan-out a crash interrupted.

With `sendAt` the records are written SCHEDULED and nothing is queued; one one-time schedule for the
batch (scheduling/, group `batches`) puts a `fire` job on the batch jobs queue at that time.

createBatchUpload records a VALIDATING batch with its shared content (and sendAt) and answers a
pre-signed S3 PUT URL; the upload worker (uploads.py) takes it from there when the file arrives.

cancelBatch (the creating client only): the batch CANCELLED first (conditional, so a firing schedule
loses), its schedule deleted, then every record not yet claimed by the dispatch worker CANCELLED.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace

from messenger.batches.fanout import Fanout
from messenger.batches.jobs import (
    CANCEL,
    CHECK,
    CHECK_DELAY_SECONDS,
    FIRE,
    cancel_messages,
    job_text,
    schedule_name,
)
from messenger.batches.models import (
    Batch,
    BatchRejected,
    BatchSource,
    BatchStatus,
    NotFound,
    RowError,
    Upload,
)
from messenger.batches.ports import BatchRepository, UploadStore
from messenger.batches.validation import (
    MAX_REQUEST_ROWS,
    RowChecker,
    fingerprint,
    idempotency_key,
    parse_content,
    row_message,
)
from messenger.core.errors import BadRequest, Conflict, MessagingError
from messenger.limits.models import DEFAULT_CLIENT
from messenger.messages.cursor import decode_cursor, encode_cursor
from messenger.messages.filters import page_size
from messenger.messages.models import DeliveryStatus, Message
from messenger.scheduling.validation import parse_send_at

log = logging.getLogger(__name__)
# cancelBatch cancels the records of a batch this size in the request; a bigger one's by a cancel job.
CANCEL_IN_REQUEST_ROWS = MAX_REQUEST_ROWS

BATCHES_CURSOR = "BATCHES"
IDEMPOTENCY_NAMESPACE = "BATCH#"  # batch keys never meet sendMessage's keys


def upload_key(batch_id: str) -> str:
    return f"uploads/{batch_id}.csv"


def batch_id_of_key(key: str) -> str | None:
    if key.startswith("uploads/") and key.endswith(".csv"):
        return key[len("uploads/"):-len(".csv")] or None
    return None


class BatchService:
    def __init__(self, repository: BatchRepository, fanout: Fanout, settings, clock, new_id: Callable[[str], str],
                 render=None, uploads: UploadStore | None = None, *, schedules=None, jobs=None, statuses=None,
                 limits=None) -> None:
        """`schedules`: builds the batch schedules (scheduling.logic.Schedules) on first use; `jobs`: the
        batch jobs queue (checks, cancels); `statuses`: a StatusWriter (cancelBatch); `limits`: the
        client quotas (limits.logic.Limiter)."""
        self._repo = repository
        self._fanout = fanout
        self._settings = settings
        self._clock = clock
        self._new_id = new_id
        self._render = render
        self._uploads = uploads
        self._schedules = schedules
        self._jobs = jobs
        self._statuses = statuses
        self._limits = limits

    def _send_at(self, args: dict, now: str) -> str | None:
        send_at = parse_send_at(args.get("sendAt"), now)
        if send_at is not None and self._schedules is None:
            raise BadRequest("sendAt", "scheduled sends are not available here")
        return send_at

    # -- sendBatch -----------------------------------------------------------------------------
    def send(self, args: dict, client_id: str | None = None, request_id: str | None = None) -> Batch:
        content = parse_content(args, self._settings)
        key = idempotency_key(args)
        raw_rows = args.get("messages")
        if not isinstance(raw_rows, list) or not 1 <= len(raw_rows) <= MAX_REQUEST_ROWS:
            raise BadRequest("messages", f"give 1 to {MAX_REQUEST_ROWS} messages (a CSV upload takes more)")
        now = self._clock.now()
        try:
            send_at = self._send_at(args, now)
        except BadRequest:
            if (late := self._late_replay(key, args, client_id)) is None:
                raise
            return late
        checker = RowChecker(content, self._settings, self._render)
        requests, errors = [], []
        for index, row in enumerate(raw_rows):
            try:
                requests.append(checker.check(index, row))
            except BadRequest as error:
                errors.append(RowError.of(index, error))
        if errors:
            raise BatchRejected(errors, len(errors))
        status = BatchStatus.SCHEDULED if send_at else BatchStatus.SENDING
        batch = Batch(id=self._new_id(now), status=status, source=BatchSource.REQUEST, content=content,
                      created_at=now, updated_at=now, total=len(requests), reference=content.reference,
                      send_at=send_at, client_id=client_id)
        if key:
            epoch = self._clock.epoch()
            expected = fingerprint(args)
            if not self._repo.key_is_live(IDEMPOTENCY_NAMESPACE + key, epoch, client_id):  # a replay is not counted again
                self._admit(client_id, request_id, len(requests))
                self._check_later(batch.id)
            existing = self._repo.create_batch(batch, IDEMPOTENCY_NAMESPACE + key, expected,
                                               epoch + self._settings.idempotency_ttl_hours * 3600, epoch)
            if existing is not None:
                batch = self._replay(existing, expected)
                if batch.status not in (BatchStatus.SENDING, BatchStatus.SCHEDULED):
                    return batch
        else:
            self._admit(client_id, request_id, len(requests))
            self._check_later(batch.id)
            self._repo.create_batch(batch)
        retention = self._settings.get("message_retention_days")
        rows = [row_message(request, batch.id, batch.created_at, i, batch.client_id, retention)
                for i, request in enumerate(requests)]
        self._finish(batch, rows)
        return self._repo.get_batch(batch.id) or batch

    def _late_replay(self, key: str | None, args: dict, client_id: str | None) -> Batch | None:
        """A keyed retry that comes once its sendAt has passed: the batch the key made (as any replay,
        not resumed: its checks finish it), or None when the key made none (the refusal stands)."""
        found = self._repo.live_key(IDEMPOTENCY_NAMESPACE + key, self._clock.epoch(), client_id) if key else None
        return self._replay(found, fingerprint(args)) if found is not None else None

    def _admit(self, client_id: str | None, request_id: str | None, rows: int) -> None:
        if self._limits is not None:
            self._limits.admit_batch(client_id or DEFAULT_CLIENT, request_id, rows)

    def _check_later(self, batch_id: str) -> None:
        """Before anything is written: a check that finishes the batch should this request die."""
        if self._jobs is not None:
            self._jobs.put(job_text(batch_id, CHECK), CHECK_DELAY_SECONDS)

    def _finish(self, batch: Batch, rows: list[Message]) -> None:
        """Record every row (resuming), then queue them, or make the batch's schedule."""
        if batch.status is BatchStatus.SCHEDULED:
            if not batch.recorded(self._fanout.slice_rows):
                self._fanout.record(batch, rows, DeliveryStatus.SCHEDULED)
            self._schedules().deliver_at(schedule_name(batch.id), batch.send_at, job_text(batch.id, FIRE))
            return
        if batch.status is not BatchStatus.SENDING:
            return
        failed: set = set()
        if not batch.recorded(self._fanout.slice_rows):
            failed = self._fanout.record(batch, rows, DeliveryStatus.QUEUED).failed_ids
            batch = self._repo.get_batch(batch.id) or batch
            if batch.status is not BatchStatus.SENDING:
                return  # cancelled, or failed by a check that took this request for dead: nothing is queued
        messages = [message if message.id not in failed else
                    replace(message, delivery_status=DeliveryStatus.FAILED) for message in rows]
        self._fanout.queue_recorded(batch, messages)

    # -- cancelBatch ---------------------------------------------------------------------------
    def cancel(self, raw_id, client_id: str | None = None) -> Batch:
        batch = self.get({"id": raw_id})
        if batch is None or batch.client_id != client_id:  # another client's (or no client's) batch is not theirs
            raise NotFound("id: no batch has this id", {"field": "id"})
        if batch.status.final:
            raise BadRequest("id", f"the batch is {batch.status.value}: only a batch not yet sent can be cancelled")
        if batch.status is not BatchStatus.VALIDATING and not batch.recorded(self._fanout.slice_rows):
            raise BadRequest("id", "the batch is still being recorded: try again in a few seconds")
        # Not announced (BATCH_COMPLETED is for batches that end by themselves): cancelBatch answers it.
        if not self._repo.move_batch(batch.id, (batch.status,), BatchStatus.CANCELLED, self._clock.now()):
            current = self._repo.get_batch(batch.id)
            raise BadRequest("id", f"the batch moved to {current.status.value if current else 'nothing'} "
                                   "meanwhile: try again")
        if batch.send_at is not None and self._schedules is not None:
            try:
                self._schedules().cancel(schedule_name(batch.id))
            except Exception:  # noqa: BLE001 - the batch is CANCELLED: a schedule left behind releases nothing
                log.warning("could not delete the schedule of a cancelled batch", extra={"batchId": batch.id})
        if batch.total <= CANCEL_IN_REQUEST_ROWS or self._jobs is None:
            cancelled = cancel_messages(self._repo, self._statuses, batch.id) if batch.total else 0
            log.info("batch cancelled", extra={"batchId": batch.id, "was": batch.status.value, "cancelled": cancelled})
        else:
            self._jobs.put(job_text(batch.id, CANCEL))
            log.info("batch cancelled; its messages by a cancel job", extra={"batchId": batch.id})
        return self._repo.get_batch(batch.id) or batch

    def _replay(self, existing: tuple[str, str], expected: str) -> Batch:
        found_fingerprint, batch_id = existing
        if found_fingerprint != expected:
            raise Conflict("idempotencyKey: this key was used with a different input", {"field": "idempotencyKey"})
        batch = self._repo.get_batch(batch_id)
        if batch is None:
            raise MessagingError("the batch this key created is missing")
        return batch

    # -- reading -------------------------------------------------------------------------------
    def get(self, args: dict) -> Batch | None:
        batch_id = args.get("id")
        if not isinstance(batch_id, str) or not batch_id.strip() or len(batch_id) > 64:
            return None
        return self._repo.get_batch(batch_id.strip().upper())

    def page(self, args: dict) -> dict:
        first = page_size(args)
        after = args.get("after")
        start = decode_cursor(after, BATCHES_CURSOR) if after is not None else None
        batches, more = self._repo.page_batches(first, start)
        return {"data": [b.to_graphql() for b in batches],
                "pageInfo": {"hasNextPage": more,
                             "endCursor": encode_cursor(BATCHES_CURSOR, batches[-1].id) if batches else None}}

    # -- createBatchUpload ---------------------------------------------------------------------
    def create_upload(self, args: dict, client_id: str | None = None) -> Upload:
        if self._uploads is None:
            raise BadRequest("input", "uploads are not available here")
        content = parse_content(args, self._settings)
        if args.get("messages") is not None:
            raise BadRequest("messages", "the rows come in the uploaded CSV file")
        key = idempotency_key(args)
        now = self._clock.now()
        try:
            send_at = self._send_at(args, now)
        except BadRequest:
            if (late := self._late_replay(key, args, client_id)) is None:
                raise
            return self._upload(late, now)
        batch = Batch(id=self._new_id(now), status=BatchStatus.VALIDATING, source=BatchSource.UPLOAD,
                      content=content, created_at=now, updated_at=now, reference=content.reference,
                      send_at=send_at, client_id=client_id)
        if key:
            epoch = self._clock.epoch()
            expected = fingerprint(args)
            existing = self._repo.create_batch(batch, IDEMPOTENCY_NAMESPACE + key, expected,
                                               epoch + self._settings.idempotency_ttl_hours * 3600, epoch)
            if existing is not None:
                batch = self._replay(existing, expected)
        else:
            self._repo.create_batch(batch)
        return self._upload(batch, now)

    def _upload(self, batch: Batch, now: str) -> Upload:
        seconds = self._settings.batch_upload_url_seconds
        expires = dt.datetime.fromisoformat(now) + dt.timedelta(seconds=seconds)
        url = self._uploads.upload_url(upload_key(batch.id), seconds)
        return Upload(batch.id, url, expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"))



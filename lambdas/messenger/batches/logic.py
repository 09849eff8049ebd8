"""sendBatch, getBatch, getBatches and createBatchUpload: what a batch records and when it is sent.

sendBatch validates every row before anything is written (validation.py): one bad row and the answer
is BadRequest listing the bad rows, with nothing written or sent. A valid batch is recorded (with its
idempotency key, in one transaction), then fanned out (fanout.py) in the request: at most
MAX_REQUEST_ROWS rows, 4 slices. The same idempotency key with the same input returns the same batch,
and a batch whose fan-out a crash interrupted is resumed by that retry.

createBatchUpload records a VALIDATING batch with its shared content and answers a pre-signed S3 PUT
URL; the upload worker (uploads.py) takes it from there when the file arrives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from messenger.batches.fanout import Fanout
from messenger.batches.models import (
    Batch,
    BatchRejected,
    BatchSource,
    BatchStatus,
    Row,
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
from messenger.messages.cursor import decode_cursor, encode_cursor
from messenger.messages.filters import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

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
                 render=None, uploads: UploadStore | None = None) -> None:
        self._repo = repository
        self._fanout = fanout
        self._settings = settings
        self._clock = clock
        self._new_id = new_id
        self._render = render
        self._uploads = uploads

    # -- sendBatch -----------------------------------------------------------------------------
    def send(self, args: dict, client_id: str | None = None) -> Batch:
        """`client_id`: the calling client, the batch's (and its messages') owner."""
        content = parse_content(args, self._settings)
        key = idempotency_key(args)
        raw_rows = args.get("messages")
        if not isinstance(raw_rows, list) or not 1 <= len(raw_rows) <= MAX_REQUEST_ROWS:
            raise BadRequest("messages", f"give 1 to {MAX_REQUEST_ROWS} messages (a CSV upload takes more)")
        checker = RowChecker(content, self._settings, self._render)
        requests, errors = [], []
        for index, row in enumerate(raw_rows):
            try:
                requests.append(checker.check(index, row))
            except BadRequest as error:
                errors.append(RowError(index, error.field, error.message.removeprefix(f"{error.field}: ")))
        if errors:
            raise BatchRejected(errors, len(errors))
        now = self._clock.now()
        batch = Batch(id=self._new_id(now), status=BatchStatus.SENDING, source=BatchSource.REQUEST, content=content,
                      created_at=now, updated_at=now, total=len(requests), reference=content.reference,
                      client_id=client_id)
        if key:
            epoch = self._clock.epoch()
            expected = fingerprint(args)
            existing = self._repo.create_batch(batch, IDEMPOTENCY_NAMESPACE + key, expected,
                                               epoch + self._settings.idempotency_ttl_hours * 3600, epoch)
            if existing is not None:
                batch = self._replay(existing, expected)
                if batch.status is not BatchStatus.SENDING:
                    return batch
        else:
            self._repo.create_batch(batch)
        rows = (Row(i, row_message(request, batch.id, batch.created_at, i, batch.client_id)) for i, request in enumerate(requests))
        self._fanout.run(batch, rows)  # resumes at batch.slices_done on a replay
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
        first = args.get("first")
        first = DEFAULT_PAGE_SIZE if first is None else first
        if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_PAGE_SIZE:
            raise BadRequest("first", f"must be between 1 and {MAX_PAGE_SIZE}")
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
        batch = Batch(id=self._new_id(now), status=BatchStatus.VALIDATING, source=BatchSource.UPLOAD,
                      content=content, created_at=now, updated_at=now, reference=content.reference,
                      client_id=client_id)
        if key:
            epoch = self._clock.epoch()
            expected = fingerprint(args)
            existing = self._repo.create_batch(batch, IDEMPOTENCY_NAMESPACE + key, expected,
                                               epoch + self._settings.idempotency_ttl_hours * 3600, epoch)
            if existing is not None:
                batch = self._replay(existing, expected)
        else:
            self._repo.create_batch(batch)
        seconds = self._settings.batch_upload_url_seconds
        expires = dt.datetime.fromisoformat(now.replace("Z", "+00:00")) + dt.timedelta(seconds=seconds)
        url = self._uploads.upload_url(upload_key(batch.id), seconds)
        return Upload(batch.id, url, expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"))



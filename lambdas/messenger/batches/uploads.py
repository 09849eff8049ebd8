"""The upload worker's logic: a CSV file in the uploads bucket becomes a batch, or a FAILED one.

The file has a `to` column, an optional `deliveryMethod` column (inferred from `to` when absent: an
`@` makes it e-mail), an optional `reference` column, and one column per placeholder of the shared
content. It is read twice as a stream (csv over the S3 body, one line at a time): first every row is
validated (at most `batch_upload_max_rows`), keeping only the first errors; if any row is bad the batch
ends FAILED with its row errors and nothing is written or sent.

Duplicate recipients without memory growing with the rows: each valid row's 8-byte recipient digest
sets two bits of a fixed bitmap (DUPLICATE_BITS); a row whose two bits were both set already is a
suspect (a duplicate, or rarely a coincidence). Only when there are suspects is the file read once more,
keeping the first row of each suspect digest: a later row with it is a duplicate, reported with the row
it repeats; a digest seen once was a coincidence. Then the client's daily quota takes the rows (a full
quota ends the batch FAILED, nothing written). Otherwise the batch moves to SENDING and the second read
fans the rows out (fanout.py), resuming at the slice a previous attempt reached.

A batch with sendAt moves to SCHEDULED instead; the second read writes its records SCHEDULED (nothing
queued) and its one schedule is made (jobs.py fires it); a sendAt that passed meanwhile fires at once.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator

from messenger.batches.fanout import Fanout
from messenger.batches.jobs import FIRE, job_text, schedule_name
from messenger.batches.logic import batch_id_of_key, upload_key
from messenger.batches.models import (
    MAX_REPORTED_ERRORS,
    Batch,
    BatchStatus,
    RowError,
)
from messenger.batches.ports import BatchRepository, UploadStore
from messenger.batches.validation import (
    RowChecker,
    infer_method,
    recipient_digest,
    row_message,
)
from messenger.core.errors import BadRequest, MessagingError
from messenger.limits.models import DEFAULT_CLIENT
from messenger.messages.models import DeliveryStatus, Message

log = logging.getLogger(__name__)

FIXED_COLUMNS = ("to", "deliveryMethod", "reference")
DUPLICATE_BITS = 1 << 24  # 2 MiB; at 100,000 rows a false suspect comes about once in 100,000 files


def csv_rows(lines) -> Iterator[dict]:
    """Each data row as a sendBatch row: to, deliveryMethod, reference, the rest as personalisation."""
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or "to" not in [name.strip() for name in reader.fieldnames]:
        raise BadRequest("file", "the first line must name the columns, with a `to` column")
    for record in reader:
        record = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k is not None}
        to = record["to"]  # every row has it: the header names it, and a short row's missing cells are ""
        yield {
            "to": to,
            "deliveryMethod": record.get("deliveryMethod") or infer_method(to),
            "reference": record.get("reference") or None,
            "personalisation": {k: v for k, v in record.items() if k not in FIXED_COLUMNS},
        }


class UploadProcessor:
    def __init__(self, repository: BatchRepository, fanout: Fanout, uploads: UploadStore, settings, clock,
                 render=None, *, schedules=None, jobs=None, limits=None) -> None:
        """`schedules` builds the batch schedules on first use; `jobs` (jobs.BatchJobs) fires a batch whose
        sendAt passed while it was validated; `limits` (limits.logic.Limiter) holds the daily quota."""
        self._repo = repository
        self._fanout = fanout
        self._uploads = uploads
        self._settings = settings
        self._clock = clock
        self._render = render
        self._schedules = schedules
        self._jobs = jobs
        self._limits = limits

    def process(self, key: str) -> Batch | None:
        """The file at `key` arrived (or arrived again): validate, then fan out, or finish what was begun."""
        batch_id = batch_id_of_key(key)
        batch = self._repo.get_batch(batch_id) if batch_id else None
        waiting = (BatchStatus.VALIDATING, BatchStatus.SENDING, BatchStatus.SCHEDULED)
        if batch is not None and batch.status is BatchStatus.SENDING and batch.send_at and self._jobs is not None:
            return self._jobs.handle(batch.id, FIRE)  # a released scheduled upload: queue what is left
        if batch is None or batch.status not in waiting or (batch.status is BatchStatus.SENDING and batch.send_at):
            log.warning("upload names no batch waiting for a file; ignored",
                        extra={"batchId": batch_id, "status": batch.status.value if batch else None})
            return batch
        if batch.status is BatchStatus.VALIDATING:
            total, errors, bad = self._validate(batch)
            now = self._clock.now()
            if not bad:
                refusal = self._refusal(batch, total)
                if refusal is not None:
                    self._fanout.announce(self._repo.fail_batch(batch.id, [refusal], 0, total, now))
                    log.info("upload over the client's quota", extra={"batchId": batch.id, "rows": total})
                    return self._repo.get_batch(batch.id)
            if bad:
                self._fanout.announce(self._repo.fail_batch(batch.id, errors, bad, total, now))
                log.info("upload rejected", extra={"batchId": batch.id, "rows": total, "badRows": bad})
                return self._repo.get_batch(batch.id)
            if batch.send_at is not None:
                self._repo.move_batch(batch.id, (BatchStatus.VALIDATING,), BatchStatus.SCHEDULED, now, total=total)
            else:
                self._repo.start_sending(batch.id, total, now)
            batch = self._repo.get_batch(batch.id)
            if batch is None or batch.status not in (BatchStatus.SCHEDULED, BatchStatus.SENDING):
                return batch  # cancelled, or failed by another copy of this notice, meanwhile: nothing goes out
        if batch.status is BatchStatus.SCHEDULED:
            return self._schedule(batch)
        self._fanout.run(batch, self._rows(batch))
        return self._repo.get_batch(batch.id)

    def _refusal(self, batch: Batch, total: int) -> RowError | None:
        """The daily quota takes the rows; a full one is the batch's error (it then ends FAILED)."""
        if self._limits is None:
            return None
        try:
            self._limits.admit_upload(batch.client_id or DEFAULT_CLIENT, total)
        except MessagingError as error:
            return RowError(0, "file", error.message)
        return None

    def _schedule(self, batch: Batch) -> Batch:
        if not batch.recorded(self._fanout.slice_rows):
            self._fanout.record(batch, self._rows(batch), DeliveryStatus.SCHEDULED)
        if batch.send_at <= self._clock.now() and self._jobs is not None:
            return self._jobs.handle(batch.id, FIRE)  # validated past its time: send now
        self._schedules().deliver_at(schedule_name(batch.id), batch.send_at, job_text(batch.id, FIRE))
        return self._repo.get_batch(batch.id)

    def _validate(self, batch: Batch) -> tuple[int, list[RowError], int]:
        limit = self._settings.batch_upload_max_rows
        checker = RowChecker(batch.content, self._settings, self._render, duplicates=False)
        errors: list[RowError] = []
        bad = total = 0
        bits, suspects = bytearray(DUPLICATE_BITS // 8), set()
        try:
            for index, row in enumerate(csv_rows(self._uploads.lines(upload_key(batch.id)))):
                if index >= limit:
                    return total, [RowError(index, "file", f"has more than {limit} rows")], 1
                total += 1
                try:
                    digest = recipient_digest(checker.check(index, row))
                except BadRequest as error:
                    bad += 1
                    if len(errors) < MAX_REPORTED_ERRORS:
                        errors.append(RowError.of(index, error))
                    continue
                seen = True
                for position in (digest % DUPLICATE_BITS, (digest >> 32) % DUPLICATE_BITS):
                    seen &= bool(bits[position >> 3] & (1 << (position & 7)))
                    bits[position >> 3] |= 1 << (position & 7)
                if seen:
                    suspects.add(digest)
        except (BadRequest, UnicodeDecodeError, csv.Error) as error:
            last = (RowError.of(total, error) if isinstance(error, BadRequest)
                    else RowError(total, "file", "is not a UTF-8 CSV file"))
            return total, [*errors, last][:MAX_REPORTED_ERRORS], bad + 1
        if total == 0:
            return 0, [RowError(0, "file", "has no rows")], 1
        if suspects:
            duplicates = self._duplicates(batch, checker, suspects)
            errors = sorted(errors + duplicates[:MAX_REPORTED_ERRORS], key=lambda e: e.row)[:MAX_REPORTED_ERRORS]
            bad += len(duplicates)
        return total, errors, bad

    def _duplicates(self, batch: Batch, checker: RowChecker, suspects: set[int]) -> list[RowError]:
        first: dict[int, int] = {}
        found = []
        for index, row in enumerate(csv_rows(self._uploads.lines(upload_key(batch.id)))):
            try:
                digest = recipient_digest(checker.check(index, row))
            except BadRequest:
                continue
            if digest in suspects:
                if digest in first:
                    found.append(RowError(index, "to", f"the same recipient as row {first[digest]}"))
                else:
                    first[digest] = index
        return found

    def _rows(self, batch: Batch) -> Iterator[Message]:
        checker = RowChecker(batch.content, self._settings, self._render, duplicates=False)
        retention = self._settings.get("message_retention_days")
        for index, row in enumerate(csv_rows(self._uploads.lines(upload_key(batch.id)))):
            yield row_message(checker.check(index, row), batch.id, batch.created_at, index,
                              batch.client_id, retention)

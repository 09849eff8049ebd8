"""The upload worker's logic: a CSV file in the uploads bucket becomes a batch, or a FAILED one.

The file has a `to` column, an optional `deliveryMethod` column (inferred from `to` when absent: an
`@` makes it e-mail), an optional `reference` column, and one column per placeholder of the shared
content. It is read twice as a stream (csv over the S3 body, one line at a time): first every row is
validated (at most `batch_upload_max_rows`), keeping only the first errors and one 8-byte digest per
row for duplicate detection; if any row is bad the batch ends FAILED with its row errors and nothing
is written or sent. Otherwise the batch moves to SENDING and the second read fans the rows out
(fanout.py), resuming at the slice a previous attempt reached.
"""

from __future__ import annotations

import csv
import logging
from typing import Iterator

from messenger.core.errors import BadRequest

from messenger.batches.fanout import Fanout
from messenger.batches.logic import batch_id_of_key, upload_key
from messenger.batches.models import MAX_REPORTED_ERRORS, Batch, BatchStatus, Row, RowError
from messenger.batches.ports import BatchRepository, UploadStore
from messenger.batches.validation import RowChecker, infer_method, row_message

log = logging.getLogger(__name__)

FIXED_COLUMNS = ("to", "deliveryMethod", "reference")


def csv_rows(lines) -> Iterator[dict]:
    """Each data row as a sendBatch row: to, deliveryMethod, reference, the rest as personalisation."""
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or "to" not in [name.strip() for name in reader.fieldnames]:
        raise BadRequest("file", "the first line must name the columns, with a `to` column")
    for record in reader:
        record = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k is not None}
        to = record.get("to", "")
        yield {
            "to": to,
            "deliveryMethod": record.get("deliveryMethod") or infer_method(to),
            "reference": record.get("reference") or None,
            "personalisation": {k: v for k, v in record.items() if k not in FIXED_COLUMNS},
        }


class UploadProcessor:
    def __init__(self, repository: BatchRepository, fanout: Fanout, uploads: UploadStore, settings, clock,
                 render=None) -> None:
        self._repo = repository
        self._fanout = fanout
        self._uploads = uploads
        self._settings = settings
        self._clock = clock
        self._render = render

    def process(self, key: str) -> Batch | None:
        """The file at `key` arrived (or arrived again): validate, then fan out, or finish what was begun."""
        batch_id = batch_id_of_key(key)
        batch = self._repo.get_batch(batch_id) if batch_id else None
        if batch is None or batch.status not in (BatchStatus.VALIDATING, BatchStatus.SENDING):
            log.warning("upload names no batch waiting for a file; ignored",
                        extra={"batchId": batch_id, "status": batch.status.value if batch else None})
            return batch
        if batch.status is BatchStatus.VALIDATING:
            total, errors, bad = self._validate(batch)
            now = self._clock.now()
            if bad:
                self._repo.fail_batch(batch.id, errors, bad, total, now)
                log.info("upload rejected", extra={"batchId": batch.id, "rows": total, "badRows": bad})
                return self._repo.get_batch(batch.id)
            self._repo.start_sending(batch.id, total, now)
            batch = self._repo.get_batch(batch.id)
        self._fanout.run(batch, self._rows(batch))
        return self._repo.get_batch(batch.id)

    def _validate(self, batch: Batch) -> tuple[int, list[RowError], int]:
        limit = self._settings.batch_upload_max_rows
        checker = RowChecker(batch.content, self._settings, self._render)
        errors: list[RowError] = []
        bad = total = 0
        try:
            for index, row in enumerate(csv_rows(self._uploads.lines(upload_key(batch.id)))):
                if index >= limit:
                    return total, [RowError(index, "file", f"has more than {limit} rows")], 1
                total += 1
                try:
                    checker.check(index, row)
                except BadRequest as error:
                    bad += 1
                    if len(errors) < MAX_REPORTED_ERRORS:
                        errors.append(RowError(index, error.field, error.message.removeprefix(f"{error.field}: ")))
        except (BadRequest, UnicodeDecodeError, csv.Error) as error:
            message = error.message if isinstance(error, BadRequest) else "is not a UTF-8 CSV file"
            return total, [*errors, RowError(total, "file", message)][:MAX_REPORTED_ERRORS], bad + 1
        if total == 0:
            return 0, [RowError(0, "file", "has no rows")], 1
        return total, errors, bad

    def _rows(self, batch: Batch) -> Iterator[Row]:
        checker = RowChecker(batch.content, self._settings, self._render)
        for index, row in enumerate(csv_rows(self._uploads.lines(upload_key(batch.id)))):
            yield Row(index, row_message(checker.check(index, row), batch.id, batch.created_at, index))

"""The ports the batches logic talks through: its table operations, the bulk queue, uploads, suppressions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from messenger.batches.models import Batch, RowError
from messenger.messages.models import Message


class BatchRepository(Protocol):
    def create_batch(self, batch: Batch, key: str | None = None, fingerprint: str | None = None,
                     expires_at: int = 0, now_epoch: int = 0) -> tuple[str, str] | None: ...

    def get_batch(self, batch_id: str) -> Batch | None: ...

    def page_batches(self, limit: int, after: str | None) -> tuple[list[Batch], bool]: ...

    def existing(self, messages: list[Message]) -> set[str]: ...

    def put_messages(self, messages: list[Message]) -> int: ...

    def commit_slice(self, batch_id: str, index: int, queued: int, failed: int, now: str) -> dict | None: ...

    def complete_batch(self, batch_id: str, now: str) -> dict | None: ...

    def start_sending(self, batch_id: str, total: int, now: str) -> bool: ...

    def fail_batch(self, batch_id: str, errors: list[RowError], bad_rows: int, total: int, now: str) -> dict | None: ...


class BulkQueue(Protocol):
    def enqueue_many(self, messages: list[Message]) -> int: ...


class Suppressions(Protocol):
    def reasons(self, recipients: Iterable[str]) -> dict[str, str]: ...


class UploadStore(Protocol):
    def upload_url(self, key: str, expires_seconds: int) -> str: ...

    def lines(self, key: str): ...

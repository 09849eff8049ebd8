"""The ports the sending logic talks through: its table operations, providers and the job queue."""

from __future__ import annotations

from typing import Protocol

from messenger.messages.models import Message
from messenger.messages.ports import MessageRepository
from messenger.sending.models import Claim, IdempotencyRecord, Receipt


class SendingRepository(MessageRepository, Protocol):
    def create_idempotent(
        self, message: Message, key: str, fingerprint: str, expires_at: int, now_epoch: int
    ) -> IdempotencyRecord | None: ...

    def idempotency_record(self, key: str, client_id: str | None, now_epoch: int) -> IdempotencyRecord | None: ...

    def claim(self, recipient: str, message_id: str, token: str, now: str, stale_before: str) -> Claim: ...

    def release(self, message: Message, token: str, now: str) -> None: ...


class Channel(Protocol):
    """One provider that sends one message at a time (SES, SNS)."""

    def send(self, message: Message) -> Receipt: ...


class JobQueue(Protocol):
    def enqueue(self, message: Message, delay_seconds: int = 0) -> None: ...

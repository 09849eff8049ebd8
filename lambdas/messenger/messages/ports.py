"""The ports the logic talks through. Production wires adapters; unit tests wire in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from messenger.messages.models import DeliveryStatus, Message


@dataclass(frozen=True)
class Receipt:
    """What a provider said when it took a message."""

    provider_message_id: str
    cost: str | None = None


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str
    recipient: str
    message_id: str


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to claim a queued message for sending.

    `message` is the record after the attempt: claimed (ours), or as it was when refused.
    `taken_over` says the previous claim was stale: an earlier attempt died after claiming,
    so the provider may or may not have received the message (the documented crash window).
    """

    granted: bool
    message: Message | None
    taken_over: bool = False


class MessageRepository(Protocol):
    def create(self, message: Message) -> None: ...

    def create_idempotent(
        self, message: Message, key: str, fingerprint: str, expires_at: int, now_epoch: int
    ) -> IdempotencyRecord | None: ...

    def get(self, recipient: str, message_id: str) -> Message | None: ...

    def page(
        self, recipient: str, limit: int, after_id: str | None, newest_first: bool
    ) -> tuple[list[Message], bool]: ...

    def transition(
        self,
        message: Message,
        target: DeliveryStatus,
        now: str,
        *,
        claim_token: str | None = None,
        **fields,
    ) -> Message: ...

    def claim(self, recipient: str, message_id: str, token: str, now: str, stale_before: str) -> Claim: ...

    def release(self, message: Message, token: str, now: str) -> None: ...

    def find_by_provider_message_id(self, provider_message_id: str) -> Message | None: ...

    def find_recent_by_provider_message_id(
        self, recipient: str, provider_message_id: str
    ) -> Message | None: ...

    def partition_of(self, recipient: str) -> str: ...


class Channel(Protocol):
    """One provider that sends one message at a time (SES, SNS)."""

    def send(self, message: Message) -> Receipt: ...


class JobQueue(Protocol):
    def enqueue(self, message: Message, delay_seconds: int = 0) -> None: ...


class Clock(Protocol):
    def now(self) -> str: ...

    def epoch(self) -> int: ...

    def ago(self, seconds: int) -> str: ...



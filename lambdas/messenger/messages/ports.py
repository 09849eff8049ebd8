"""The ports the message record is reached through. Production wires the DAL; unit tests may wire fakes."""

from __future__ import annotations

from typing import Protocol

from messenger.messages.models import (
    DeliveryStatus,
    Message,
    MessageEvent,
    Partition,
    Slice,
)


class MessageRepository(Protocol):
    def create(self, message: Message) -> None: ...

    def get(self, recipient: str, message_id: str) -> Message | None: ...

    def get_by_id(self, message_id: str) -> Message | None: ...

    def history_partitions(self, key: str, value: str) -> tuple[Partition, ...]: ...

    def history_slice(self, partition: Partition, query, limit: int, resume: dict | None) -> Slice: ...

    def transition(
        self,
        message: Message,
        target: DeliveryStatus,
        now: str,
        *,
        claim_token: str | None = None,
        **fields,
    ) -> Message: ...

    def note(self, message: Message, event: MessageEvent) -> bool: ...

    def find_by_provider_message_id(self, provider_message_id: str) -> Message | None: ...

    def find_recent_by_provider_message_id(self, recipient: str, provider_message_id: str) -> Message | None: ...

    def partition_of(self, recipient: str) -> str: ...


class Clock(Protocol):
    def now(self) -> str: ...

    def epoch(self) -> int: ...

    def ago(self, seconds: int) -> str: ...

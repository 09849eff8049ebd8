"""The one place a message's status changes: a conditional write that never goes backwards, its
timeline entry, `sentAt`/`completedAt`, and the fan-out to listeners (metrics today; subscriptions
and webhooks hang off the same hook). The API, the worker, delivery reports, receipts and the sweeper
all move statuses through a StatusWriter; none of them counts or publishes on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from messenger.core.input import plain_provider_text
from messenger.messages.models import DeliveryStatus, Message, MessageEvent
from messenger.messages.ports import Clock, MessageRepository

log = logging.getLogger(__name__)


class StatusListener(Protocol):
    def recorded(self, message: Message) -> None:
        """A message was written for the first time, in its first status."""

    def moved(self, message: Message) -> None:
        """A message reached a new status (the record as written)."""


class StatusWriter:
    def __init__(self, repository: MessageRepository, clock: Clock, listeners: Iterable[StatusListener] = ()) -> None:
        self._repo = repository
        self._clock = clock
        self._listeners = tuple(listeners)

    def recorded(self, message: Message) -> None:
        self._announce("recorded", message)

    def move(
        self, message: Message, target: DeliveryStatus, *, detail: str | None = None,
        claim_token: str | None = None, unclaimed: bool = False, **fields,
    ) -> Message:  # fmt: skip
        """Raises StatusConflict when the record's status may not lead to `target` (nothing changes).

        `unclaimed`: only while no send attempt holds a claim on the record (cancelling).
        `detail` and `failure_reason` often quote a provider: stored as plain, bounded text."""
        now = self._clock.now()
        detail = plain_provider_text(detail)
        if "failure_reason" in fields:
            fields["failure_reason"] = plain_provider_text(fields["failure_reason"])
        if target is DeliveryStatus.ACCEPTED:
            fields["sent_at"] = now
        if target.final:
            fields["completed_at"] = now
        moved = self._repo.transition(
            message, target, now, claim_token=claim_token, event=MessageEvent(target, now, detail), **fields,
            **({"unclaimed": True} if unclaimed else {}),
        )
        self._announce("moved", moved)
        return moved

    def note(self, message: Message, detail: str, at: str | None = None) -> bool:
        """Record something that happened without changing the status (a delay, a soft bounce)."""
        event = MessageEvent(message.delivery_status, at or self._clock.now(), plain_provider_text(detail))
        return self._repo.note(message, event)

    def _announce(self, what: str, message: Message) -> None:
        for listener in self._listeners:
            try:
                getattr(listener, what)(message)
            except Exception:  # noqa: BLE001 - a listener never fails or repeats the status change
                log.exception("status listener failed", extra={"messageId": message.id})

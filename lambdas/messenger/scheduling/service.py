"""Scheduled messages: one one-time schedule per message hands its job to the dispatch queue at its
sendAt; cancelMessage stops a message no provider has yet.

Races: the worker turns a SCHEDULED record into QUEUED with a conditional status move before it may
claim it, and a cancel moves SCHEDULED (or QUEUED and unclaimed) to CANCELLED with a conditional move
too. Both write the same item under a condition, so exactly one wins: a cancelled message is never
sent, and a message being sent cannot be cancelled. The schedule is deleted after the record is
CANCELLED; if it fires first anyway, the worker finds the record final and sends nothing.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterable

from messenger.core.errors import BadRequest, StatusConflict
from messenger.messages.history import message_id_of
from messenger.messages.models import DeliveryStatus, Message
from messenger.messages.ports import Clock, MessageRepository
from messenger.messages.status import StatusListener, StatusWriter
from messenger.scheduling.logic import Schedules

log = logging.getLogger(__name__)

CANCELLABLE = frozenset({DeliveryStatus.SCHEDULED, DeliveryStatus.QUEUED})
SCHEDULE_PREFIX = "message-"


def schedule_name(message_id: str) -> str:
    """A message's schedule: one per message, named after it (Scheduler names: 1-64 of [0-9A-Za-z-_.])."""
    return SCHEDULE_PREFIX + message_id


class ScheduledSends:
    def __init__(
        self, repository: MessageRepository, schedules: Callable[[], Schedules], clock: Clock,
        job_of: Callable[[Message], str], listeners: Iterable[StatusListener] = (),
    ) -> None:  # fmt: skip
        """`schedules` builds the schedules on first use; `job_of` is the dispatch job of a message."""
        self._repo = repository
        self._schedules = schedules
        self._job_of = job_of
        self._statuses = StatusWriter(repository, clock, listeners)

    def schedule(self, message: Message) -> None:
        """Make the message's schedule (the record is already written, SCHEDULED, with its sendAt)."""
        self._schedules().deliver_at(schedule_name(message.id), message.send_at, self._job_of(message))

    def cancel(self, raw_id) -> Message:
        message_id = message_id_of(raw_id)
        found = self._repo.get_by_id(message_id) if message_id else None
        if found is None:
            raise BadRequest("id", "no message has this id")
        # The index is eventually consistent: read the record itself for its current status.
        current = self._repo.get(found.to, found.id) or found
        if current.delivery_status not in CANCELLABLE:
            raise BadRequest("id", f"the message is {current.delivery_status.value}: only a message not yet "
                                   "sent can be cancelled")  # fmt: skip
        try:
            cancelled = self._statuses.move(current, DeliveryStatus.CANCELLED, detail="Cancelled", unclaimed=True)
        except StatusConflict:
            raise BadRequest("id", "the message is being sent or was sent: it can no longer be cancelled") from None
        log.info("message cancelled", extra={"messageId": cancelled.id, "was": current.delivery_status.value})
        if current.send_at is not None:
            self._delete_schedule(cancelled.id)
        return cancelled

    def _delete_schedule(self, message_id: str) -> None:
        try:
            self._schedules().cancel(schedule_name(message_id))
        except Exception:  # noqa: BLE001 - the record is CANCELLED: a schedule left behind sends nothing
            log.warning("could not delete the schedule of a cancelled message", extra={"messageId": message_id})

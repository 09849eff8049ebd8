"""The batch-count listener of the status writer: a batch's status counts, kept without a scan.

A batch item holds one number per status (`n<STATUS>`). Its messages are counted in bulk when the
fan-out commits a slice (batches/fanout.py: `nQUEUED` += the slice's queued messages, `nFAILED` +=
the suppressed ones, in the same conditional write that records the slice as done). After that,
every status a batch message reaches moves one count to the next in one atomic UpdateItem (ADD), made
here, by whichever function moved the status (worker, receipts, delivery reports, sweeper). When the
final counts add up to the total, the batch moves SENDING -> COMPLETED (a conditional write, once);
the writer whose conditional write succeeded, and only it, announces the batch (`on_final`: the
webhooks' BATCH_COMPLETED event, which never raises).

Cost: one UpdateItem on the batch item per status move of a batch message (about three per message:
ACCEPTED, then DELIVERED or FAILED), plus one when the batch completes. A listener never fails the
status change (StatusWriter logs a failed listener); a lost count would leave the batch SENDING while
its messages, the record, are all final (docs/batches.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from messenger.messages.models import DeliveryStatus, Message

FINAL = tuple(status for status in DeliveryStatus if status.final)


class BatchCounters(Protocol):
    def count_batch_move(self, batch_id: str, old: DeliveryStatus, new: DeliveryStatus) -> dict[str, int]: ...

    def complete_batch(self, batch_id: str, now: str) -> dict | None: ...


def previous_status(message: Message) -> DeliveryStatus | None:
    """The status before the one just reached: the newest timeline entry of another status.

    Notes carry the status they were made in, so they are passed over.
    """
    for event in reversed(message.events):
        if event.status is not message.delivery_status:
            return event.status
    return None


def all_final(counts: dict[str, int]) -> bool:
    return counts.get("total", 0) > 0 and sum(counts.get(s.value, 0) for s in FINAL) >= counts["total"]


class BatchCountListener:
    def __init__(self, counters: BatchCounters, clock, on_final: Callable[[dict], object] | None = None) -> None:
        self._counters = counters
        self._clock = clock
        self._on_final = on_final

    def recorded(self, message: Message) -> None:
        """A batch's messages are counted in bulk by the fan-out; single sends have no batch."""

    def moved(self, message: Message) -> None:
        if message.batch_id is None:
            return
        previous = previous_status(message)
        if previous is None:
            return
        counts = self._counters.count_batch_move(message.batch_id, previous, message.delivery_status)
        if counts.get("sending") and all_final(counts):
            completed = self._counters.complete_batch(message.batch_id, self._clock.now())
            if completed is not None and self._on_final is not None:
                self._on_final(completed)

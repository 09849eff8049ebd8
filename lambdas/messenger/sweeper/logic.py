"""Nothing stays open: what the sweeper closes, and as what.

- PENDING for over 2 minutes: the API call that recorded it died before settling it (its timeout is
  15 s). Whether the provider got it cannot be known → FAILED "Interrupted (may have been sent)".
- QUEUED for over 6 hours: the worker retries for minutes, not hours; a job lost between the queue and
  the record leaves this → FAILED "Expired in queue (may have been sent)".
- ACCEPTED with no receipt after `receipt_timeout_hours` → UNCONFIRMED: handed over, no word since;
  it may well have arrived (some carriers and countries send no receipts).
- SCHEDULED 6 hours past its sendAt: its schedule was never made (the API call died before making it,
  and was not retried with its key) or was deleted → FAILED "Schedule lost (not sent)". No provider
  had it; a schedule that still fires later finds it FAILED and sends nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from messenger.core.errors import StatusConflict
from messenger.messages.metrics import channel_of
from messenger.messages.models import DeliveryStatus
from messenger.messages.status import StatusWriter

log = logging.getLogger(__name__)

STUCK_PENDING_SECONDS = 120
STUCK_QUEUED_SECONDS = 6 * 3600
PER_RUN_LIMIT = 500  # per status and shard; the next run (5 minutes later) takes the rest


@dataclass(frozen=True)
class Rule:
    status: DeliveryStatus
    after_seconds: int
    target: DeliveryStatus
    reason: str | None
    by_send_at: bool = False  # measured from sendAt (SCHEDULED), not from the last update


def rules(receipt_timeout_hours: int) -> tuple[Rule, ...]:
    return (
        Rule(DeliveryStatus.PENDING, STUCK_PENDING_SECONDS, DeliveryStatus.FAILED, "Interrupted (may have been sent)"),
        Rule(DeliveryStatus.QUEUED, STUCK_QUEUED_SECONDS, DeliveryStatus.FAILED, "Expired in queue (may have been sent)"),
        Rule(DeliveryStatus.ACCEPTED, receipt_timeout_hours * 3600, DeliveryStatus.UNCONFIRMED, None),
        Rule(DeliveryStatus.SCHEDULED, STUCK_QUEUED_SECONDS, DeliveryStatus.FAILED, "Schedule lost (not sent)",
             by_send_at=True),
    )


def sweep(open_messages, statuses: StatusWriter, clock, receipt_timeout_hours: int) -> Counter:
    """Returns how many messages were closed, by channel."""
    closed: Counter = Counter()
    for rule in rules(receipt_timeout_hours):
        before = clock.ago(rule.after_seconds)
        found = (open_messages.scheduled_before(before, PER_RUN_LIMIT) if rule.by_send_at
                 else open_messages.older_than(rule.status, before, PER_RUN_LIMIT))
        for message in found:
            detail = rule.reason or f"No receipt within {receipt_timeout_hours} h: it may have arrived"
            try:
                statuses.move(message, rule.target, detail=detail, failure_reason=rule.reason)
            except StatusConflict:
                continue  # it moved on its own meanwhile
            closed[channel_of(message)] += 1
            log.info("sweeper closed a message", extra={"messageId": message.id, "was": rule.status.value,
                                                        "now": rule.target.value})  # fmt: skip
    return closed

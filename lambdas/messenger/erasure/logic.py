"""eraseRecipient: every record of one recipient goes, except a do-not-contact marker.

It pages through the recipient's partition until it is empty or the time budget is spent (then
`complete` is false and calling again goes on: each call erases what is left, a call on nothing
erases 0). A message still in a queue finds its record gone and is dropped by the worker unsent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from messenger.core.errors import BadRequest
from messenger.core.input import address
from messenger.core.masking import mask_recipient
from messenger.erasure.models import KEPT_REASONS, ErasureReport
from messenger.messages.recipients import normalise_recipient

log = logging.getLogger(__name__)

# The API function's timeout is 15 s: stop starting pages well before it.
BUDGET_SECONDS = 10.0


def recipient_of(args: dict) -> str:
    raw = args.get("to")
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("to", "is required")
    return normalise_recipient(address(raw, "to"), "to")


def erase(table, suppressions, args: dict, budget_seconds: float | None = None,
          monotonic: Callable[[], float] = time.monotonic) -> ErasureReport:  # fmt: skip
    recipient = recipient_of(args)
    report = ErasureReport(recipient)
    deadline = monotonic() + (BUDGET_SECONDS if budget_seconds is None else budget_seconds)
    start = None
    while True:
        messages, keys, start = table.recipient_page(recipient, start)
        table.delete_keys(keys + messages)  # the keys first: a message is never left without them
        report.messages += len(messages)
        report.idempotency_keys += len(keys)
        if start is None:
            break
        if monotonic() >= deadline:
            log.info("erasure paused: time budget spent",
                     extra={"to": mask_recipient(recipient), "messages": report.messages})  # fmt: skip
            return report
    entry = suppressions.get(recipient)
    if entry is not None:
        if entry.reason in KEPT_REASONS:
            report.kept_suppression = entry.reason
        elif suppressions.remove(recipient):
            report.suppressions += 1
    report.complete = True
    log.info("recipient erased", extra={"to": mask_recipient(recipient), "messages": report.messages,
                                        "suppressions": report.suppressions})  # fmt: skip
    return report

"""getSuppressions and removeSuppression: paging the list, lifting one entry.

A page cursor names the last recipient shown (the list is for an operator, who sees those anyway).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable

from messenger.core.errors import BadRequest
from messenger.core.input import address
from messenger.core.masking import mask_recipient
from messenger.messages.filters import id_connection, page_size
from messenger.messages.models import Message
from messenger.messages.recipients import normalise_recipient
from messenger.suppressions.dal import SuppressionsTable
from messenger.suppressions.models import Suppression

log = logging.getLogger(__name__)

_CURSOR_PREFIX = "s1:"


def _encode(recipient: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + recipient).encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        # strict: a character outside the URL-safe alphabet or a surplus "=" is not one of our cursors
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("after", "not a valid cursor") from None
    if not raw.startswith(_CURSOR_PREFIX) or len(cursor) > 512:
        raise BadRequest("after", "not a valid cursor")
    return normalise_recipient(raw[len(_CURSOR_PREFIX):], "after")


def page(table: SuppressionsTable, args: dict) -> dict:
    first = page_size(args)
    after = args.get("after")
    if after is not None and not isinstance(after, str):
        raise BadRequest("after", "not a valid cursor")
    after_to = _decode(after) if after else None
    found, cut_short = table.page(first + 1, after_to)
    return id_connection(found, first, cut_short, cursor=lambda entry: _encode(entry.to))


def remove(table: SuppressionsTable, args: dict) -> bool:
    raw = args.get("to")
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("to", "is required")
    return table.remove(normalise_recipient(address(raw, "to"), "to"))


class Suppressor:
    """Puts a recipient on the list after a permanent bounce, a complaint or a provider's refusal."""

    def __init__(self, table: SuppressionsTable, clock, added: Callable[[Suppression], None] = lambda entry: None):
        self._table = table
        self._clock = clock
        self._added = added

    def suppress(self, message: Message, reason: str) -> None:
        entry = Suppression(message.to, reason, self._clock.now(), message.id)
        if self._table.add(entry):
            log.info("recipient suppressed", extra={"messageId": message.id, "reason": reason,
                                                    "to": mask_recipient(message.to)})
            self._added(entry)

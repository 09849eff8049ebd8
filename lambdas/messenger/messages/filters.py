"""getMessages' filter: which history (recipient, sender or reference), which slice of time, which messages.

Exactly one key names the history: `to`, `senderId`, `reference` or `batchId`. `createdAfter` (inclusive) and
`createdBefore` (exclusive) become bounds of the ULID sort key, to the millisecond, so a time range is
part of the Query's key condition. `status` and `deliveryMethod` are a filter expression: the history
reads on until the page is full, within a bound (history.py). A cursor is bound to the whole filter.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from messenger.core.errors import BadRequest
from messenger.core.input import address, optional_text
from messenger.messages import ulids
from messenger.messages.cursor import decode_cursor
from messenger.messages.models import DeliveryMethod, DeliveryStatus
from messenger.messages.recipients import normalise_recipient

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
KEYS = ("to", "senderId", "reference", "batchId")
MAX_KEY_LENGTH = {"senderId": 128, "reference": 256, "batchId": 64}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class HistoryQuery:
    key: str  # "to", "senderId", "reference" or "batchId"
    value: str  # normalised for `to`, as given otherwise
    low: str | None  # inclusive ULID bounds; None: unbounded
    high: str | None
    statuses: tuple[str, ...]
    delivery_method: str | None
    limit: int
    newest_first: bool
    binding: str  # what a cursor is bound to

    @property
    def filtered(self) -> bool:
        return bool(self.statuses or self.delivery_method)

    @property
    def empty(self) -> bool:
        return self.low is not None and self.high is not None and self.low > self.high


def _key(flt: dict) -> tuple[str, str]:
    given = [key for key in KEYS if flt.get(key) is not None]
    if len(given) != 1:
        named = ", ".join(f"filter.{key}" for key in given) or "none"
        raise BadRequest("filter", f"give exactly one of filter.to, filter.senderId, filter.reference, filter.batchId (got {named})")
    [key] = given
    if key == "to":
        if not isinstance(flt["to"], str) or not flt["to"].strip():
            raise BadRequest("filter.to", "is required")
        return key, normalise_recipient(address(flt["to"], "filter.to"), "filter.to")
    value = optional_text({f"filter.{key}": flt[key]}, f"filter.{key}", MAX_KEY_LENGTH[key])
    return key, value


def _milliseconds(value, field: str) -> int | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise BadRequest(field, "must be an AWSDateTime such as 2026-01-31T09:00:00.000Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    milliseconds = (moment - _EPOCH) // dt.timedelta(milliseconds=1)
    if not 0 <= milliseconds <= ulids.MAX_MILLISECONDS:
        raise BadRequest(field, "is out of range")
    return milliseconds


def _statuses(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise BadRequest("filter.status", "must name at least one status")
    allowed = {status.value for status in DeliveryStatus}
    if any(status not in allowed for status in value):
        raise BadRequest("filter.status", f"must be among {', '.join(sorted(allowed))}")
    return tuple(sorted(set(value)))


def _method(value) -> str | None:
    if value is None:
        return None
    if value not in {method.value for method in DeliveryMethod}:
        raise BadRequest("filter.deliveryMethod", "must be EMAIL or SMS")
    return value


def page_size(args: dict) -> int:
    """`first` of any paged list: DEFAULT_PAGE_SIZE when absent, else a whole number from 1 to MAX_PAGE_SIZE."""
    first = args.get("first")
    if first is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_PAGE_SIZE:
        raise BadRequest("first", f"must be between 1 and {MAX_PAGE_SIZE}")
    return first


def parse_history_query(args: dict, recipient_partition) -> HistoryQuery:
    """`recipient_partition(recipient)` is what a plain `to` cursor has always been bound to."""
    flt = args.get("filter")
    if not isinstance(flt, dict):
        raise BadRequest("filter", "is required")
    key, value = _key(flt)
    after_ms = _milliseconds(flt.get("createdAfter"), "filter.createdAfter")
    before_ms = _milliseconds(flt.get("createdBefore"), "filter.createdBefore")
    if after_ms is not None and before_ms is not None and before_ms <= after_ms:
        raise BadRequest("filter.createdBefore", "must be later than filter.createdAfter")
    statuses, method = _statuses(flt.get("status")), _method(flt.get("deliveryMethod"))
    first = page_size(args)
    order = args.get("order") or "OLDEST_FIRST"
    if order not in ("OLDEST_FIRST", "NEWEST_FIRST"):
        raise BadRequest("order", "must be one of OLDEST_FIRST, NEWEST_FIRST")
    newest_first = order == "NEWEST_FIRST"
    if key == "to" and after_ms is None and before_ms is None and not statuses and method is None:
        binding = recipient_partition(value)  # as before: cursors of plain recipient histories stay valid
    else:
        binding = json.dumps([key, value, after_ms, before_ms, statuses, method], separators=(",", ":"))
    low = ulids.first_at(after_ms) if after_ms is not None else None
    high = ulids.last_before(before_ms) if before_ms is not None else None
    after = args.get("after")
    if after is not None:
        if not isinstance(after, str):
            raise BadRequest("after", "not a valid cursor")
        position = decode_cursor(after, binding)
        if newest_first:
            high = _lowest(high, ulids.predecessor(position))
        else:
            low = _highest(low, ulids.successor(position))
    return HistoryQuery(key, value, low, high, statuses, method, first, newest_first, binding)


def _lowest(bound: str | None, other: str | None) -> str:
    candidates = [b for b in (bound, other) if b is not None]
    return min(candidates) if candidates else ulids.to_text(0)


def _highest(bound: str | None, other: str | None) -> str:
    candidates = [b for b in (bound, other) if b is not None]
    return max(candidates) if candidates else ulids.to_text(ulids.MAX_ULID)


def id_page_arguments(args: dict) -> tuple[int, str | None]:
    """`first` and `after` of a list paged by item id (clients, proxy sessions): the cursor is the last id."""
    first = page_size(args)
    after = args.get("after")
    if after is not None and (not isinstance(after, str) or not after.isalnum() or len(after) > 64):
        raise BadRequest("after", "not a valid cursor")
    return first, after


def id_connection(found: list, first: int, cut_short: bool, cursor: Callable = lambda item: item.id,
                  node: Callable = lambda item: item.to_graphql()) -> dict:
    """The connection of one page read as `first + 1` items (the extra one says a next page exists);
    `cut_short`: DynamoDB stopped early. `cursor` names the last item shown (its id by default)."""
    shown = found[:first]
    return {"data": [node(item) for item in shown],
            "pageInfo": {"hasNextPage": (len(found) > first or cut_short) and bool(shown),
                         "endCursor": cursor(shown[-1]) if shown else None}}

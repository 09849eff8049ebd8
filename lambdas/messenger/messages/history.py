"""getMessages: a recipient's history, one DynamoDB Query a page, with an exact hasNextPage."""

from __future__ import annotations

from dataclasses import dataclass

from messenger.core.errors import BadRequest
from messenger.core.input import address
from messenger.messages.cursor import decode_cursor, encode_cursor
from messenger.messages.models import Page
from messenger.messages.ports import MessageRepository
from messenger.messages.recipients import normalise_recipient

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ListRequest:
    recipient: str
    limit: int
    after_id: str | None
    newest_first: bool


def parse_list_input(args: dict, partition_of) -> ListRequest:
    """`partition_of(recipient)` gives the partition a cursor must belong to."""
    flt = args.get("filter")
    if not isinstance(flt, dict) or not isinstance(flt.get("to"), str) or not flt["to"].strip():
        raise BadRequest("filter.to", "is required")
    recipient = normalise_recipient(address(flt["to"], "filter.to"), "filter.to")
    first = args.get("first")
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_PAGE_SIZE:
        raise BadRequest("first", f"must be between 1 and {MAX_PAGE_SIZE}")
    after = args.get("after")
    after_id = None
    if after is not None:
        if not isinstance(after, str):
            raise BadRequest("after", "not a valid cursor")
        after_id = decode_cursor(after, partition_of(recipient))
    order = args.get("order") or "OLDEST_FIRST"
    if order not in ("OLDEST_FIRST", "NEWEST_FIRST"):
        raise BadRequest("order", "must be one of OLDEST_FIRST, NEWEST_FIRST")
    return ListRequest(recipient, first, after_id, order == "NEWEST_FIRST")


class History:
    def __init__(self, repository: MessageRepository) -> None:
        self._repo = repository

    def page(self, args: dict) -> Page:
        request = parse_list_input(args, self._repo.partition_of)
        # One more than the page: its presence is what makes hasNextPage exact. If DynamoDB stopped
        # at its 1 MB read limit first, the page is shorter and the next one starts where it stopped.
        found, cut_short = self._repo.page(
            request.recipient, request.limit + 1, request.after_id, request.newest_first
        )
        shown = found[: request.limit]
        has_next = len(found) > request.limit or cut_short
        end_cursor = (
            encode_cursor(self._repo.partition_of(request.recipient), shown[-1].id) if shown else None
        )
        return Page(shown, has_next and bool(shown), end_cursor)

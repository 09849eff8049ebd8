"""getMessages and getMessage: a history page with an exact hasNextPage, and one message by its id.

A page reads each partition of the history (one for a recipient or a reference, SENDER_SHARDS for a
sender) with Queries of `first + 1` items, then twice as many each time, until it holds `first + 1`
matches or the partition ends; without a status or method filter it is exactly one Query. The reads of one
call are bounded: at most MAX_QUERIES_PER_PARTITION Queries per partition, each of at most MAX_QUERY_LIMIT
items. A page that reached the bound is shorter, says hasNextPage, and its cursor continues where the
reading stopped (docs/history.md).
"""

from __future__ import annotations

from messenger.messages import ulids
from messenger.messages.cursor import encode_cursor
from messenger.messages.filters import HistoryQuery, parse_history_query
from messenger.messages.models import Message, Page, Partition
from messenger.messages.ports import MessageRepository

MAX_QUERIES_PER_PARTITION = 8
MAX_QUERY_LIMIT = 1000
ID_PREFIX = "MESSAGE#"


def message_id_of(raw) -> str | None:
    """The ULID a getMessage id names, with or without the MESSAGE# prefix; None when it cannot be one."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if text.upper().startswith(ID_PREFIX):
        text = text[len(ID_PREFIX):]
    text = text.upper()
    return text if ulids.ULID_PATTERN.match(text) else None


class History:
    def __init__(self, repository: MessageRepository) -> None:
        self._repo = repository
        self.reads = 0  # Queries made by the last page() call

    def message(self, args: dict) -> Message | None:
        message_id = message_id_of(args.get("id"))
        return self._repo.get_by_id(message_id) if message_id else None

    def page(self, args: dict) -> Page:
        query = parse_history_query(args, self._repo.partition_of)
        self.reads = 0
        if query.empty:
            return Page([], False, None)
        need = query.limit + 1
        found: list[Message] = []
        stops: list[str] = []
        for partition in self._repo.history_partitions(query.key, query.value):
            matches, stop = self._read(partition, query, need)
            found += matches
            if stop is not None:
                stops.append(stop)
        return self._assemble(query, found, stops)

    def _read(self, partition: Partition, query: HistoryQuery, need: int) -> tuple[list[Message], str | None]:
        """Up to `need` matches in order, and the position reading stopped at (None: partition ended)."""
        found: list[Message] = []
        resume, limit = None, need
        # Unfiltered, every item matches: one Query (DynamoDB's 1 MB cut ends the page early, as it always has).
        for _ in range(MAX_QUERIES_PER_PARTITION if query.filtered else 1):
            part = self._repo.history_slice(partition, query, limit, resume)
            self.reads += 1
            found += part.messages
            if len(found) >= need:
                return found[:need], found[need - 1].id
            if part.resume is None:
                return found, None
            resume, limit = part.resume, min(limit * 2, MAX_QUERY_LIMIT)
        return found, part.position

    def _assemble(self, query: HistoryQuery, found: list[Message], stops: list[str]) -> Page:
        found.sort(key=lambda m: m.id, reverse=query.newest_first)
        frontier = None
        if stops:
            # A partition that stopped early may hold more before anything past its stop: keep up to it.
            frontier = max(stops) if query.newest_first else min(stops)
            found = [m for m in found if (m.id >= frontier if query.newest_first else m.id <= frontier)]
        shown = found[: query.limit]
        if len(found) > query.limit:
            return Page(shown, True, encode_cursor(query.binding, shown[-1].id))
        if frontier is not None:
            return Page(shown, True, encode_cursor(query.binding, frontier))
        return Page(shown, False, encode_cursor(query.binding, shown[-1].id) if shown else None)

"""getMessages' filters and paging logic over an in-memory stand-in that behaves like a DynamoDB Query:
`Limit` counts items read before the filter expression, and a Query says where it stopped."""

from __future__ import annotations

import datetime as dt

import pytest
from messenger.core.errors import BadRequest
from messenger.messages import ulids
from messenger.messages.cursor import encode_cursor
from messenger.messages.filters import id_page_arguments, parse_history_query
from messenger.messages.history import MAX_QUERIES_PER_PARTITION, History, message_id_of
from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Message,
    Partition,
    Provider,
    Slice,
)

T0 = 1_769_850_000_000  # 2026-01-31T09:00:00.000Z in ms


def iso(ms: int) -> str:
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def message(ms: int, n: int, status=DeliveryStatus.DELIVERED, sender="shop") -> Message:
    return Message(
        id=ulids.to_text((ms << 80) + n), to="user@example.com", body=f"m{n}", delivery_method=DeliveryMethod.EMAIL,
        delivery_status=status, provider=Provider.SES, created_at=iso(ms), updated_at=iso(ms), sender_id=sender,
    )


class FakeRepository:
    def __init__(self, messages, shards: int = 1) -> None:
        self.shards = shards
        self.by_partition: dict[str, list[Message]] = {}
        for i, m in enumerate(messages):
            self.by_partition.setdefault(f"{m.sender_id}#{i % shards}", []).append(m)
        self.queries = 0

    def partition_of(self, recipient: str) -> str:
        return "MESSAGE#" + recipient

    def history_partitions(self, key, value):
        return tuple(Partition("bySender", "senderKey", f"{value}#{s}") for s in range(self.shards))

    def history_slice(self, partition, query, limit, resume):
        self.queries += 1
        items = sorted(self.by_partition.get(partition.key, []), key=lambda m: m.id, reverse=query.newest_first)
        items = [m for m in items if (query.low or "") <= m.id <= (query.high or "~")]
        if resume:
            items = [m for m in items if (m.id < resume["SK"] if query.newest_first else m.id > resume["SK"])]
        read, rest = items[:limit], items[limit:]
        matches = [m for m in read if (not query.statuses or m.delivery_status.value in query.statuses)
                   and (not query.delivery_method or m.delivery_method.value == query.delivery_method)]
        last = {"SK": read[-1].id} if rest else None
        return Slice(matches, last, read[-1].id if rest else None)


def pages(history, flt, first, order=None):
    out, after = [], None
    while len(out) < 500:
        page = history.page({"filter": flt, "first": first, "after": after, "order": order})
        out.append((page, history.reads))
        if not page.has_next_page:
            return out
        after = page.end_cursor
    raise AssertionError("paging does not end")


# -- filter validation ------------------------------------------------------------------------------
@pytest.mark.parametrize("flt, named", [
    ({}, "none"),
    ({"to": "user@example.com", "senderId": "shop"}, "filter.to, filter.senderId"),
    ({"senderId": "shop", "reference": "order-1"}, "filter.senderId, filter.reference"),
    ({"to": "a@example.com", "senderId": "s", "reference": "r"}, "filter.to, filter.senderId, filter.reference"),
])
def test_exactly_one_history_key_else_bad_request_naming_the_fields(flt, named):
    with pytest.raises(BadRequest) as error:
        parse_history_query({"filter": flt}, lambda r: r)
    assert (error.value.field, str(error.value)) == ("filter", "filter: give exactly one of filter.to, filter.senderId, "
                                                     f"filter.reference, filter.batchId (got {named})")


STATUSES = "ACCEPTED, CANCELLED, DELIVERED, FAILED, PENDING, QUEUED, SCHEDULED, UNCONFIRMED"


@pytest.mark.parametrize("flt, field, message", [
    ({"senderId": "  "}, "filter.senderId", "must not be blank"),
    ({"reference": "x" * 257}, "filter.reference", "must be at most 256 characters"),
    ({"to": ""}, "filter.to", "is required"),
    ({"to": 42}, "filter.to", "is required"),
    ({"to": "a@example.com\nBcc: b@example.com"}, "filter.to", "must be a single line"),
    ({"to": "not an address"}, "filter.to", "a phone number must be in E.164 form: + and the country code"),
    ({"senderId": "s", "createdAfter": "yesterday"}, "filter.createdAfter",
     "must be an AWSDateTime such as 2026-01-31T09:00:00.000Z"),
    ({"senderId": "s", "createdBefore": "1969-12-31T23:59:59Z"}, "filter.createdBefore", "is out of range"),
    ({"senderId": "s", "createdAfter": iso(T0), "createdBefore": iso(T0)}, "filter.createdBefore",
     "must be later than filter.createdAfter"),
    ({"senderId": "s", "status": []}, "filter.status", "must name at least one status"),
    ({"senderId": "s", "status": "FAILED"}, "filter.status", "must name at least one status"),
    ({"senderId": "s", "status": ["FAILED", "LOST"]}, "filter.status", f"must be among {STATUSES}"),
    ({"senderId": "s", "deliveryMethod": "FAX"}, "filter.deliveryMethod", "must be EMAIL or SMS"),
])
def test_bad_filter_values_name_their_field(flt, field, message):
    with pytest.raises(BadRequest) as error:
        parse_history_query({"filter": flt}, lambda r: r)
    assert (error.value.field, str(error.value)) == (field, f"{field}: {message}")


@pytest.mark.parametrize("args, field, message", [
    ({}, "filter", "is required"),
    ({"filter": "shop"}, "filter", "is required"),
    ({"filter": {"senderId": "s"}, "order": "RANDOM"}, "order", "must be one of OLDEST_FIRST, NEWEST_FIRST"),
    ({"filter": {"senderId": "s"}, "after": 5}, "after", "not a valid cursor"),
])
def test_bad_history_arguments_name_their_field(args, field, message):
    with pytest.raises(BadRequest) as error:
        parse_history_query(args, lambda r: r)
    assert (error.value.field, str(error.value)) == (field, f"{field}: {message}")


def test_the_first_millisecond_of_1970_is_a_valid_bound():
    query = parse_history_query({"filter": {"senderId": "s", "createdAfter": "1970-01-01T00:00:00.000Z"}}, lambda r: r)
    assert query.low == ulids.to_text(0)


def test_a_filtered_cursor_handed_out_by_an_earlier_release_still_pages_on():
    """The binding of a filtered history is part of every cursor already handed out: its spelling stays."""
    flt = {"senderId": "s", "createdAfter": iso(T0), "status": ["FAILED"]}
    position = ulids.to_text((T0 + 3) << 80)
    cursor = encode_cursor(f'["senderId","s",{T0},null,["FAILED"],null]', position)  # as that release bound it
    query = parse_history_query({"filter": flt, "after": cursor}, lambda r: r)
    assert query.low == ulids.successor(position)
    with pytest.raises(BadRequest, match="another filter"):  # bound to the whole filter, not only its key
        parse_history_query({"filter": {**flt, "status": ["DELIVERED"]}, "after": cursor}, lambda r: r)


@pytest.mark.parametrize("after", ["01JABC-DEF", "a" * 65, 42, ""])
def test_an_id_page_cursor_that_cannot_be_an_id_is_refused(after):
    with pytest.raises(BadRequest) as error:
        id_page_arguments({"after": after})
    assert (error.value.field, str(error.value)) == ("after", "after: not a valid cursor")


def test_an_id_page_cursor_is_an_id_of_up_to_64_letters_and_digits():
    assert id_page_arguments({"first": 5, "after": "A1" * 32}) == (5, "A1" * 32)
    assert id_page_arguments({}) == (20, None)


def test_a_time_without_a_zone_is_utc_and_duplicate_statuses_count_once():
    query = parse_history_query({"filter": {"senderId": "s", "createdAfter": "2026-01-31T09:00:00",
                                            "status": ["FAILED", "DELIVERED", "FAILED"]}}, lambda r: r)
    assert query.low == ulids.to_text(T0 << 80) and query.statuses == ("DELIVERED", "FAILED")


def test_a_time_range_becomes_ulid_bounds_to_the_millisecond():
    query = parse_history_query({"filter": {"senderId": "s", "createdAfter": iso(T0),
                                            "createdBefore": iso(T0 + 5)}}, lambda r: r)
    assert query.low == ulids.to_text(T0 << 80)
    assert query.high == ulids.to_text(((T0 + 5) << 80) - 1)
    assert ulids.milliseconds_of(query.high) == T0 + 4


def test_a_plain_recipient_cursor_is_bound_as_before_and_other_filters_are_not():
    plain = parse_history_query({"filter": {"to": "user@example.com"}}, lambda r: "MESSAGE#" + r)
    assert plain.binding == "MESSAGE#user@example.com"
    cursor = encode_cursor(plain.binding, ulids.to_text(T0 << 80))
    parse_history_query({"filter": {"to": "user@example.com"}, "after": cursor}, lambda r: "MESSAGE#" + r)
    for other in ({"to": "user@example.com", "status": ["FAILED"]}, {"senderId": "user@example.com"},
                  {"to": "user@example.com", "createdAfter": iso(T0)}):
        with pytest.raises(BadRequest, match="another filter"):
            parse_history_query({"filter": other, "after": cursor}, lambda r: "MESSAGE#" + r)


@pytest.mark.parametrize("raw, expected", [
    ("01KG8Q0W3V0000000000000001", "01KG8Q0W3V0000000000000001"),
    ("MESSAGE#01KG8Q0W3V0000000000000001", "01KG8Q0W3V0000000000000001"),
    ("message#01kg8q0w3v0000000000000001", "01KG8Q0W3V0000000000000001"),
    ("not-an-id", None), ("", None), (None, None), ("81KG8Q0W3V0000000000000001", None),
])
def test_get_message_ids_with_or_without_prefix(raw, expected):
    assert message_id_of(raw) == expected


# -- paging ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shards", [1, 3])
@pytest.mark.parametrize("order", ["OLDEST_FIRST", "NEWEST_FIRST"])
def test_sparse_status_matches_fill_every_page_with_an_exact_has_next_page(shards, order):
    history_ = [message(T0 + i, i, DeliveryStatus.FAILED if i % 50 == 7 else DeliveryStatus.DELIVERED)
                for i in range(1000)]
    repo = FakeRepository(history_, shards)
    got = pages(History(repo), {"senderId": "shop", "status": ["FAILED"]}, first=5, order=order)
    assert [len(page.messages) for page, _ in got] == [5, 5, 5, 5]  # 20 matches: the last page exactly full
    assert [page.has_next_page for page, _ in got] == [True, True, True, False]
    ids = [m.id for page, _ in got for m in page.messages]
    expected = sorted(m.id for m in history_ if m.delivery_status is DeliveryStatus.FAILED)
    assert ids == (expected[::-1] if order == "NEWEST_FIRST" else expected)
    assert all(reads <= MAX_QUERIES_PER_PARTITION * shards for _, reads in got)


def test_reads_are_bounded_and_a_page_at_the_bound_continues_where_it_stopped():
    history_ = [message(T0 + i, i, DeliveryStatus.FAILED if i in (3, 19_000) else DeliveryStatus.DELIVERED)
                for i in range(20_000)]
    repo = FakeRepository(history_)
    got = pages(History(repo), {"senderId": "shop", "status": ["FAILED"]}, first=2)
    assert all(reads <= MAX_QUERIES_PER_PARTITION for _, reads in got)
    assert [m.body for page, _ in got for m in page.messages] == ["m3", "m19000"]
    assert got[0][0].has_next_page and len(got[0][0].messages) == 1  # the bound: shorter page, more to read
    assert got[-1][0].has_next_page is False


def test_unfiltered_and_time_range_pages_take_one_query_each():
    history_ = [message(T0 + i, i) for i in range(30)]
    repo = FakeRepository(history_)
    got = pages(History(repo), {"senderId": "shop", "createdAfter": iso(T0 + 5), "createdBefore": iso(T0 + 25)}, 10)
    assert [reads for _, reads in got] == [1, 1]
    assert [len(page.messages) for page, _ in got] == [10, 10] and got[-1][0].has_next_page is False


def test_time_range_edges_are_inclusive_after_and_exclusive_before_to_the_millisecond():
    # Two messages in each of four milliseconds, with the smallest and largest possible random parts.
    history_ = [Message(**{**message(ms, 0).__dict__, "id": ulids.to_text((ms << 80) + r), "body": f"{ms - T0}/{r}"})
                for ms in (T0 - 1, T0, T0 + 1, T0 + 2) for r in (0, (1 << 80) - 1)]
    repo = FakeRepository(history_)
    [(page, _)] = pages(History(repo), {"senderId": "shop", "createdAfter": iso(T0), "createdBefore": iso(T0 + 2)}, 10)
    assert [m.body for m in page.messages] == ["0/0", f"0/{(1 << 80) - 1}", "1/0", f"1/{(1 << 80) - 1}"]


def test_an_empty_history_has_no_next_page_and_no_cursor():
    page = History(FakeRepository([])).page({"filter": {"senderId": "nobody", "status": ["FAILED"]}})
    assert (page.messages, page.has_next_page, page.end_cursor) == ([], False, None)


@pytest.mark.parametrize("order", ["OLDEST_FIRST", "NEWEST_FIRST"])
def test_partitions_stopping_at_different_places_give_every_match_once_in_order(order):
    """Two shards, one dense and one ten times sparser in time, both read to their bound: the sparse one
    gets much further, so a page may keep only what the dense one could not still precede."""
    dense = [message(T0 + k, 2 * k, DeliveryStatus.FAILED if k in (1, 2000, 2990) else DeliveryStatus.DELIVERED)
             for k in range(3000)]
    sparse = [message(T0 + 10 * k, 2 * k + 1, DeliveryStatus.FAILED if k in (10, 500, 2500) else DeliveryStatus.DELIVERED)
              for k in range(3000)]
    history_ = [m for pair in zip(dense, sparse) for m in pair]  # the stand-in shards by position: dense, sparse
    got = pages(History(FakeRepository(history_, shards=2)), {"senderId": "shop", "status": ["FAILED"]}, 2, order)
    ids = [m.id for page, _ in got for m in page.messages]
    expected = sorted(m.id for m in history_ if m.delivery_status is DeliveryStatus.FAILED)
    assert ids == (expected[::-1] if order == "NEWEST_FIRST" else expected)
    assert all(reads <= MAX_QUERIES_PER_PARTITION * 2 for _, reads in got)


def test_an_id_that_cannot_be_a_message_id_is_not_looked_up():
    from messenger.messages.history import History

    class NoLookups:
        def get_by_id(self, message_id):
            raise AssertionError(f"looked up {message_id!r}")

    history = History(NoLookups())
    for raw in (None, "", "   ", 42, "MESSAGE#", "not a ulid"):
        assert history.message({"id": raw}) is None


def test_a_sparse_filter_reads_with_a_doubling_limit_until_the_page_and_one_more_are_found():
    history_ = [message(T0 + i, i, DeliveryStatus.FAILED if i % 50 == 7 else DeliveryStatus.DELIVERED)
                for i in range(1000)]
    repo, limits = FakeRepository(history_), []
    real = repo.history_slice
    repo.history_slice = lambda partition, query, limit, resume: (limits.append(limit), real(partition, query, limit, resume))[1]
    history = History(repo)
    assert history.reads == 0
    page = history.page({"filter": {"senderId": "shop", "status": ["FAILED"]}, "first": 5})
    assert limits == [6, 12, 24, 48, 96, 192] and history.reads == 6  # 8 matches by then: 5 shown, more to come
    assert [m.body for m in page.messages] == ["m7", "m57", "m107", "m157", "m207"] and page.has_next_page


def test_a_cursor_at_the_end_of_a_time_range_gives_an_empty_page_without_reading():
    repo = FakeRepository([message(T0 + i, i) for i in range(3)])
    history = History(repo)
    flt = {"senderId": "shop", "createdAfter": iso(T0), "createdBefore": iso(T0 + 1)}
    binding = parse_history_query({"filter": flt}, repo.partition_of).binding
    after = encode_cursor(binding, ulids.last_before(T0 + 1))  # the range's last possible id: nothing is after it
    page = history.page({"filter": flt, "after": after})
    assert (page.messages, page.has_next_page, page.end_cursor, history.reads, repo.queries) == ([], False, None, 0, 0)


def test_the_last_page_still_names_its_last_message_as_its_end_cursor():
    repo = FakeRepository([message(T0 + i, i) for i in range(3)])
    flt = {"senderId": "shop"}
    page = History(repo).page({"filter": flt, "first": 5})
    binding = parse_history_query({"filter": flt}, repo.partition_of).binding
    assert page.has_next_page is False and page.end_cursor == encode_cursor(binding, page.messages[-1].id)

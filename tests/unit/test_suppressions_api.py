"""getSuppressions and removeSuppression over the real table (moto): paging with a cursor that names
the last recipient, what each refusal says, and removing one entry."""

from __future__ import annotations

import base64

import boto3
import pytest
from messenger.core.errors import BadRequest
from messenger.messages.filters import page_size
from messenger.suppressions.dal import SuppressionsTable
from messenger.suppressions.logic import page, remove
from messenger.suppressions.models import Suppression


SINCE = "2026-11-23T12:00:00.000Z"


@pytest.fixture
def table(empty_moto_table):
    return SuppressionsTable(boto3.client("dynamodb"), empty_moto_table)


def _refused(call, *args) -> str:
    with pytest.raises(BadRequest) as caught:
        call(*args)
    return str(caught.value)


def test_the_list_pages_in_recipient_order_and_the_cursor_names_the_last_one(table):
    for n in range(5):
        table.add(Suppression(f"+25471100000{n}", "opt-out", SINCE, f"m{n}"))
    first = page(table, {"first": 2})
    assert first["data"] == [{"to": "+254711000000", "reason": "opt-out", "since": SINCE, "messageId": "m0"},
                             {"to": "+254711000001", "reason": "opt-out", "since": SINCE, "messageId": "m1"}]
    assert first["pageInfo"]["hasNextPage"] is True
    cursor = first["pageInfo"]["endCursor"]
    assert base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode() == "s1:+254711000001"
    rest = page(table, {"first": 3, "after": cursor})
    assert [e["to"] for e in rest["data"]] == ["+254711000002", "+254711000003", "+254711000004"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert len(page(table, {})["data"]) == 5


def test_an_empty_list_has_no_next_page_and_no_cursor(table):
    assert page(table, {}) == {"data": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


@pytest.mark.parametrize(("args", "message"), [
    ({"first": 0}, "first: must be between 1 and 100"),
    ({"first": 101}, "first: must be between 1 and 100"),
    ({"first": False}, "first: must be between 1 and 100"),
    ({"first": 2.0}, "first: must be between 1 and 100"),
    ({"after": 3}, "after: not a valid cursor"),
    ({"after": "%%%"}, "after: not a valid cursor"),
    ({"after": base64.urlsafe_b64encode(b"s2:+254711000001").decode()}, "after: not a valid cursor"),
    ({"after": base64.urlsafe_b64encode(b"s1:" + b"9" * 400).decode()}, "after: not a valid cursor"),
    ({"after": "a"}, "after: not a valid cursor"),  # no base64 text is one character long
    ({"after": "czE6KzI1NDcxMTAwMDAwMQ!"}, "after: not a valid cursor"),  # a character base64 does not use
    ({"after": "czE6KzI1NDcxMTAwMDAwMQ==="}, "after: not a valid cursor"),  # too much padding
    ({"after": base64.urlsafe_b64encode(b"s1:\xff").decode()}, "after: not a valid cursor"),  # not UTF-8
    ({"after": base64.urlsafe_b64encode(b"s1:not an address").decode()},
     "after: a phone number must be in E.164 form: + and the country code"),
])
def test_bad_paging_arguments_are_refused_by_name(table, args, message):
    assert _refused(page, table, args) == message


def test_page_sizes_from_1_to_100_are_taken_and_absent_is_20():
    assert [page_size({"first": n}) for n in (1, 100)] == [1, 100]
    assert page_size({}) == page_size({"first": None}) == 20


def test_removing_lifts_one_normalised_entry_and_says_whether_it_was_there(table):
    table.add(Suppression("ada@example.com", "bounce", SINCE))
    table.add(Suppression("+254711000009", "opt-out", SINCE))
    assert remove(table, {"to": " ada@EXAMPLE.com "}) is True
    assert remove(table, {"to": "ada@example.com"}) is False
    assert [e["to"] for e in page(table, {})["data"]] == ["+254711000009"]
    assert remove(table, {"to": "+254 711 000 009"}) is True


@pytest.mark.parametrize("raw", [None, "", "   ", 42])
def test_removing_needs_a_recipient(table, raw):
    assert _refused(remove, table, {"to": raw}) == "to: is required"


def test_an_entry_is_lifted_for_its_own_reason_only(table):
    table.add(Suppression("+254711000001", "bounce", SINCE))
    table.add(Suppression("+254711000002", "opt-out", SINCE))
    assert table.remove_if_reason("+254711000001", "opt-out") is False  # START does not lift a bounce
    assert table.remove_if_reason("+254711000002", "opt-out") is True
    assert table.remove_if_reason("+254711000003", "opt-out") is False
    assert [e["to"] for e in page(table, {})["data"]] == ["+254711000001"]


def test_the_first_reason_stays(table):
    assert table.add(Suppression("+254711000001", "bounce", SINCE, "m1")) is True
    assert table.add(Suppression("+254711000001", "complaint", "2026-11-24T00:00:00.000Z", "m2")) is False
    assert page(table, {})["data"] == [{"to": "+254711000001", "reason": "bounce", "since": SINCE, "messageId": "m1"}]


def test_a_cursor_of_the_longest_length_is_read_and_a_longer_one_refused(table):
    longest = base64.urlsafe_b64encode(b"s1:" + b"a" * 369 + b"@example.com").decode().rstrip("=")
    assert len(longest) == 512
    assert _refused(page, table, {"after": longest}) == "after: not a valid e-mail address"  # read: a bad address
    for longer in (longest + "AA", longest + "=", longest + "!"):
        assert _refused(page, table, {"after": longer}) == "after: not a valid cursor"


def test_every_cursor_length_reads_back_without_its_padding(table):
    names = ["abcdefg@example.com", "ab@example.com", "abc@example.com", "abcd@example.com", "zz@example.com"]
    for name in names:
        table.add(Suppression(name, "bounce", SINCE))
    seen, after = [], None
    while True:
        answer = page(table, {"first": 1, **({"after": after} if after else {})})
        seen += [e["to"] for e in answer["data"]]
        assert "=" not in (answer["pageInfo"]["endCursor"] or "")
        if not answer["pageInfo"]["hasNextPage"]:
            break
        after = answer["pageInfo"]["endCursor"]
    assert seen == sorted(names)


def test_removing_a_malformed_recipient_names_the_field(table):
    assert _refused(remove, table, {"to": "not an address"}) == (
        "to: a phone number must be in E.164 form: + and the country code")
    assert _refused(remove, table, {"to": "ada@example.com\nBcc: x@example.com"}) == "to: must be a single line"

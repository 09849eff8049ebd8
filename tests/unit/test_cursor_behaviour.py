"""What a page cursor is: opaque, URL-safe, bound to one history, stable across releases."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from messenger.core.errors import BadRequest
from messenger.messages.cursor import MAX_CURSOR_LENGTH, decode_cursor, encode_cursor

ULID = "01G8NBDZ6YMH5SCEQ1BGR3QTWG"
PARTITION = "MESSAGE#a@example.com"
# Handed to a client by an earlier release: it must still lead to the same page.
ISSUED_CURSOR = "MTowMUc4TkJEWjZZTUg1U0NFUTFCR1IzUVRXRzo3ZTM4YWU5YTIzNjQ"
ULIDS = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=26, max_size=26)
PARTITIONS = st.text(min_size=1, max_size=60).map(lambda s: "MESSAGE#" + s)


def b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def refused(cursor, partition=PARTITION, field="after") -> BadRequest:
    with pytest.raises(BadRequest) as error:
        decode_cursor(cursor, partition, field)
    return error.value


def test_a_cursor_issued_by_an_earlier_release_still_works():
    assert encode_cursor(PARTITION, ULID) == ISSUED_CURSOR
    assert decode_cursor(ISSUED_CURSOR, PARTITION) == ULID


@given(PARTITIONS, ULIDS)
def test_a_cursor_is_url_safe_text_without_padding_that_leads_back_to_its_message(partition, message_id):
    cursor = encode_cursor(partition, message_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert decode_cursor(cursor, partition) == message_id


def test_a_cursor_up_to_the_length_limit_is_read_and_a_longer_one_is_refused():
    padded = ISSUED_CURSOR + "=" * (MAX_CURSOR_LENGTH - len(ISSUED_CURSOR))
    assert decode_cursor(padded, PARTITION) == ULID
    error = refused(padded + "=")
    assert error.message == "after: not a valid cursor"


@pytest.mark.parametrize(("cursor", "why"), [
    ("", "empty"),
    ("A", "not base64"),
    (b64("1:" + ULID) + "\u00e9", "not ASCII"),
    ("_-8", "not ASCII once decoded"),
    (b64(f"2:{ULID}:7e38ae9a2364"), "another version"),
    (b64("1:not-a-ulid-at-all-not-a-ulid:7e38ae9a2364"), "no message id"),
    (b64(f"1:{ULID}:7e38ae9a2364:extra"), "an extra part"),
    (b64(f"1:{ULID}"), "a missing part"),
])
def test_a_malformed_cursor_is_a_bad_request_naming_the_field(cursor, why):
    error = refused(cursor, field="cursor")
    assert (error.field, error.message) == ("cursor", "cursor: not a valid cursor"), why


def test_a_cursor_of_another_history_is_refused_as_such():
    error = refused(ISSUED_CURSOR, "MESSAGE#b@example.com", field="after")
    assert (error.field, error.message) == ("after", "after: this cursor belongs to another filter")


def test_histories_whose_names_differ_slightly_do_not_share_cursors():
    cursor = encode_cursor("MESSAGE#+254711000001", ULID)
    refused(cursor, "MESSAGE#+254711000002")

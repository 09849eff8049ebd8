import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from messenger.core.errors import BadRequest
from messenger.messages.cursor import decode_cursor, encode_cursor

ULID = "01G8NBDZ6YMH5SCEQ1BGR3QTWG"
PARTITION = "MESSAGE#a@example.com"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULIDS = st.text(alphabet=CROCKFORD, min_size=26, max_size=26)


def plain_text(cursor: str) -> str:
    """What anyone holding the cursor can read out of it."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")


def test_a_cursor_round_trips_within_its_history():
    cursor = encode_cursor("MESSAGE#+254711223344", ULID)
    assert decode_cursor(cursor, "MESSAGE#+254711223344") == ULID


def test_a_cursor_from_another_recipients_history_is_a_client_error():
    cursor = encode_cursor("MESSAGE#a@example.com", ULID)
    with pytest.raises(BadRequest) as error:
        decode_cursor(cursor, "MESSAGE#b@example.com")
    assert error.value.field == "after"


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", "MESSAGE#01G8NBDZ6YMH5SCEQ1BGR3QTWG", "x" * 500, "MTpub3RhdWxpZDphYmM", "%%%%"],
)
def test_malformed_cursors_are_client_errors(cursor):
    with pytest.raises(BadRequest):
        decode_cursor(cursor, "MESSAGE#a@example.com")


def test_the_cursor_does_not_show_the_recipient():
    cursor = encode_cursor("MESSAGE#alice@example.com", ULID)
    text = plain_text(cursor)
    for revealing in ("alice", "example", "MESSAGE#", "@"):
        assert revealing not in text
    version, message_id, digest = text.split(":")
    assert (version, message_id) == ("1", ULID)
    assert re.fullmatch(r"[0-9a-f]{12}", digest)  # a short digest of the partition, not the partition


# Arbitrary text, and real cursors of this history and of another one: the valid branch is reached.
CURSOR_TEXT = st.one_of(
    st.text(max_size=300),
    ULIDS.map(lambda u: encode_cursor(PARTITION, u)),
    ULIDS.map(lambda u: encode_cursor("MESSAGE#b@example.com", u)),
)


@given(CURSOR_TEXT)
def test_any_string_is_either_a_valid_cursor_or_a_bad_request(text):
    try:
        message_id = decode_cursor(text, PARTITION)
    except BadRequest as error:
        assert error.field == "after"
        assert error.message in ("after: not a valid cursor", "after: this cursor belongs to another filter")
        return
    # Accepted: it names a message id of this history, the one its own cursor would name...
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", message_id)
    assert plain_text(encode_cursor(PARTITION, message_id)) == plain_text(text)
    # ...and the same text is refused for any other history.
    with pytest.raises(BadRequest, match="another filter"):
        decode_cursor(text, "MESSAGE#b@example.com")

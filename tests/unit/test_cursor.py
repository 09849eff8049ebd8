import pytest
from hypothesis import given
from hypothesis import strategies as st
from messenger.core.errors import BadRequest
from messenger.messages.cursor import decode_cursor, encode_cursor

ULID = "01G8NBDZ6YMH5SCEQ1BGR3QTWG"


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
    assert "alice" not in cursor and "example" not in cursor


@given(st.text(max_size=300))
def test_any_string_is_either_a_valid_cursor_or_a_bad_request(text):
    try:
        decode_cursor(text, "MESSAGE#a@example.com")
    except BadRequest:
        pass

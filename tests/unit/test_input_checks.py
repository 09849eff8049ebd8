"""The shared checks of client text (core/input.py), each called directly: what it refuses, with which
words and field, and what it lets through unchanged."""

import enum

import pytest
from messenger.core.errors import BadRequest
from messenger.core.input import (
    MAX_PROVIDER_TEXT,
    address,
    enum as enum_of,
    optional_text,
    plain_provider_text,
    text,
    visible_text,
)


def refusal(check, *args, **kwargs) -> str:
    with pytest.raises(BadRequest) as error:
        check(*args, **kwargs)
    return error.value.message


REFUSED_CONTROLS = ["\x00", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f"]
ALLOWED_WHITESPACE = ["\t", "\n", "\r", " "]


@pytest.mark.parametrize("value", [None, 5, b"bytes", ["a"]])
def test_text_refuses_what_is_not_a_string(value):
    assert refusal(text, value, "body") == "body: must be a string"


def test_text_refuses_a_lone_surrogate_as_invalid_unicode():
    assert refusal(text, "a\ud800b", "subject") == "subject: is not valid Unicode text"


@pytest.mark.parametrize("char", REFUSED_CONTROLS, ids=[f"U+{ord(c):04X}" for c in REFUSED_CONTROLS])
def test_text_refuses_control_characters(char):
    assert refusal(text, f"a{char}b", "body") == "body: must not contain control characters"


@pytest.mark.parametrize("char", ALLOWED_WHITESPACE, ids=[f"U+{ord(c):04X}" for c in ALLOWED_WHITESPACE])
def test_text_keeps_tab_line_breaks_and_spaces(char):
    assert text(f"a{char}b", "body") == f"a{char}b"


def test_text_returns_the_value_unchanged():
    assert text("  Grüße ж 😀  ", "body") == "  Grüße ж 😀  "


def test_visible_text_names_the_first_invisible_character_by_code_point():
    assert refusal(visible_text, "pay\u200bnow\u202e", "subject") == (
        "subject: must not contain invisible or bidirectional format characters (U+200B)"
    )
    assert refusal(visible_text, "x\x85", "body").endswith("(U+0085)")


def test_visible_text_applies_the_plain_text_checks_first():
    assert refusal(visible_text, 7, "body") == "body: must be a string"
    assert refusal(visible_text, "a\x01\u200b", "body") == "body: must not contain control characters"
    assert visible_text("plain words", "body") == "plain words"


@pytest.mark.parametrize("line_break", ["\r", "\n", "\u2028", "\u2029", "\x85"])
def test_an_address_is_a_single_line(line_break):
    assert refusal(address, f"a@example.com{line_break}Bcc: b@example.com", "to") == "to: must be a single line"


def test_an_address_is_text_and_comes_back_unchanged():
    assert refusal(address, 42, "replyTo") == "replyTo: must be a string"
    assert address("a@example.com", "to") == "a@example.com"


def test_optional_text_is_none_when_absent_or_null():
    assert optional_text({}, "reference", 10) is None
    assert optional_text({"reference": None}, "reference", 10) is None


def test_optional_text_names_its_key_in_every_refusal():
    assert refusal(optional_text, {"reference": 3}, "reference", 10) == "reference: must be a string"
    assert refusal(optional_text, {"reference": "a\nb"}, "reference", 10) == "reference: must be a single line"
    assert refusal(optional_text, {"reference": "a\u2028b"}, "reference", 10) == "reference: must be a single line"
    assert refusal(optional_text, {"reference": " \t "}, "reference", 10) == "reference: must not be blank"
    assert refusal(optional_text, {"reference": "a" * 11}, "reference", 10) == (
        "reference: must be at most 10 characters"
    )


def test_optional_text_accepts_exactly_its_maximum_and_keeps_the_value():
    assert optional_text({"reference": "a" * 10}, "reference", 10) == "a" * 10
    assert optional_text({"reference": " padded "}, "reference", 10) == " padded "


def test_optional_text_refuses_invisible_characters_only_when_asked():
    args = {"reference": "a\u200bb"}
    assert optional_text(args, "reference", 10) == "a\u200bb"
    assert refusal(optional_text, args, "reference", 10, visible=True) == (
        "reference: must not contain invisible or bidirectional format characters (U+200B)"
    )


class Colour(enum.Enum):
    RED = "RED"
    GREEN = "GREEN"


def test_enum_returns_the_member_or_lists_the_allowed_values():
    assert enum_of("GREEN", Colour, "colour") is Colour.GREEN
    assert refusal(enum_of, "BLUE", Colour, "colour") == "colour: must be one of RED, GREEN"
    assert refusal(enum_of, None, Colour, "shade") == "shade: must be one of RED, GREEN"


def test_provider_text_of_none_is_none_and_other_values_become_text():
    assert plain_provider_text(None) is None
    assert plain_provider_text(550) == "550"
    assert plain_provider_text("") == ""


def test_provider_text_collapses_every_run_of_hidden_characters_and_spaces_to_one_space():
    assert plain_provider_text("  a\x00\x1f b\x7f\x9fc\u2028\u2029d\u202a\u2069e\u200b\ufeff  ") == "a b c d e"
    assert plain_provider_text("tab\tand\nlines\r\n") == "tab and lines"
    assert plain_provider_text("\xa0kept\u2010") == "kept\u2010"  # a no-break space is white space to split()


def test_provider_text_is_cut_with_an_ellipsis_to_a_chosen_length():
    assert plain_provider_text("abcdef", max_length=6) == "abcdef"
    assert plain_provider_text("abcdefg", max_length=6) == "abcde\u2026"
    assert MAX_PROVIDER_TEXT == 256
    assert plain_provider_text("x" * 257) == "x" * 255 + "\u2026"

"""Checks of client text every domain shares. Each names the field it is about; no side effects."""

from __future__ import annotations

import re

from messenger.core.errors import BadRequest

# Control characters other than tab, line feed and carriage return have no place in a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")
# Invisible format characters a reader cannot see but a terminal, mail client or log viewer obeys:
# bidirectional embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), zero-width
# spaces, joiners and marks (U+200B-U+200F), the byte-order mark (U+FEFF), and C1 controls.
_INVISIBLE = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff\x80-\x9f]")


def text(value, field: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(field, "must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(field, "is not valid Unicode text") from None
    if _CONTROL.search(value):
        raise BadRequest(field, "must not contain control characters")
    return value


def visible_text(value, field: str) -> str:
    """`text` that also refuses invisible format characters (what a reader sees is what is sent)."""
    checked = text(value, field)
    found = _INVISIBLE.search(checked)
    if found:
        raise BadRequest(
            field, f"must not contain invisible or bidirectional format characters (U+{ord(found.group()):04X})"
        )
    return checked


def address(value, field: str) -> str:
    line = text(value, field)
    if _LINE_BREAK.search(line):
        raise BadRequest(field, "must be a single line")
    return line


def optional_text(args: dict, key: str, max_length: int, *, visible: bool = False) -> str | None:
    """`visible`: refuse invisible format characters too (see `visible_text`)."""
    value = args.get(key)
    if value is None:
        return None
    value = visible_text(value, key) if visible else text(value, key)
    if _LINE_BREAK.search(value):
        raise BadRequest(key, "must be a single line")
    if not value.strip():
        raise BadRequest(key, "must not be blank")
    if len(value) > max_length:
        raise BadRequest(key, f"must be at most {max_length} characters")
    return value


def enum(value, enum_type, field: str):
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        raise BadRequest(field, f"must be one of {allowed}") from None


# Text a provider wrote (a bounce's diagnostic, a carrier's failure reason): untrusted, shown to
# clients and dashboards, so stored as one plain line of bounded length.
MAX_PROVIDER_TEXT = 256
_NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]+")


def plain_provider_text(value: str | None, max_length: int = MAX_PROVIDER_TEXT) -> str | None:
    """Control, line-break and invisible format characters become one space; cut to `max_length`."""
    if value is None:
        return None
    flat = " ".join(_NOT_PLAIN.sub(" ", str(value)).split())
    return flat if len(flat) <= max_length else flat[: max_length - 1] + "\u2026"

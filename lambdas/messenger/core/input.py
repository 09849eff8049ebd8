"""Checks of client text every domain shares. Each names the field it is about; no side effects."""

from __future__ import annotations

import re

from messenger.core.errors import BadRequest

# Control characters other than tab, line feed and carriage return have no place in a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")


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


def address(value, field: str) -> str:
    line = text(value, field)
    if _LINE_BREAK.search(line):
        raise BadRequest(field, "must be a single line")
    return line


def optional_text(args: dict, key: str, max_length: int) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    value = text(value, key)
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

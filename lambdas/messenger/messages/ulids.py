"""ULIDs as numbers: the sort key bounds of a time range and the neighbours of a cursor.

A ULID is 48 bits of Unix time in milliseconds then 80 random bits, written as 26 Crockford base32
characters; its text sorts as its number, so a range of numbers is a range of sort keys.
"""

from __future__ import annotations

import re

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {char: i for i, char in enumerate(_ALPHABET)}
ULID_PATTERN = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
MAX_ULID = (1 << 128) - 1
MAX_MILLISECONDS = (1 << 48) - 1
RANDOM_BITS = 80


def to_int(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + _VALUE[char]
    return value


def to_text(value: int) -> str:
    return "".join(_ALPHABET[(value >> (5 * (25 - i))) & 31] for i in range(26))


def first_at(milliseconds: int) -> str:
    """The smallest ULID of that millisecond."""
    return to_text(milliseconds << RANDOM_BITS)


def last_before(milliseconds: int) -> str:
    """The largest ULID of any earlier millisecond."""
    return to_text(max((milliseconds << RANDOM_BITS) - 1, 0))


def milliseconds_of(text: str) -> int:
    return to_int(text) >> RANDOM_BITS


def successor(text: str) -> str | None:
    value = to_int(text)
    return to_text(value + 1) if value < MAX_ULID else None


def predecessor(text: str) -> str | None:
    value = to_int(text)
    return to_text(value - 1) if value > 0 else None

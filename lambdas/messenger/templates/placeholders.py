"""The template syntax (logic layer, no I/O): `((name))` and `((name??text))`, as in GOV.UK Notify.

A name matches a personalisation key case-insensitively, ignoring spaces, `_` and `-`
("First name", "first_name" and "FIRST-NAME" are one placeholder). `((name??text))` shows `text` only
when the value is yes, true or 1. In a run of opening brackets the last two open the placeholder, so
`(((name)))` is a value in brackets. A `((` with no `))` before the next `((`, or an empty name, is a
BadRequest naming the field, the line and the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from messenger.core.errors import BadRequest

OPEN, CLOSE, CONDITION = "((", "))", "??"
_IGNORED = re.compile(r"[\s_-]+")


def normalise(name: str) -> str:
    return _IGNORED.sub("", name).casefold()


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Placeholder:
    name: str  # as written
    key: str  # normalised
    conditional: str | None = None  # the text of ((name??text))


Part = Literal | Placeholder


def _where(source: str, index: int) -> str:
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def parse(source: str, field: str = "body") -> tuple[Part, ...]:
    parts: list[Part] = []
    position = 0
    while (start := source.find(OPEN, position)) != -1:
        while source.startswith("(", start + len(OPEN)):  # "(((name)))": the last two open it
            start += 1
        end = source.find(CLOSE, start + len(OPEN))
        reopened = source.find(OPEN, start + len(OPEN))
        if end == -1 or -1 < reopened < end:
            raise BadRequest(field, f"'((' at {_where(source, start)} is not closed with '))'")
        inside = source[start + len(OPEN):end]
        name, marker, text = inside.partition(CONDITION)
        if not normalise(name):
            raise BadRequest(field, f"the placeholder at {_where(source, start)} has no name")
        if start > position:
            parts.append(Literal(source[position:start]))
        parts.append(Placeholder(name.strip(), normalise(name), text if marker else None))
        position = end + len(CLOSE)
    if position < len(source):
        parts.append(Literal(source[position:]))
    return tuple(parts)


def placeholder_names(*parsed: tuple[Part, ...]) -> list[str]:
    """Each placeholder once, as first written, in order of appearance."""
    names: dict[str, str] = {}
    for parts in parsed:
        for part in parts:
            if isinstance(part, Placeholder):
                names.setdefault(part.key, part.name)
    return list(names.values())

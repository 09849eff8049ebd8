"""Rendering a parsed template with personalisation (logic layer, no I/O).

Values arrive as strings, numbers, or a one-element list of a string (seeds/001's array form). The
text part is the template with each value put in as given. The HTML part formats the template's own
text (paragraphs on blank lines, line breaks, bare https:// links) and puts every value in
HTML-escaped and unformatted: a value can never add markup or a link. Values are never parsed again,
so a value holding "((x))" stays that text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from messenger.core.errors import BadRequest
from messenger.core.input import text
from messenger.templates.placeholders import Literal, Part, Placeholder, normalise

TRUTHY = frozenset({"yes", "true", "1"})
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")


def values_of(personalisation, field: str = "personalisation") -> dict[str, str]:
    """Normalised key -> value as text. Keys no placeholder uses are ignored later."""
    if personalisation is None:
        return {}
    if not isinstance(personalisation, Mapping):
        raise BadRequest(field, "must be a JSON object")
    values: dict[str, str] = {}
    for key, value in personalisation.items():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None:
            continue  # a null is a missing value
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            raise BadRequest(f"{field}.{key}", "must be a string, a number or a one-element list of a string")
        values.setdefault(normalise(str(key)), text(value, f"{field}.{key}"))
    return values


def missing(values: Mapping[str, str], *parsed: tuple[Part, ...]) -> list[str]:
    gaps: dict[str, str] = {}
    for parts in parsed:
        for part in parts:
            if isinstance(part, Placeholder) and part.key not in values:
                gaps.setdefault(part.key, part.name)
    return list(gaps.values())


def require_all(values: Mapping[str, str], *parsed: tuple[Part, ...]) -> None:
    gaps = missing(values, *parsed)
    if gaps:
        raise BadRequest("personalisation", "missing " + ", ".join(gaps))


def _fragments(parts: tuple[Part, ...], values: Mapping[str, str]) -> list[tuple[str, bool]]:
    """(text, is the template's own text) in order, conditionals resolved."""
    out: list[tuple[str, bool]] = []
    for part in parts:
        if isinstance(part, Literal):
            out.append((part.text, True))
        elif part.conditional is not None:
            if values[part.key].strip().casefold() in TRUTHY:
                out.append((part.conditional, True))
        else:
            out.append((values[part.key], False))
    return out


def render_text(parts: tuple[Part, ...], values: Mapping[str, str]) -> str:
    return "".join(fragment for fragment, _ in _fragments(parts, values))


def _linked(escaped: str, followed_by_value: bool) -> str:
    def link(match: re.Match) -> str:
        if followed_by_value and match.end() == len(escaped):
            return match.group(0)  # the URL goes on in a value: link none of it
        return f'<a href="{match.group(0)}">{match.group(0)}</a>'

    return _LINK.sub(link, escaped)


def render_html(parts: tuple[Part, ...], values: Mapping[str, str]) -> str:
    fragments = _fragments(parts, values)
    pieces = []
    for i, (fragment, own) in enumerate(fragments):
        escaped = html.escape(fragment.replace("\r\n", "\n"))
        if own:
            escaped = _linked(escaped, i + 1 < len(fragments) and not fragments[i + 1][1])
        pieces.append(escaped)
    paragraphs = _PARAGRAPH.split("".join(pieces).strip("\n"))
    body = "\n".join(f"<p>{p.replace(chr(10), '<br>' + chr(10))}</p>" for p in paragraphs if p)
    return f"<!DOCTYPE html><html><body>\n{body}\n</body></html>"

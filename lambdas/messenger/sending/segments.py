"""SMS segment counting.

A message whose every character is in the GSM 03.38 default alphabet is encoded in GSM-7: 160
septets in one SMS, 153 per part once split; the extension table's characters take two septets
(an escape and the character) and an escape pair is never split across parts. Anything else makes
the whole message UCS-2: 70 code units in one SMS, 67 per part, and a character outside the Basic
Multilingual Plane takes two units (a surrogate pair, also never split).
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def _char_units(text: str, gsm7: bool) -> list[int]:
    if gsm7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_segments(text: str) -> SegmentCount:
    gsm7 = all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)
    widths = _char_units(text, gsm7)
    total = sum(widths)
    single, part = (GSM7_SINGLE, GSM7_PART) if gsm7 else (UCS2_SINGLE, UCS2_PART)
    encoding = "GSM-7" if gsm7 else "UCS-2"
    if total <= single:
        return SegmentCount(encoding, total, 1 if total else 0)
    segments, used = 1, 0
    for width in widths:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return SegmentCount(encoding, total, segments)

"""Opaque page cursors bound to the history they were taken from.

A cursor carries the ULID of the last message of a page and a short digest of the partition it
came from. The query always runs on the filter's own partition, so no cursor can reach another
recipient's data; the digest lets a cursor from another history be refused with a clear error
instead of silently paging from an arbitrary point.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from messenger.core.errors import BadRequest

_VERSION = "1"
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
MAX_CURSOR_LENGTH = 128


def _digest(partition: str) -> str:
    return hashlib.blake2b(partition.encode(), digest_size=6).hexdigest()


def encode_cursor(partition: str, message_id: str) -> str:
    raw = f"{_VERSION}:{message_id}:{_digest(partition)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, partition: str, field: str = "after") -> str:
    """Return the message id the cursor points after, or raise BadRequest."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise BadRequest(field, "not a valid cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(field, "not a valid cursor") from None
    parts = raw.split(":")
    if len(parts) != 3 or parts[0] != _VERSION or not _ULID.match(parts[1]):
        raise BadRequest(field, "not a valid cursor")
    if parts[2] != _digest(partition):
        raise BadRequest(field, "this cursor belongs to another filter")
    return parts[1]

"""The delivery-report URL token and its rotation, as the secret holds them.

A plain string is the one token (what the stack and the local mode create). During a rotation the
secret holds JSON: `{"token": "<new>", "previous": "<old>", "previousValidUntil": "<AWSDateTime>"}`.
Both are accepted until `previousValidUntil`, so the callback URL configured at Africa's Talking can
be changed while reports already on their way with the old one still count; after it, only the new
one. A secret that is JSON but not of this shape accepts nothing (fail closed). Logic: no I/O here.
"""

from __future__ import annotations

import json

MIN_TOKEN_LENGTH = 1  # never empty: an empty token would accept the bare prefix


def accepted_tokens(secret: str, now: str) -> list[str]:
    """The tokens a report URL may carry at `now` (both AWSDateTime strings compare as text)."""
    text = secret.strip()
    if not text.startswith(("{", "[")):
        return [text] if len(text) >= MIN_TOKEN_LENGTH else []
    try:
        rotation = json.loads(text)
    except ValueError:
        return []
    token = rotation.get("token") if isinstance(rotation, dict) else None
    if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH:
        return []
    tokens = [token]
    previous, until = rotation.get("previous"), rotation.get("previousValidUntil")
    if isinstance(previous, str) and len(previous) >= MIN_TOKEN_LENGTH and isinstance(until, str) and now < until:
        tokens.append(previous)
    return tokens

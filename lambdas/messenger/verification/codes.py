"""Codes: drawn from the operating system's CSPRNG (`secrets`), kept only as an HMAC-SHA256 under a key
from Secrets Manager, compared in constant time (`hmac.compare_digest`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_code(length: int) -> str:
    """`length` digits, uniformly drawn (leading zeros kept: a 4-digit setting never yields 3 digits)."""
    return f"{secrets.randbelow(10**length):0{length}d}"


def code_hash(key: bytes, verification_id: str, code: str) -> str:
    """Bound to the verification: the same code under another verification hashes differently."""
    return hmac.new(key, f"{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


def same_code(stored_hash: str, key: bytes, verification_id: str, code: str) -> bool:
    return hmac.compare_digest(stored_hash.encode(), code_hash(key, verification_id, code).encode())


def masked(text: str, code: str) -> str:
    return text.replace(code, "*" * len(code))

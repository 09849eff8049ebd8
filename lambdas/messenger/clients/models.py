"""API clients: who may call the API with which key, and what a refusal looks like.

A client has a name and scopes; each of its keys is an AppSync API key, known here only by its
SHA-256 (AppSync keys carry ~128 random bits, so an unkeyed hash cannot be reversed by guessing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from messenger.core.caller import ADMIN, ALL_SCOPES, SEND, TEST, Caller
from messenger.core.errors import MessagingError

ACTIVE, REVOKED = "ACTIVE", "REVOKED"
# The client an existing single-key deployment's key (the stack's own) is registered as, every scope.
STACK_CLIENT = "stack"


class Unauthorized(MessagingError):
    """As AppSync answers a key it does not accept (the resolver's answer to a key past its grace)."""

    error_type = "UnauthorizedException"

    def __init__(self) -> None:
        super().__init__("You are not authorized to make this call.")


class Forbidden(MessagingError):
    error_type = "Forbidden"

    def __init__(self, field: str, scope: str) -> None:
        super().__init__(f"{field} needs scope {scope}", {"field": field, "scope": scope})


class NotFound(MessagingError):
    error_type = "NotFound"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiClient:
    id: str
    name: str
    scopes: tuple[str, ...]
    status: str
    created_at: str
    key_hashes: tuple[str, ...] = ()  # every key still on record (the current one and any in grace)
    revoked_at: str | None = None

    def to_graphql(self) -> dict:
        return {"id": self.id, "name": self.name, "scopes": list(self.scopes), "status": self.status,
                "createdAt": self.created_at, "revokedAt": self.revoked_at}

    @property
    def test(self) -> bool:
        return TEST in self.scopes


@dataclass(frozen=True)
class KeyRecord:
    """One key's entry: whose it is, what it may do, and until when (set once it has been rotated out)."""

    hash: str
    client_id: str
    scopes: tuple[str, ...]
    valid_until: int | None = None  # epoch seconds; None: until revoked

    def caller(self) -> Caller:
        scopes = frozenset(self.scopes)
        return Caller(self.client_id, scopes, TEST in scopes)


def check_scopes(scopes) -> tuple[str, ...]:
    """The scopes a new client may hold, in a stable order; BadRequest names what is wrong."""
    from messenger.core.errors import BadRequest

    if not isinstance(scopes, list) or not scopes:
        raise BadRequest("scopes", "give at least one scope")
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise BadRequest("scopes", f"unknown scope {unknown[0]!r}")
    chosen = tuple(s for s in ALL_SCOPES if s in scopes)
    if TEST in chosen and SEND not in chosen:
        raise BadRequest("scopes", "TEST marks a sending client as a test one: give SEND with it")
    if TEST in chosen and ADMIN in chosen:
        raise BadRequest("scopes", "a TEST client cannot hold ADMIN (it would reach live data)")
    return chosen

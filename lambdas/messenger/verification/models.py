"""A verification: a one-time code sent to a phone or an address, of which only a keyed hash is kept."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from messenger.core.errors import MessagingError


class VerificationStatus(str, Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"  # every check used


class TooManyRequests(MessagingError):
    """A limit (starts per number per hour, sends per verification) was reached; nothing was sent."""

    error_type = "TooManyRequests"


class NotFound(MessagingError):
    """No verification to check: unknown, or already approved (a code approves once)."""

    error_type = "NotFound"


@dataclass(frozen=True)
class Verification:
    id: str
    to: str
    channel: str  # SMS | EMAIL
    reference: str | None
    code_hash: str
    status: VerificationStatus
    created_at: str
    valid_until: str
    checks: int
    sends: int

    def to_graphql(self, max_checks: int, max_sends: int) -> dict:
        """Never the code, never its hash."""
        return {
            "id": self.id, "to": self.to, "channel": self.channel, "reference": self.reference,
            "status": self.status.value, "createdAt": self.created_at, "expiresAt": self.valid_until,
            "attemptsLeft": max(max_checks - self.checks, 0), "sendsLeft": max(max_sends - self.sends, 0),
        }

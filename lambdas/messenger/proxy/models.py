"""Proxy sessions: two participants talking through one number of a pool, never seeing each other's."""

from __future__ import annotations

from dataclasses import dataclass

from messenger.core.errors import MessagingError

OPEN, CLOSED = "OPEN", "CLOSED"
NO_EXPIRY = "9999-12-31T23:59:59.999Z"


class NoProxyNumberFree(MessagingError):
    """Every pool number already carries an open session of one of the participants."""

    error_type = "NoProxyNumberFree"


class ProxyNotFound(MessagingError):
    error_type = "NotFound"


@dataclass(frozen=True)
class ProxyNumber:
    number: str
    provider: str  # the provider that owns the number: SNS (End User Messaging) or AFRICASTALKING
    added_at: str

    def to_graphql(self) -> dict:
        return {"number": self.number, "provider": self.provider, "addedAt": self.added_at}


@dataclass(frozen=True)
class ProxySession:
    id: str
    participant_a: str
    participant_b: str
    number: str
    provider: str
    status: str
    created_at: str
    expires_at: str  # NO_EXPIRY when the session was started without one

    def other(self, participant: str) -> str | None:
        if participant == self.participant_a:
            return self.participant_b
        if participant == self.participant_b:
            return self.participant_a
        return None

    def open_at(self, now: str) -> bool:
        return self.status == OPEN and now < self.expires_at

    def to_graphql(self) -> dict:
        return {"id": self.id, "participantA": self.participant_a, "participantB": self.participant_b,
                "number": self.number, "provider": self.provider, "status": self.status,
                "createdAt": self.created_at, "expiresAt": None if self.expires_at == NO_EXPIRY else self.expires_at}

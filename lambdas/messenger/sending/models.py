"""What Africa's Talking answers, in the terms the logic works with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Credentials:
    username: str
    api_key: str

    def __repr__(self) -> str:  # never let a key reach a log through a repr
        return f"Credentials(username={self.username!r}, api_key=***)"


@dataclass(frozen=True)
class RecipientResult:
    number: str
    status_code: int
    status: str
    message_id: str | None
    cost: str | None


class AtRequestError(Exception):
    """The request as a whole failed; `transient` says whether trying again may help."""

    def __init__(self, reason: str, *, transient: bool, unauthorised: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.unauthorised = unauthorised

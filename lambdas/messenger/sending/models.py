"""The sending domain's records: a validated send, what a provider answered, claims and idempotency keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from messenger.messages.models import DeliveryMethod, Message, Provider


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

    def __init__(self, reason: str, *, transient: bool, unauthorised: bool = False, throttled: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient or throttled
        self.unauthorised = unauthorised
        self.throttled = throttled  # HTTP 429: too many requests, nothing was taken


@dataclass(frozen=True)
class SendRequest:
    """A validated, normalised sendMessage input."""

    to: str
    body: str
    delivery_method: DeliveryMethod
    provider: Provider
    sender: str | None
    subject: str | None
    recipient_id: str | None
    sender_id: str | None
    reference: str | None
    idempotency_key: str | None
    segments: int | None
    template_id: str | None = None
    template_version: int | None = None
    html: str | None = None
    send_at: str | None = None  # a scheduled send (AWSDateTime, UTC)

    def fingerprint(self) -> str:
        """What makes two requests with one idempotency key "the same input"."""
        fields = {k: v for k, v in self.__dict__.items()
                  if k != "idempotency_key" and not (k in _LATER_FIELDS and v is None)}
        canonical = json.dumps(fields, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


# Fields added after keys were first recorded: left out of a fingerprint while unset, so a key recorded
# before they existed still matches the same input (idempotency keys live 24 h, across a deploy).
_LATER_FIELDS = frozenset({"template_id", "template_version", "html", "send_at"})


@dataclass(frozen=True)
class Receipt:
    """What a provider said when it took a message."""

    provider_message_id: str | None  # None: taken without an id to match a report to (Africa's Talking)
    cost: str | None = None


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str
    recipient: str
    message_id: str


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to claim a queued message for sending.

    `message` is the record after the attempt: claimed (ours), or as it was when refused.
    `taken_over` says the previous claim was stale: an earlier attempt died after claiming,
    so the provider may or may not have received the message (the documented crash window).
    """

    granted: bool
    message: Message | None
    taken_over: bool = False

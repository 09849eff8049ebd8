"""Webhooks: the endpoints a customer registers, the events they receive, each delivery attempt."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class WebhookEvent(str, Enum):
    MESSAGE_STATUS = "MESSAGE_STATUS"  # produced: every status a message reaches (the StatusWriter)
    BATCH_COMPLETED = "BATCH_COMPLETED"  # a batch became final (the conditional write that made it so)
    MESSAGE_INBOUND = "MESSAGE_INBOUND"  # an inbound SMS was recorded (the inbound worker)


# Inbound SMS belong to no client: every webhook subscribed to them takes them (subscribing needs READ).
CLIENTLESS_EVENTS = frozenset({WebhookEvent.MESSAGE_INBOUND.value})


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: tuple[WebhookEvent, ...]
    created_at: str
    secret: str  # "whsec_<base64>"; returned by createWebhook and rotateWebhookSecret only
    description: str | None = None
    previous_secret: str | None = None  # still signs until `previous_secret_until` (rotation grace)
    previous_secret_until: str | None = None
    failing_since: str | None = None  # the first failed attempt since the last delivered one
    disabled: bool = False
    disabled_at: str | None = None
    client_id: str | None = None  # the API client that created it: it receives that client's messages only

    def takes(self, event_type: str, client_id: str | None) -> bool:
        """Enabled, subscribed to the type, and the event's message or batch is its client's (any, without
        one); an inbound SMS (CLIENTLESS_EVENTS) is every subscribed webhook's."""
        return (not self.disabled and event_type in {e.value for e in self.events}
                and (self.client_id is None or self.client_id == client_id or event_type in CLIENTLESS_EVENTS))

    def signing_secrets(self, now: str) -> tuple[str, ...]:
        keep_previous = self.previous_secret and self.previous_secret_until and now < self.previous_secret_until
        return (self.secret, self.previous_secret) if keep_previous else (self.secret,)

    def to_graphql(self, with_secret: bool = False) -> dict:
        shown = {
            "id": self.id, "url": self.url, "events": [e.value for e in self.events],
            "description": self.description, "createdAt": self.created_at, "failingSince": self.failing_since,
            "disabled": self.disabled, "disabledAt": self.disabled_at,
        }
        return {**shown, "secret": self.secret} if with_secret else shown


@dataclass(frozen=True)
class Attempt:
    """One POST (or one refusal to POST): never the response body, never the payload."""

    webhook_id: str
    event_id: str
    event_type: str
    attempt: int
    at: str
    http_status: int | None = None
    error: str | None = None
    delivered: bool = False
    next_retry_at: str | None = None

    def to_graphql(self) -> dict:
        return {
            "eventId": self.event_id, "eventType": self.event_type, "attempt": self.attempt, "at": self.at,
            "httpStatus": self.http_status, "error": self.error, "delivered": self.delivered,
            "nextRetryAt": self.next_retry_at,
        }


@dataclass(frozen=True)
class Outcome:
    """What one POST came to: delivered (2xx), retry (5xx, 429, timeout, connection) or give up."""

    http_status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def retryable(self) -> bool:
        if self.http_status is None:
            return self.error is not None and not self.error.startswith("Refused")
        return self.http_status >= 500 or self.http_status == 429


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one webhook: the SQS message of the webhooks queue."""

    webhook_id: str
    event_id: str
    event_type: str
    payload: dict = field(default_factory=dict)
    attempt: int = 1
    not_before: float = 0.0  # epoch seconds: a delay longer than SQS's 15 min is chained

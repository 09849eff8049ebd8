"""The message record and its status lifecycle."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class DeliveryMethod(str, Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class DeliveryStatus(str, Enum):
    # Waiting for its sendAt: its one-time schedule hands it to the queue then (docs/scheduling.md).
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    ACCEPTED = "ACCEPTED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    # Handed to a provider, but no receipt came within the configured bound: it may have arrived.
    UNCONFIRMED = "UNCONFIRMED"
    # Stopped by cancelMessage before any provider had it.
    CANCELLED = "CANCELLED"

    @property
    def final(self) -> bool:
        return self in _FINAL


class Direction(str, Enum):
    OUTBOUND = "OUTBOUND"  # sent by this service (every record written before two-way SMS)
    INBOUND = "INBOUND"  # an SMS received from a phone (messenger/inbound)


class Provider(str, Enum):
    SES = "SES"
    SNS = "SNS"
    AFRICASTALKING = "AFRICASTALKING"


_FINAL = frozenset(
    {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.UNCONFIRMED, DeliveryStatus.CANCELLED}
)
# At most this many entries in a message's timeline: status moves (at most four) always get one,
# notes (a transient bounce, a delay) only while there is room.
MAX_EVENTS = 20

# A status only moves forward. Each status lists the ones it may be reached from.
# DELIVERED, FAILED, UNCONFIRMED and CANCELLED are final: nothing leaves them. SCHEDULED comes before
# everything: a scheduled message reaches the others only through QUEUED (or stops as CANCELLED).
_PREDECESSORS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    DeliveryStatus.SCHEDULED: frozenset(),
    DeliveryStatus.PENDING: frozenset(),
    DeliveryStatus.QUEUED: frozenset({DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED}),
    DeliveryStatus.ACCEPTED: frozenset({DeliveryStatus.PENDING, DeliveryStatus.QUEUED}),
    DeliveryStatus.DELIVERED: frozenset({DeliveryStatus.ACCEPTED}),
    DeliveryStatus.FAILED: frozenset(
        {DeliveryStatus.SCHEDULED, DeliveryStatus.PENDING, DeliveryStatus.QUEUED, DeliveryStatus.ACCEPTED}
    ),
    DeliveryStatus.UNCONFIRMED: frozenset({DeliveryStatus.ACCEPTED}),
    # Only while no provider has it: the move also requires that no send attempt holds a claim.
    DeliveryStatus.CANCELLED: frozenset({DeliveryStatus.SCHEDULED, DeliveryStatus.QUEUED}),
}


def predecessors(status: DeliveryStatus) -> frozenset[DeliveryStatus]:
    return _PREDECESSORS[status]


def can_move(current: DeliveryStatus, target: DeliveryStatus) -> bool:
    return current in _PREDECESSORS[target]


@dataclass(frozen=True)
class MessageEvent:
    """One entry of a message's timeline: a status it reached, or a note while in a status."""

    status: DeliveryStatus
    at: str
    detail: str | None = None

    def to_graphql(self) -> dict:
        return {"status": self.status.value, "at": self.at, "detail": self.detail}


@dataclass(frozen=True)
class Message:
    id: str
    to: str
    body: str
    delivery_method: DeliveryMethod
    delivery_status: DeliveryStatus
    provider: Provider
    created_at: str
    updated_at: str
    sender: str | None = None
    subject: str | None = None
    recipient_id: str | None = None
    sender_id: str | None = None
    reference: str | None = None
    provider_message_id: str | None = None
    failure_reason: str | None = None
    segments: int | None = None
    cost: str | None = None
    sent_at: str | None = None  # handed to a provider (ACCEPTED)
    completed_at: str | None = None  # reached a final status
    events: tuple[MessageEvent, ...] = ()
    template_id: str | None = None  # sent by template: which one and which version
    template_version: int | None = None
    html: str | None = None  # e-mail by template: the rendered HTML part (not in the API)
    client_id: str | None = None  # the API client that sent it (messenger.clients)
    test: bool = False  # sent by a TEST client through the simulated providers
    expires_at: int | None = None  # epoch seconds: the table's TTL deletes it then (messageRetentionDays)
    idempotency_key: str | None = None  # its key item, so erasing the recipient erases that too (not in the API)
    send_at: str | None = None  # a scheduled send: when its schedule hands it to the queue
    batch_id: str | None = None  # one recipient of a batch (batches/)
    direction: Direction = Direction.OUTBOUND

    @property
    def party(self) -> str:
        """The number or address whose history holds this message: the recipient, or an inbound SMS's sender."""
        return self.sender if self.direction is Direction.INBOUND and self.sender else self.to

    def to_graphql(self) -> dict:
        """The GraphQL `Message` type's shape."""
        return {
            "id": self.id,
            "to": self.to,
            "from": self.sender,
            "subject": self.subject,
            "body": self.body,
            "deliveryMethod": self.delivery_method.value,
            "deliveryStatus": self.delivery_status.value,
            "recipientId": self.recipient_id,
            "senderId": self.sender_id,
            "reference": self.reference,
            "provider": self.provider.value,
            "providerMessageId": self.provider_message_id,
            "failureReason": self.failure_reason,
            "segments": self.segments,
            "cost": self.cost,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "sentAt": self.sent_at,
            "completedAt": self.completed_at,
            "events": [event.to_graphql() for event in self.events],
            "templateId": self.template_id,
            "templateVersion": self.template_version,
            "clientId": self.client_id,
            "test": self.test,
            "sendAt": self.send_at,
            "batchId": self.batch_id,
            "direction": self.direction.value,
        }

    def as_dict(self) -> dict:
        """The scalar fields (the timeline is stored apart, as a list)."""
        values = asdict(self)
        del values["events"]
        return values


@dataclass(frozen=True)
class Page:
    messages: list[Message]
    has_next_page: bool
    end_cursor: str | None

    def to_graphql(self) -> dict:
        return {
            "data": [m.to_graphql() for m in self.messages],
            "pageInfo": {"hasNextPage": self.has_next_page, "endCursor": self.end_cursor},
        }


@dataclass(frozen=True)
class Partition:
    """One history partition: the table's (index None) or an index's, named by its key attribute's value."""

    index: str | None
    key_attribute: str
    key: str


@dataclass(frozen=True)
class Slice:
    """What one Query returned: the matching messages, and where it stopped when it did not reach the end
    (`resume`, DynamoDB's LastEvaluatedKey, to continue from; `position`, the ULID of that key)."""

    messages: list[Message]
    resume: dict | None
    position: str | None

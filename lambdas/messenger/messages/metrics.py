"""The metrics listener of the status writer: what the dashboard and alarms read.

MessagesQueued / MessagesSent (ACCEPTED) / MessagesDelivered / MessagesFailed / MessagesUnconfirmed,
and ReceiptLatency (hand-off to final status) for messages that were handed to a provider, each with a
`channel` dimension such as "EMAIL/SES".
"""

from __future__ import annotations

from datetime import datetime

from messenger.core.observability import count, measure
from messenger.messages.models import DeliveryStatus, Message

COUNTED = {
    DeliveryStatus.QUEUED: "MessagesQueued",
    DeliveryStatus.ACCEPTED: "MessagesSent",
    DeliveryStatus.DELIVERED: "MessagesDelivered",
    DeliveryStatus.FAILED: "MessagesFailed",
    DeliveryStatus.UNCONFIRMED: "MessagesUnconfirmed",
}


def channel_of(message: Message) -> str:
    return f"{message.delivery_method.value}/{message.provider.value}"


class MetricListener:
    def recorded(self, message: Message) -> None:
        if message.delivery_status in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
            count(COUNTED[message.delivery_status], channel_of(message))

    def moved(self, message: Message) -> None:
        if message.delivery_status in COUNTED:
            count(COUNTED[message.delivery_status], channel_of(message))
        if message.delivery_status.final and message.sent_at and message.completed_at:
            elapsed = datetime.fromisoformat(message.completed_at) - datetime.fromisoformat(message.sent_at)
            measure("ReceiptLatency", channel_of(message), elapsed.total_seconds() * 1000)

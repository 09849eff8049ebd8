"""The webhooks listener of the status writer: every status a message reaches becomes one MESSAGE_STATUS
event on the webhooks queue, in the step that changed the status, when some enabled webhook takes
MESSAGE_STATUS (subscriptions.py: a cached answer, so a service without webhooks sends nothing). The
worker fans the event out to the webhooks (delivery.py), so a status writer never reads their secrets.

An enqueue that fails never fails or repeats the status change (nor a send): it is logged without the
recipient or body and counted (`WebhookEnqueueFailed`); that event is then not delivered.
"""

from __future__ import annotations

import logging
from typing import Protocol

from messenger.core.observability import count
from messenger.messages.metrics import channel_of
from messenger.messages.models import Message
from messenger.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)


class EventQueue(Protocol):
    def send(self, body: dict, delay_seconds: int = 0) -> None: ...


class Subscribed(Protocol):
    def takes(self, event_type: str) -> bool: ...


def status_event(message: Message) -> dict:
    """The queue body; `sequence` (the count of the message's timeline entries) only grows."""
    sequence = max(len(message.events), 1)
    at = message.events[-1].at if message.events else message.updated_at
    event_id = f"msg_{message.id}_{sequence}"
    payload = {
        "type": "message.status",
        "timestamp": at,
        "data": {
            "id": message.id, "reference": message.reference, "to": message.to,
            "deliveryMethod": message.delivery_method.value, "status": message.delivery_status.value,
            "failureReason": message.failure_reason, "statusAt": at, "sequence": sequence,
        },
    }
    return {"kind": "event", "eventId": event_id, "eventType": WebhookEvent.MESSAGE_STATUS.value, "payload": payload,
            "clientId": message.client_id}  # which client's webhooks take it (not sent to the receiver)


class WebhookListener:
    def __init__(self, queue: EventQueue | None, subscriptions: Subscribed) -> None:
        self._queue, self._subscriptions = queue, subscriptions

    def recorded(self, message: Message) -> None:
        self.enqueue(message)

    def moved(self, message: Message) -> None:
        self.enqueue(message)

    def enqueue(self, message: Message) -> bool:
        """True when an event was enqueued; False when no webhook takes it or the enqueue failed."""
        try:
            if not self._subscriptions.takes(WebhookEvent.MESSAGE_STATUS.value):
                return False
            if self._queue is None:
                raise RuntimeError("WEBHOOK_QUEUE_URL is not set")
            self._queue.send(status_event(message))
        except Exception as error:  # noqa: BLE001 - never fails the status change
            log.warning("webhook event not enqueued", extra={"messageId": message.id, "reason": type(error).__name__})
            count("WebhookEnqueueFailed", channel_of(message))
            return False
        return True

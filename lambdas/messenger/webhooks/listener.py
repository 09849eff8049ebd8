"""The webhooks listener of the status writer: every status a message reaches becomes one MESSAGE_STATUS
event on the webhooks queue, in the step that changed the status. The worker fans it out to the
webhooks (delivery.py), so a status writer needs no read of the webhooks and sends one SQS message.

An enqueue that fails never fails or repeats the status change (nor a send): it is logged without the
recipient or body and counted (`WebhookEnqueueFailed`); that event is then not delivered.
"""

from __future__ import annotations

import json
import logging

from messenger.core.observability import count
from messenger.messages.metrics import channel_of
from messenger.messages.models import Message
from messenger.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)


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
    return {"kind": "event", "eventId": event_id, "eventType": WebhookEvent.MESSAGE_STATUS.value, "payload": payload}


class WebhookListener:
    def __init__(self, sqs, queue_url: str | None) -> None:
        self._sqs, self._url = sqs, queue_url

    def recorded(self, message: Message) -> None:
        self.enqueue(message)

    def moved(self, message: Message) -> None:
        self.enqueue(message)

    def enqueue(self, message: Message) -> bool:
        try:
            if not self._url:
                raise RuntimeError("WEBHOOK_QUEUE_URL is not set")
            body = json.dumps(status_event(message), separators=(",", ":"))
            self._sqs.send_message(QueueUrl=self._url, MessageBody=body)
        except Exception as error:  # noqa: BLE001 - never fails the status change
            log.warning("webhook event not enqueued", extra={"messageId": message.id, "reason": type(error).__name__})
            count("WebhookEnqueueFailed", channel_of(message))
            return False
        return True

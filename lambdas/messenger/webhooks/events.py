"""The webhook events: one builder per event type, and the one way to put an event on the webhooks queue.

Every builder answers the queue body the webhook worker fans out (delivery.py): `eventId` (the
`webhook-id` receivers deduplicate on: the same for the same fact, so a producer that repeats itself
after a crash repeats the id too), `eventType`, `payload` (what the receiver gets, signed) and
`clientId` (whose webhooks take it: never sent to the receiver).

`Emitter.emit` is what producers call: it enqueues only when some enabled webhook takes the type
(subscriptions.py, a cached answer) and never raises, so an event can neither fail nor repeat the
status change, the inbound record or the batch write that produced it. A failed enqueue is logged
without any recipient or text and counted (`WebhookEnqueueFailed`); that event is then lost.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from messenger.core.observability import count
from messenger.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)


class EventQueue(Protocol):
    def send(self, body: dict, delay_seconds: int = 0) -> None: ...


class Subscribed(Protocol):
    def takes(self, event_type: str) -> bool: ...


def _body(event_id: str, event_type: WebhookEvent, payload: dict, client_id: str | None) -> dict:
    return {"kind": "event", "eventId": event_id, "eventType": event_type.value, "payload": payload,
            "clientId": client_id}


def status_event(message) -> dict:
    """MESSAGE_STATUS of a message (messages.models.Message); `sequence` (its timeline entries) only grows."""
    sequence = max(len(message.events), 1)
    at = message.events[-1].at if message.events else message.updated_at
    payload = {
        "type": "message.status",
        "timestamp": at,
        "data": {
            "id": message.id, "reference": message.reference, "to": message.to,
            "deliveryMethod": message.delivery_method.value, "status": message.delivery_status.value,
            "failureReason": message.failure_reason, "statusAt": at, "sequence": sequence,
        },
    }
    return _body(f"msg_{message.id}_{sequence}", WebhookEvent.MESSAGE_STATUS, payload, message.client_id)


def inbound_event(message, *, keyword: str | None = None, proxy_session_id: str | None = None,
                  link_id: str | None = None) -> dict:  # fmt: skip
    """MESSAGE_INBOUND of an inbound SMS's record (direction INBOUND: `sender` the phone, `to` our number).

    The text is sent: the receiver is the webhook owner's own server, and only a client that reads every
    history (READ) may subscribe (service.py). It belongs to no client (`clientId` None): every webhook
    subscribed to MESSAGE_INBOUND takes it (models.Webhook.takes)."""
    payload = {
        "type": "message.inbound",
        "timestamp": message.created_at,
        "data": {
            "id": message.id, "from": message.sender, "to": message.to, "body": message.body,
            "provider": message.provider.value, "receivedAt": message.created_at, "keyword": keyword,
            "proxySessionId": proxy_session_id, "linkId": link_id,
        },
    }
    return _body(f"in_{message.id}", WebhookEvent.MESSAGE_INBOUND, payload, None)


def batch_event(summary: dict) -> dict:
    """BATCH_COMPLETED of a batch that just became final, from the conditional write that made it so
    (messages.dal.MessagesTable.complete_batch, batches.dal.BatchesTable.fail_batch): id, reference,
    status, total, counts, completedAt, clientId."""
    payload = {
        "type": "batch.completed",
        "timestamp": summary["completedAt"],
        "data": {
            "id": summary["id"], "reference": summary.get("reference"), "status": summary["status"],
            "total": summary["total"], "counts": dict(summary.get("counts") or {}),
            "badRows": summary.get("badRows", 0), "completedAt": summary["completedAt"],
        },
    }
    return _body(f"batch_{summary['id']}", WebhookEvent.BATCH_COMPLETED, payload, summary.get("clientId"))


class Emitter:
    def __init__(self, queue: EventQueue | None, subscriptions: Subscribed) -> None:
        self._queue, self._subscriptions = queue, subscriptions

    def emit(self, body: dict, dimension: str) -> bool:
        """True when the event was enqueued; False when no webhook takes it or the enqueue failed (logged,
        counted under `dimension`). Never raises."""
        try:
            if not self._subscriptions.takes(body["eventType"]):
                return False
            if self._queue is None:
                raise RuntimeError("WEBHOOK_QUEUE_URL is not set")
            self._queue.send(body)
        except Exception as error:  # noqa: BLE001 - never fails what produced the event
            log.warning("webhook event not enqueued",
                        extra={"eventId": body.get("eventId"), "eventType": body.get("eventType"),
                               "reason": type(error).__name__})
            with contextlib.suppress(Exception):  # nor does a metric that cannot be emitted
                count("WebhookEnqueueFailed", dimension)
            return False
        return True

    def inbound(self, message, **links) -> bool:
        return self.emit(inbound_event(message, **links), "SMS")

    def batch_final(self, summary: dict) -> bool:
        return self.emit(batch_event(summary), "BATCH")

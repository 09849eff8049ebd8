"""Amazon SNS SMS delivery-status logs, as a CloudWatch Logs subscription hands them to a function.

The event is {"awslogs": {"data": base64(gzip(JSON))}}; each log event's message is one delivery
record: `status` SUCCESS → DELIVERED, FAILURE → FAILED with the carrier's `providerResponse`.
"""

from __future__ import annotations

import base64
import gzip
import json

from messenger.core.clock import normalise_time
from messenger.messages.models import DeliveryStatus
from messenger.receipts.models import ReceiptEvent

MAX_DETAIL = 200


def log_records(event: dict) -> list[dict]:
    payload = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    if payload.get("messageType") != "DATA_MESSAGE":
        return []  # CONTROL_MESSAGE: CloudWatch Logs checking the destination
    return [json.loads(entry["message"]) for entry in payload.get("logEvents", [])]


def receipt_of(record: dict) -> ReceiptEvent | None:
    notification = record.get("notification") or {}
    delivery = record.get("delivery") or {}
    provider_id = notification.get("messageId")
    if not provider_id or not isinstance(provider_id, str):
        raise ValueError("SNS delivery record without notification.messageId")
    response = str(delivery.get("providerResponse") or "").strip()[:MAX_DETAIL]
    at = normalise_time(notification.get("timestamp"))
    recipient = delivery.get("destination")
    status = record.get("status")
    if status == "SUCCESS":
        return ReceiptEvent(provider_id, at, DeliveryStatus.DELIVERED, response or "Delivered", recipient=recipient)
    if status == "FAILURE":
        reason = f"Carrier: {response or 'unknown'}"
        return ReceiptEvent(provider_id, at, DeliveryStatus.FAILED, reason, failure_reason=reason, recipient=recipient)
    return None

"""Amazon SES event publishing (configuration set → SNS → SQS): the event record and what it means.

DELIVERY → DELIVERED. A permanent BOUNCE, a REJECT or a RENDERING_FAILURE → FAILED with a readable
reason, and a permanent bounce suppresses the address. A COMPLAINT proves delivery and suppresses.
Transient and undetermined bounces and DELIVERY_DELAY are noted on the timeline and end nothing.
SEND only confirms what ACCEPTED already says: no write.
"""

from __future__ import annotations

import json
from dataclasses import replace

from messenger.adapters.ses import MESSAGE_ID_TAG
from messenger.core.clock import normalise_time
from messenger.messages.models import DeliveryStatus
from messenger.receipts.models import ReceiptEvent
from messenger.suppressions.models import BOUNCE, COMPLAINT

MAX_DETAIL = 200


def _clip(text) -> str:
    return str(text).strip()[:MAX_DETAIL]


def parse_sns_envelope(body: str) -> dict:
    """The SES event inside an SNS notification (as SQS receives it without raw delivery)."""
    notification = json.loads(body)
    if not isinstance(notification, dict) or notification.get("Type") != "Notification":
        raise ValueError("not an SNS notification")
    event = json.loads(notification["Message"])
    if not isinstance(event, dict):
        raise ValueError("not an SES event")
    return event


def receipt_of(event: dict) -> ReceiptEvent | None:
    """None for event types that change nothing (Send, Open, Click, Subscription)."""
    receipt = _receipt_of(event)
    return replace(receipt, at=normalise_time(receipt.at)) if receipt else None


def _receipt_of(event: dict) -> ReceiptEvent | None:
    kind = event.get("eventType") or event.get("notificationType")
    mail = event.get("mail") or {}
    provider_id = mail.get("messageId")
    if not provider_id or not isinstance(provider_id, str):
        raise ValueError("SES event without mail.messageId")
    tags = mail.get("tags") or {}
    ours = tags.get(MESSAGE_ID_TAG) or [None]
    destination = (mail.get("destination") or [None])[0]
    base = {"provider_message_id": provider_id, "message_id": ours[0], "recipient": destination}
    sent = mail.get("timestamp")  # an event's own time falls back to the mail's (none: our clock's)

    if kind == "Delivery":
        delivery = event.get("delivery") or {}
        return ReceiptEvent(at=delivery.get("timestamp") or sent,
                            target=DeliveryStatus.DELIVERED, detail="Delivered", **base)  # fmt: skip
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        what = f"{bounce.get('bounceType', 'Undetermined')}/{bounce.get('bounceSubType', 'General')}"
        at = bounce.get("timestamp") or sent
        if bounce.get("bounceType") == "Permanent":
            reason = f"Bounce: {_clip(what)}"
            return ReceiptEvent(at=at, target=DeliveryStatus.FAILED, detail=reason, failure_reason=reason,
                                suppress=BOUNCE, **base)  # fmt: skip
        return ReceiptEvent(at=at, target=None, detail=f"Transient bounce: {_clip(what)}", **base)
    if kind == "Complaint":
        complaint = event.get("complaint") or {}
        feedback = complaint.get("complaintFeedbackType") or "unspecified"
        return ReceiptEvent(at=complaint.get("timestamp") or sent,
                            target=DeliveryStatus.DELIVERED, detail=f"Complaint: {_clip(feedback)}",
                            suppress=COMPLAINT, **base)  # fmt: skip
    if kind == "Reject":
        reason = f"Rejected: {_clip((event.get('reject') or {}).get('reason') or 'unknown')}"
        return ReceiptEvent(at=sent, target=DeliveryStatus.FAILED, detail=reason,
                            failure_reason=reason, **base)  # fmt: skip
    if kind == "Rendering Failure":
        reason = f"RenderingFailure: {_clip((event.get('failure') or {}).get('errorMessage') or 'unknown')}"
        return ReceiptEvent(at=sent, target=DeliveryStatus.FAILED, detail=reason,
                            failure_reason=reason, **base)  # fmt: skip
    if kind == "DeliveryDelay":
        delay = event.get("deliveryDelay") or {}
        return ReceiptEvent(at=delay.get("timestamp") or sent, target=None,
                            detail=f"Delivery delayed: {_clip(delay.get('delayType') or 'unknown')}", **base)  # fmt: skip
    return None

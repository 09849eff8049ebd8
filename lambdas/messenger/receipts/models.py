"""A provider's receipt, in the terms the logic works with."""

from __future__ import annotations

from dataclasses import dataclass

from messenger.messages.models import DeliveryStatus


@dataclass(frozen=True)
class ReceiptEvent:
    """What one SES event or SNS delivery-status log entry says about one of our messages.

    `target` is the status it proves (None: a note that ends nothing); `suppress` the reason to put
    the recipient on the suppression list. Located by `message_id` + `recipient` where the provider
    echoes our tag (SES), otherwise by the provider's own id (SNS).
    """

    provider_message_id: str
    at: str
    target: DeliveryStatus | None
    detail: str
    failure_reason: str | None = None
    suppress: str | None = None
    message_id: str | None = None
    recipient: str | None = None

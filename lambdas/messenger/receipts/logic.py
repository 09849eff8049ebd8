"""Applying receipts: find the message, move it forward or note it, suppress where the receipt says.

Receipts come duplicated and out of order. The record is read first and written only when the
receipt changes something: a duplicate, or a receipt whose status the record has already passed,
costs one read and no write. A receipt that proves delivery of a message not yet marked as handed
over (its ACCEPTED write is still on its way) is "early": the caller retries it later.
"""

from __future__ import annotations

import logging

from messenger.core.errors import BadRequest, StatusConflict
from messenger.core.masking import mask_recipient
from messenger.messages.models import DeliveryStatus, Message, can_move
from messenger.messages.ports import MessageRepository
from messenger.messages.recipients import normalise_recipient
from messenger.messages.status import StatusWriter
from messenger.receipts.models import ReceiptEvent

log = logging.getLogger(__name__)

NOT_YET_SENT = frozenset({DeliveryStatus.SCHEDULED, DeliveryStatus.PENDING, DeliveryStatus.QUEUED})
UPDATED, NOTED, UNCHANGED, UNKNOWN, EARLY = "updated", "noted", "unchanged", "unknown", "early"


class Receipts:
    def __init__(self, repository: MessageRepository, statuses: StatusWriter, suppressor=None) -> None:
        self._repo = repository
        self._statuses = statuses
        self._suppressor = suppressor

    def apply(self, receipt: ReceiptEvent) -> str:
        message = self._find(receipt)
        if message is None:
            log.warning("receipt for an unknown message; acknowledged")
            return UNKNOWN
        if receipt.target is not None and message.delivery_status in NOT_YET_SENT:
            return EARLY
        # A suppressing receipt counts when it agrees with the record: it moves it, or the record is
        # already where it leads (a complaint after the delivery). A late bounce after a delivery does not.
        agrees = receipt.target is not None and (
            message.delivery_status is receipt.target or can_move(message.delivery_status, receipt.target)
        )
        if receipt.suppress and agrees and self._suppressor is not None:
            self._suppressor.suppress(message, receipt.suppress)
        if receipt.target is None:
            if any(e.detail == receipt.detail and e.at == receipt.at for e in message.events):
                return UNCHANGED
            return NOTED if self._statuses.note(message, receipt.detail, receipt.at) else UNCHANGED
        if not can_move(message.delivery_status, receipt.target):
            log.info("receipt changes nothing", extra={"messageId": message.id, "status": message.delivery_status.value,
                                                       "receipt": receipt.target.value})  # fmt: skip
            return UNCHANGED
        try:
            self._statuses.move(message, receipt.target, detail=receipt.detail, failure_reason=receipt.failure_reason)
        except StatusConflict:
            return UNCHANGED
        log.info("receipt applied", extra={"messageId": message.id, "status": receipt.target.value,
                                           "to": mask_recipient(message.to)})  # fmt: skip
        return UPDATED

    def _find(self, receipt: ReceiptEvent) -> Message | None:
        recipient = None
        if receipt.recipient:
            try:
                recipient = normalise_recipient(str(receipt.recipient), "recipient")
            except BadRequest:
                recipient = None
        if receipt.message_id and recipient:
            # SES echoes our tag: one consistent read of the record, no index involved.
            message = self._repo.get(recipient, receipt.message_id)
            if message is not None and message.provider_message_id in (None, receipt.provider_message_id):
                return message
            return None
        message = self._repo.find_by_provider_message_id(receipt.provider_message_id)
        if message is None and recipient:
            message = self._repo.find_recent_by_provider_message_id(recipient, receipt.provider_message_id)
        return message

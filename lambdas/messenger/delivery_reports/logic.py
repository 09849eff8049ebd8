"""Africa's Talking delivery reports: move a message forward, never back, any number of times.

Reports arrive more than once and out of order. `Success` is final (DELIVERED); `Failed`,
`Rejected`, `AbsentSubscriber` and `Expired` are final (FAILED); `Sent`, `Submitted` and `Buffered`
say the message is in flight, which ACCEPTED already says. A move the record's status does not
allow (a late `Sent`, a second `Success`, `Failed` after `Success`) changes nothing, and so does a
report whose phoneNumber is not the record's recipient (answered "unknown", as for an unknown id).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from messenger.core.errors import BadRequest, StatusConflict
from messenger.messages.models import DeliveryStatus, Provider, can_move
from messenger.messages.ports import MessageRepository
from messenger.messages.recipients import normalise_phone
from messenger.messages.status import StatusListener, StatusWriter

log = logging.getLogger(__name__)


FINAL_FAILURES = frozenset({"Failed", "Rejected", "AbsentSubscriber", "Expired"})
IN_FLIGHT = frozenset({"Sent", "Submitted", "Buffered"})
KNOWN_STATUSES = FINAL_FAILURES | IN_FLIGHT | {"Success"}
MAX_FIELD_LENGTH = 200


@dataclass(frozen=True)
class Report:
    provider_message_id: str
    status: str
    failure_reason: str | None
    phone_number: str | None = None


def parse_report(form: dict[str, str]) -> Report:
    message_id = (form.get("id") or "").strip()
    status = (form.get("status") or "").strip()
    if not message_id or len(message_id) > MAX_FIELD_LENGTH:
        raise BadRequest("id", "is required")
    if status not in KNOWN_STATUSES:
        raise BadRequest("status", "is not a delivery status Africa's Talking sends")
    reason = (form.get("failureReason") or "").strip()[:MAX_FIELD_LENGTH] or None
    phone = (form.get("phoneNumber") or "").strip()[:MAX_FIELD_LENGTH] or None
    return Report(message_id, status, reason, phone)


def find_message(repository: MessageRepository, report: Report):
    """By AT's id through the index; if the index has not caught up yet, in the recipient's history."""
    message = repository.find_by_provider_message_id(report.provider_message_id)
    if message is None and report.phone_number:
        try:
            recipient = normalise_phone(report.phone_number, "phoneNumber")
        except BadRequest:
            return None
        message = repository.find_recent_by_provider_message_id(recipient, report.provider_message_id)
    return message


def same_number(report: Report, recipient: str) -> bool:
    """The report's phoneNumber is the record's recipient: a report naming our message id with
    another number (forged, or a provider's mistake) changes nothing."""
    if not report.phone_number:
        return False
    try:
        return normalise_phone(report.phone_number, "phoneNumber") == recipient
    except BadRequest:
        return False


def target_status(report: Report) -> DeliveryStatus | None:
    if report.status == "Success":
        return DeliveryStatus.DELIVERED
    if report.status in FINAL_FAILURES:
        return DeliveryStatus.FAILED
    return None


def apply_report(repository: MessageRepository, clock, report: Report, listeners: Iterable[StatusListener] = ()) -> str:
    """Returns what happened: "updated", "unchanged" or "unknown"."""
    message = find_message(repository, report)
    if message is None or message.provider is not Provider.AFRICASTALKING or not same_number(report, message.to):
        log.warning("delivery report for an unknown message id; acknowledged")
        return "unknown"
    target = target_status(report)
    if target is None or not can_move(message.delivery_status, target):
        log.info(
            "delivery report changes nothing",
            extra={"messageId": message.id, "report": report.status,
                   "status": message.delivery_status.value},
        )
        return "unchanged"
    reason = (report.failure_reason or report.status) if target is DeliveryStatus.FAILED else None
    try:
        StatusWriter(repository, clock, listeners).move(
            message, target, detail=f"Africa's Talking: {report.status}", failure_reason=reason
        )
    except StatusConflict:
        return "unchanged"
    log.info("delivery report applied", extra={"messageId": message.id, "status": target.value})
    return "updated"

"""The inbound payloads of both providers, read into InboundSms / OptOutNotice; anything else is a BadRequest.

Africa's Talking posts forms (incoming message: from, to, text, date, id, linkId, networkCode; bulk
opt-out: senderId, phoneNumber). AWS End User Messaging's two-way channel publishes JSON to SNS
(originationNumber, destinationNumber, messageBody, inboundMessageId, messageKeyword), which reaches
us as the `Message` of an SNS notification.
"""

from __future__ import annotations

import json
import re

from messenger.core.clock import normalise_time
from messenger.core.errors import BadRequest
from messenger.inbound.models import HELP_WORDS, OPT_IN_WORDS, OPT_OUT_WORDS, InboundSms, Keyword, OptOutNotice
from messenger.messages.models import Provider
from messenger.messages.recipients import normalise_phone

MAX_ID_LENGTH = 200
MAX_TEXT_LENGTH = 1_600  # ten concatenated parts of 160 characters
_OUR_NUMBER = re.compile(r"^\+?[0-9A-Za-z]{2,20}$")  # an E.164 number, a short code or an alphanumeric id


def keyword_of(text: str) -> Keyword | None:
    """STOP, START, HELP and their synonyms: the whole text, any case, surrounding spaces ignored."""
    word = text.strip().upper()
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return None


def _required(value, field: str, limit: int = MAX_ID_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(field, "is required")
    return value.strip()


def _our_number(value, field: str) -> str:
    number = _required(value, field).replace(" ", "")
    if not _OUR_NUMBER.match(number):
        raise BadRequest(field, "is not a number or short code")
    return number


def _text(value, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        raise BadRequest(field, f"must be text of at most {MAX_TEXT_LENGTH} characters")
    return value


def parse_at_inbound(form: dict[str, str], now: str) -> InboundSms:
    return InboundSms(
        provider=Provider.AFRICASTALKING,
        provider_message_id=_required(form.get("id"), "id"),
        sender=normalise_phone(_required(form.get("from"), "from"), "from"),
        recipient=_our_number(form.get("to"), "to"),
        text=_text(form.get("text"), "text"),
        received_at=normalise_time(form.get("date") or "") or now,
        link_id=(form.get("linkId") or "").strip()[:MAX_ID_LENGTH] or None,
    )


def parse_at_opt_out(form: dict[str, str]) -> OptOutNotice:
    phone = normalise_phone(_required(form.get("phoneNumber"), "phoneNumber"), "phoneNumber")
    return OptOutNotice(phone, (form.get("senderId") or "").strip()[:MAX_ID_LENGTH] or None)


def parse_sns_inbound(notification: dict, now: str) -> InboundSms:
    """An SNS notification whose `Message` is End User Messaging's two-way SMS event."""
    try:
        event = json.loads(notification["Message"])
    except (KeyError, TypeError, ValueError):
        raise BadRequest("Message", "is not a two-way SMS event") from None
    if not isinstance(event, dict):
        raise BadRequest("Message", "is not a two-way SMS event")
    return InboundSms(
        provider=Provider.SNS,
        provider_message_id=_required(event.get("inboundMessageId"), "inboundMessageId"),
        sender=normalise_phone(_required(event.get("originationNumber"), "originationNumber"), "originationNumber"),
        recipient=_our_number(event.get("destinationNumber"), "destinationNumber"),
        text=_text(event.get("messageBody"), "messageBody"),
        received_at=normalise_time(notification.get("Timestamp") or "") or now,
    )

"""Validation of client input. Every rule names the field it is about; nothing here has side effects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from messenger.messages.cursor import decode_cursor
from messenger.messages.recipients import (
    country_calling_code_of,
    normalise_email,
    normalise_phone,
    normalise_recipient,
)
from messenger.sending.segments import count_segments
from messenger.core.errors import BadRequest
from messenger.messages.models import DeliveryMethod, Provider, SendRequest
from messenger.core.settings import Settings

# Control characters other than tab, line feed and carriage return have no place in a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")

MAX_ID_LENGTH = 128
MAX_REFERENCE_LENGTH = 256
MAX_IDEMPOTENCY_KEY_LENGTH = 128
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _text(value, field: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(field, "must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(field, "is not valid Unicode text") from None
    if _CONTROL.search(value):
        raise BadRequest(field, "must not contain control characters")
    return value


def _address(value, field: str) -> str:
    text = _text(value, field)
    if _LINE_BREAK.search(text):
        raise BadRequest(field, "must be a single line")
    return text


def _optional_text(args: dict, key: str, max_length: int) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    value = _text(value, key)
    if _LINE_BREAK.search(value):
        raise BadRequest(key, "must be a single line")
    if not value.strip():
        raise BadRequest(key, "must not be blank")
    if len(value) > max_length:
        raise BadRequest(key, f"must be at most {max_length} characters")
    return value


def _enum(value, enum_type, field: str):
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        raise BadRequest(field, f"must be one of {allowed}") from None


def _idempotency_key(args: dict) -> str | None:
    key = args.get("idempotencyKey")
    if key is None:
        return None
    if not isinstance(key, str) or not key:
        raise BadRequest("idempotencyKey", "must be 1 to 128 printable characters")
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not _PRINTABLE_ASCII.match(key):
        raise BadRequest("idempotencyKey", "must be 1 to 128 printable characters")
    return key


def _body(value, method: DeliveryMethod, settings: Settings) -> tuple[str, int | None]:
    if value is None:
        raise BadRequest("body", "is required")
    body = _text(value, "body")
    if not body.strip():
        raise BadRequest("body", "must not be empty")
    if method is DeliveryMethod.SMS:
        count = count_segments(body)
        if count.segments > settings.max_sms_segments:
            raise BadRequest(
                "body",
                f"takes {count.segments} SMS segments ({count.encoding}); "
                f"at most {settings.max_sms_segments} are allowed",
            )
        return body, count.segments
    if len(body.encode("utf-8")) > settings.max_email_body_bytes:
        raise BadRequest("body", f"must be at most {settings.max_email_body_bytes} bytes")
    return body, None


def _route_sms(to: str, requested: Provider | None, settings: Settings) -> Provider:
    if requested is Provider.SES:
        raise BadRequest("provider", "SES sends e-mail, not SMS")
    if requested is not None:
        return requested
    if country_calling_code_of(to, settings.at_country_codes):
        return Provider.AFRICASTALKING
    return settings.default_sms_provider


def parse_send_input(args: dict, settings: Settings) -> SendRequest:
    if not isinstance(args, dict):
        raise BadRequest("input", "is required")
    method = _enum(args.get("deliveryMethod"), DeliveryMethod, "deliveryMethod")
    to_raw = args.get("to")
    if not isinstance(to_raw, str) or not to_raw.strip():
        raise BadRequest("to", "is required")
    requested = None if args.get("provider") is None else _enum(args["provider"], Provider, "provider")
    body, segments = _body(args.get("body"), method, settings)

    if method is DeliveryMethod.EMAIL:
        to = normalise_email(_address(to_raw, "to"), "to")
        if requested not in (None, Provider.SES):
            raise BadRequest("provider", "e-mail is sent through SES only")
        provider = Provider.SES
        subject = _optional_text(args, "subject", settings.max_subject_chars)
        sender = settings.sender_email
        if args.get("from") is not None:
            sender = normalise_email(_address(args["from"], "from"), "from")
            allowed = settings.allowed_from_addresses | {settings.sender_email.lower()}
            if sender.lower() not in allowed:
                raise BadRequest("from", "is not a sender address this deployment allows")
    else:
        to = normalise_phone(_address(to_raw, "to"), "to")
        provider = _route_sms(to, requested, settings)
        if args.get("subject") is not None:
            raise BadRequest("subject", "SMS messages have no subject")
        subject = None
        sender = _optional_text(args, "from", 11 if provider is Provider.AFRICASTALKING else 32)
        if sender is not None and sender not in settings.sms_sender_ids:
            raise BadRequest("from", "is not a sender id this deployment allows")

    return SendRequest(
        to=to,
        body=body,
        delivery_method=method,
        provider=provider,
        sender=sender,
        subject=subject,
        recipient_id=_optional_text(args, "recipientId", MAX_ID_LENGTH),
        sender_id=_optional_text(args, "senderId", MAX_ID_LENGTH),
        reference=_optional_text(args, "reference", MAX_REFERENCE_LENGTH),
        idempotency_key=_idempotency_key(args),
        segments=segments,
    )


@dataclass(frozen=True)
class ListRequest:
    recipient: str
    limit: int
    after_id: str | None
    newest_first: bool


def parse_list_input(args: dict, partition_of) -> ListRequest:
    """`partition_of(recipient)` gives the partition a cursor must belong to."""
    flt = args.get("filter")
    if not isinstance(flt, dict) or not isinstance(flt.get("to"), str) or not flt["to"].strip():
        raise BadRequest("filter.to", "is required")
    recipient = normalise_recipient(_address(flt["to"], "filter.to"), "filter.to")
    first = args.get("first")
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_PAGE_SIZE:
        raise BadRequest("first", f"must be between 1 and {MAX_PAGE_SIZE}")
    after = args.get("after")
    after_id = None
    if after is not None:
        if not isinstance(after, str):
            raise BadRequest("after", "not a valid cursor")
        after_id = decode_cursor(after, partition_of(recipient))
    order = args.get("order") or "OLDEST_FIRST"
    if order not in ("OLDEST_FIRST", "NEWEST_FIRST"):
        raise BadRequest("order", "must be one of OLDEST_FIRST, NEWEST_FIRST")
    return ListRequest(recipient, first, after_id, order == "NEWEST_FIRST")

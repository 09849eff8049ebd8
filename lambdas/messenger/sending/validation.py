"""Validation of sendMessage input. Every rule names the field it is about; nothing here has side effects."""

from __future__ import annotations

import re

from messenger.core.errors import BadRequest
from messenger.core.input import address, enum, optional_text, visible_text
from messenger.core.settings import Settings
from messenger.limits.destinations import check_sms_destination
from messenger.messages.models import DeliveryMethod, Provider
from messenger.messages.recipients import (
    country_calling_code_of,
    mixed_script_domain,
    normalise_email,
    normalise_phone,
)
from messenger.sending.models import SendRequest
from messenger.sending.segments import count_segments
from messenger.templates.models import Rendered

_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")

MAX_ID_LENGTH = 128
MAX_REFERENCE_LENGTH = 256
MAX_IDEMPOTENCY_KEY_LENGTH = 128


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
    """`value` is never None: `_by_template` refused a send with neither a body nor a template."""
    body = visible_text(value, "body")
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


def _allowed_mixed(to: str, settings: Settings) -> bool:
    """Whether the deployment allows this mixed-script domain (configured in Unicode or IDNA form)."""
    domain = to.rpartition("@")[2]
    return any(domain == allowed.encode("idna").decode("ascii").lower()
               for allowed in settings.allowed_mixed_script_domains)


def _route_sms(to: str, requested: Provider | None, settings: Settings) -> Provider:
    if requested is Provider.SES:
        raise BadRequest("provider", "SES sends e-mail, not SMS")
    if requested is not None:
        return requested
    if country_calling_code_of(to, settings.at_country_codes):
        return Provider.AFRICASTALKING
    return Provider(settings.default_sms_provider)


def _by_template(args: dict, method: DeliveryMethod, render) -> Rendered | None:
    """A body, or a templateId (rendered by `render`): exactly one of them."""
    templated = args.get("templateId") is not None
    if templated == (args.get("body") is not None):
        raise BadRequest("body", "give either a body or a templateId")
    if not templated:
        for field in ("templateVersion", "personalisation"):
            if args.get(field) is not None:
                raise BadRequest(field, "is only for a send by templateId")
        return None
    if args.get("subject") is not None:
        raise BadRequest("subject", "comes from the template")
    if render is None:
        raise BadRequest("templateId", "templates are not available here")
    return render(args, method)


def parse_send_input(args: dict, settings: Settings, render=None) -> SendRequest:
    """`render(args, method)` fills in the template a templateId names (templates/logic.py)."""
    if not isinstance(args, dict):
        raise BadRequest("input", "is required")
    method = enum(args.get("deliveryMethod"), DeliveryMethod, "deliveryMethod")
    to_raw = args.get("to")
    if not isinstance(to_raw, str) or not to_raw.strip():
        raise BadRequest("to", "is required")
    requested = None if args.get("provider") is None else enum(args["provider"], Provider, "provider")
    rendered = _by_template(args, method, render)
    body, segments = _body(rendered.body if rendered else args.get("body"), method, settings)
    if rendered and rendered.html and len(body.encode()) + len(rendered.html.encode()) > settings.max_email_body_bytes:
        raise BadRequest("personalisation", f"the rendered e-mail exceeds {settings.max_email_body_bytes} bytes")

    if method is DeliveryMethod.EMAIL:
        to = normalise_email(address(to_raw, "to"), "to")
        if mixed_script_domain(to) and not _allowed_mixed(to, settings):
            raise BadRequest("to", "the domain mixes scripts (a look-alike of another domain); not sent")
        if requested not in (None, Provider.SES):
            raise BadRequest("provider", "e-mail is sent through SES only")
        provider = Provider.SES
        if rendered:
            subject = visible_text(rendered.subject, "subject") if rendered.subject is not None else None
        else:
            subject = optional_text(args, "subject", settings.max_subject_chars, visible=True)
        sender = settings.sender_email
        if args.get("from") is not None:
            sender = normalise_email(address(args["from"], "from"), "from")
            allowed = {a.lower() for a in (*settings.allowed_from_addresses, settings.sender_email)}
            if sender.lower() not in allowed:
                raise BadRequest("from", "is not a sender address this deployment allows")
    else:
        to = normalise_phone(address(to_raw, "to"), "to")
        check_sms_destination(to, settings.allowed_sms_countries, settings.denied_sms_number_types)
        provider = _route_sms(to, requested, settings)
        if args.get("subject") is not None:
            raise BadRequest("subject", "SMS messages have no subject")
        subject = None
        sender = optional_text(args, "from", 11 if provider is Provider.AFRICASTALKING else 32)
        if sender is not None and sender not in settings.sms_sender_ids:
            raise BadRequest("from", "is not a sender id this deployment allows")

    return SendRequest(
        to=to,
        body=body,
        delivery_method=method,
        provider=provider,
        sender=sender,
        subject=subject,
        recipient_id=optional_text(args, "recipientId", MAX_ID_LENGTH),
        sender_id=optional_text(args, "senderId", MAX_ID_LENGTH),
        reference=optional_text(args, "reference", MAX_REFERENCE_LENGTH, visible=True),
        idempotency_key=_idempotency_key(args),
        segments=segments,
        template_id=rendered.template_id if rendered else None,
        template_version=rendered.template_version if rendered else None,
        html=rendered.html if rendered else None,
    )

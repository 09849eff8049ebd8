"""Validation of a batch: its shared content, then every row, each as one sendMessage would be.

A row becomes the arguments of a sendMessage (its `to`, `deliveryMethod`, `reference`, and the shared
content filled in with its personalisation) and goes through the sending domain's own checks
(sending/validation.py), so a batch accepts exactly what single sends accept. A shared body may hold
((placeholders)), filled per row by the templates renderer; with a templateId the templates service
renders it. Nothing here has side effects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from messenger.batches.models import Content, RowError
from messenger.core.errors import BadRequest
from messenger.core.input import optional_text, text
from messenger.messages import ulids
from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Message,
    MessageEvent,
)
from messenger.sending.models import SendRequest
from messenger.sending.validation import (
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_REFERENCE_LENGTH,
    parse_send_input,
)
from messenger.templates.placeholders import parse
from messenger.templates.rendering import render_text, require_all, values_of

MAX_REQUEST_ROWS = 1000
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")


def parse_content(args: dict, settings) -> Content:
    """The shared content: a body (and subject), or a templateId (and templateVersion); never both."""
    if not isinstance(args, dict):
        raise BadRequest("input", "is required")
    templated = args.get("templateId") is not None
    if templated == (args.get("body") is not None):
        raise BadRequest("body", "give either a body or a templateId")
    reference = optional_text(args, "reference", MAX_REFERENCE_LENGTH)
    if templated:
        if args.get("subject") is not None:
            raise BadRequest("subject", "comes from the template")
        template_id = args["templateId"]
        if not isinstance(template_id, str) or not template_id.strip() or len(template_id) > 64:
            raise BadRequest("templateId", "is not a template id")
        version = args.get("templateVersion")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            raise BadRequest("templateVersion", "must be a version number (1 or more)")
        return Content(template_id=template_id, template_version=version, reference=reference)
    if args.get("templateVersion") is not None:
        raise BadRequest("templateVersion", "is only for a batch by templateId")
    body = text(args["body"], "body")
    if not body.strip():
        raise BadRequest("body", "must not be empty")
    parse(body, "body")  # a placeholder syntax error is the request's, not a row's
    subject = optional_text(args, "subject", settings.max_subject_chars)
    if subject is not None:
        parse(subject, "subject")
    return Content(body=body, subject=subject, reference=reference)


def idempotency_key(args: dict) -> str | None:
    key = args.get("idempotencyKey")
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH or not _PRINTABLE_ASCII.match(key):
        raise BadRequest("idempotencyKey", "must be 1 to 128 printable characters")
    return key


def fingerprint(args: dict) -> str:
    """What makes two batch requests with one idempotency key "the same input"."""
    fields = {k: v for k, v in args.items() if k != "idempotencyKey"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def personalisation_of(raw, field: str = "personalisation"):
    """AWSJSON arrives as JSON text or already parsed."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            raise BadRequest(field, "is not valid JSON") from None
    return raw


def infer_method(to: str) -> str:
    return DeliveryMethod.EMAIL.value if "@" in to else DeliveryMethod.SMS.value


def recipient_digest(request: SendRequest) -> int:
    """8 bytes naming a recipient on a channel: what duplicate detection keeps of a row."""
    return int.from_bytes(
        hashlib.blake2b(f"{request.delivery_method.value}:{request.to}".encode(), digest_size=8).digest(), "big")


class RowChecker:
    """Checks rows one at a time. With `duplicates`, remembers a digest per row to refuse a recipient given
    twice (sendBatch's at most 1,000 rows); the upload worker finds duplicates its own, flat way (uploads.py)."""

    def __init__(self, content: Content, settings, render=None, duplicates: bool = True) -> None:
        self._content = content
        self._settings = settings
        self._render = render  # templates' for_send(args, method), for a templateId
        self._body = parse(content.body, "body") if content.body is not None else None
        self._subject = parse(content.subject, "subject") if content.subject is not None else None
        self._seen: dict[int, int] | None = {} if duplicates else None  # digest -> first row

    def check(self, index: int, row) -> SendRequest:
        """The row as a validated send, or BadRequest naming the field; a duplicate recipient too."""
        if not isinstance(row, dict):
            raise BadRequest("row", "must be an object")
        args = {"to": row.get("to"), "deliveryMethod": row.get("deliveryMethod"),
                "reference": row.get("reference") or self._content.reference}
        if self._content.template_id is not None:
            args.update(templateId=self._content.template_id, templateVersion=self._content.template_version,
                        personalisation=personalisation_of(row.get("personalisation")))
        else:
            values = values_of(personalisation_of(row.get("personalisation")))
            email = row.get("deliveryMethod") == DeliveryMethod.EMAIL.value
            parsed = [p for p in (self._body, self._subject if email else None) if p is not None]
            require_all(values, *parsed)
            args["body"] = render_text(self._body, values)
            if self._subject is not None and row.get("deliveryMethod") == DeliveryMethod.EMAIL.value:
                args["subject"] = render_text(self._subject, values)  # the e-mail rows' subject
        request = parse_send_input(args, self._settings, self._render)
        if self._seen is not None:
            first = self._seen.setdefault(recipient_digest(request), index)
            if first != index:
                raise BadRequest("to", f"the same recipient as row {first}")
        return request

    def error(self, index: int, row) -> RowError | None:
        try:
            self.check(index, row)
        except BadRequest as error:
            return RowError.of(index, error)
        return None


def row_message_id(batch_id: str, created_ms: int, index: int) -> str:
    """A row's message id: the batch's millisecond, 40 bits of the batch id, the row number.

    Fixed by the batch and the row, so a fan-out that resumes after a crash names the same records.
    """
    tag = int.from_bytes(hashlib.sha256(batch_id.encode()).digest()[:5], "big")
    return ulids.to_text((created_ms << ulids.RANDOM_BITS) | (tag << 40) | index)


def row_message(request: SendRequest, batch_id: str, created_at: str, index: int, client_id: str | None = None,
                retention_days: int | None = None) -> Message:
    """The row's record. `retention_days`: its TTL (`messageRetentionDays`) counted from the batch's
    creation, so a resumed fan-out writes the same; `client_id`: the client that sent the batch."""
    expires_at = None
    if retention_days is not None:
        created = dt.datetime.fromisoformat(created_at)
        expires_at = int(created.timestamp()) + retention_days * 86_400
    return Message(
        id=row_message_id(batch_id, ulids.milliseconds_of(batch_id), index),
        to=request.to,
        body=request.body,
        delivery_method=request.delivery_method,
        delivery_status=DeliveryStatus.QUEUED,
        provider=request.provider,
        created_at=created_at,
        updated_at=created_at,
        sender=request.sender,
        subject=request.subject,
        reference=request.reference,
        segments=request.segments,
        events=(MessageEvent(DeliveryStatus.QUEUED, created_at),),
        template_id=request.template_id,
        template_version=request.template_version,
        html=request.html,
        batch_id=batch_id,
        client_id=client_id,
        expires_at=expires_at,
    )

"""The webhooks API's decisions: create (the secret shown once), list, delete, rotate, enable, deliveries."""

from __future__ import annotations

import base64
import binascii
import time
import uuid

from messenger.core.errors import BadRequest, MessagingError
from messenger.messages.filters import id_connection, page_size
from messenger.webhooks import safety, signing
from messenger.webhooks.delivery import iso
from messenger.webhooks.models import Webhook, WebhookEvent

MAX_DESCRIPTION = 200
MAX_WEBHOOKS = 20


class NotFound(MessagingError):
    error_type = "NotFound"


class InboundNeedsRead(MessagingError):
    """MESSAGE_INBOUND carries every inbound SMS (sender and text), which only READ shows (getMessages)."""

    error_type = "Forbidden"

    def __init__(self) -> None:
        super().__init__("events: MESSAGE_INBOUND needs scope READ", {"field": "events", "scope": "READ"})


class Webhooks:
    def __init__(self, table, *, allow_loopback: bool, grace_seconds: int, resolve: safety.Resolve,
                 now=time.time, on_change=lambda: None) -> None:  # fmt: skip
        self._table, self._loopback, self._grace, self._resolve, self._now = table, allow_loopback, grace_seconds, resolve, now
        self._on_change = on_change  # which event types some enabled webhook takes may have changed

    def _owned(self, webhook_id: str, owner: str | None) -> str:
        """The id of a webhook the caller may manage (its client's, or any without clients); NotFound else."""
        webhook = self._table.get(webhook_id) if webhook_id else None
        if webhook is None or (owner is not None and webhook.client_id not in (None, owner)):
            raise NotFound("no such webhook")
        return webhook_id

    def create(self, arguments: dict, owner: str | None = None, reads_history: bool = True) -> dict:
        """`reads_history`: the caller holds READ (getMessages shows every history, inbound SMS included)."""
        data = arguments.get("input") or {}
        url, events, description = data.get("url"), data.get("events") or [], data.get("description")
        try:
            safety.check(url, allow_loopback=self._loopback, resolve=self._resolve)
        except safety.UnsafeUrl as refused:
            raise BadRequest("url", str(refused)) from None
        try:
            chosen = tuple(dict.fromkeys(WebhookEvent(e) for e in events))
        except ValueError:
            raise BadRequest("events", "unknown event") from None
        if not chosen:
            raise BadRequest("events", "name at least one event")
        if WebhookEvent.MESSAGE_INBOUND in chosen and not reads_history:
            raise InboundNeedsRead()
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise BadRequest("description", f"at most {MAX_DESCRIPTION} characters")
        if len(self._table.all()) >= MAX_WEBHOOKS:
            raise BadRequest("url", f"at most {MAX_WEBHOOKS} webhooks")
        webhook = Webhook(id=str(uuid.uuid4()), url=url, events=chosen, created_at=iso(self._now()),
                          secret=signing.new_secret(), description=description or None, client_id=owner)
        self._table.add(webhook)
        self._on_change()
        return webhook.to_graphql(with_secret=True)

    def list(self, owner: str | None = None) -> list[dict]:
        """The caller's client's webhooks (all of them without a caller)."""
        mine = [w for w in self._table.all() if owner is None or w.client_id in (None, owner)]
        return [w.to_graphql() for w in sorted(mine, key=lambda w: w.created_at)]

    def delete(self, arguments: dict, owner: str | None = None) -> bool:
        try:
            webhook_id = self._owned(str(arguments.get("id") or ""), owner)
        except NotFound:
            return False
        deleted = self._table.delete(webhook_id)
        self._on_change()
        return deleted

    def rotate(self, arguments: dict, owner: str | None = None) -> dict:
        until = iso(self._now() + self._grace)
        webhook = self._table.rotate(self._owned(str(arguments.get("id") or ""), owner), signing.new_secret(), until)
        if webhook is None:
            raise NotFound("no such webhook")
        return webhook.to_graphql(with_secret=True)

    def enable(self, arguments: dict, owner: str | None = None) -> dict:
        webhook = self._table.enable(self._owned(str(arguments.get("id") or ""), owner))
        if webhook is None:
            raise NotFound("no such webhook")
        self._on_change()
        return webhook.to_graphql()

    def deliveries(self, arguments: dict, owner: str | None = None) -> dict:
        webhook_id = self._owned(str(arguments.get("webhookId") or ""), owner)
        first = page_size(arguments)
        after = _decode(arguments.get("after"), webhook_id) if arguments.get("after") else None
        found, cut_short = self._table.attempts(webhook_id, first + 1, after)  # one more: is there a next page?
        return id_connection(found, first, cut_short, cursor=lambda pair: _encode(pair[0], webhook_id),
                             node=lambda pair: pair[1].to_graphql())


def _encode(attempt_id: str, webhook_id: str) -> str:
    return base64.urlsafe_b64encode(f"{webhook_id}:{attempt_id}".encode()).decode()


def _decode(cursor: str, webhook_id: str) -> str:
    try:
        owner, _, attempt_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("after", "not a valid cursor") from None
    if owner != webhook_id or len(attempt_id) != 26:
        raise BadRequest("after", "not a valid cursor")
    return attempt_id

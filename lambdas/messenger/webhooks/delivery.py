"""The webhook worker's decisions: fan an event out to the webhooks that take it, then deliver each copy.

An event (from the status writers' listener) becomes one Delivery per enabled webhook subscribed to its
type. A Delivery is attempted: the URL is checked again (DNS rebinding), the payload signed with every
secret that currently signs, and POSTed once. 2xx: delivered. 5xx, 429, a timeout or a connection error:
retried after `schedule[attempt - 1]` seconds while the schedule lasts, then parked in the dead-letter
queue (alarm). Any other answer (4xx, 3xx: redirects are not followed) or a refused URL: not retried.

Delays longer than SQS's 15 minutes are chained: the copy is sent with the longest delay SQS allows and
carries `not_before`; received early, it is sent on again with the rest of the delay.

Erased recipients: before each attempt of a MESSAGE_STATUS or MESSAGE_INBOUND copy the worker checks that
the message it names is still recorded (`still_recorded`, one GetItem); a message erased by
eraseRecipient since (or expired) is not sent: the attempt is recorded as `RecipientErased` and the copy
dropped. Copies already parked in the dead-letter queue are not touched (docs/security.md).

Crash window: a worker that dies after the POST and before recording it leaves the SQS message to be
received again, so the receiver gets the same event again, with the same `webhook-id` (receivers
deduplicate on it). The queue's maxReceiveCount bounds how often that can repeat.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Protocol

from messenger.messages import ulids
from messenger.webhooks import safety, signing
from messenger.webhooks.models import Attempt, Delivery, Outcome, Webhook, WebhookEvent

log = logging.getLogger(__name__)

MAX_SQS_DELAY_SECONDS = 900


class Queue(Protocol):
    def send(self, body: dict, delay_seconds: int = 0) -> None: ...
    def park(self, body: dict) -> None: ...  # to the dead-letter queue


Post = Callable[[str, str, str, int, bytes, dict, float], Outcome]


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def attempt_id(epoch: float) -> str:
    return ulids.to_text((int(epoch * 1000) << ulids.RANDOM_BITS) | random.getrandbits(ulids.RANDOM_BITS))


def message_of(event_type: str, payload: dict) -> tuple[str, str] | None:
    """(the party whose history holds it, its id) of the message an event names; None for a batch."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not data.get("id"):
        return None
    party = {WebhookEvent.MESSAGE_STATUS.value: data.get("to"), WebhookEvent.MESSAGE_INBOUND.value: data.get("from")}
    return (party[event_type], data["id"]) if party.get(event_type) else None


def delivery_body(delivery: Delivery) -> dict:
    return {"kind": "delivery", **asdict(delivery)}


class Deliverer:
    def __init__(
        self, table, queue: Queue, post: Post, *, schedule: Sequence[int], allow_loopback: bool,
        timeout_seconds: float, disable_after_seconds: int, now: Callable[[], float] = time.time,
        resolve: safety.Resolve, still_recorded: Callable[[str, str], bool] | None = None,
    ) -> None:  # fmt: skip
        self._table, self._queue, self._post = table, queue, post
        self._schedule = tuple(int(s) for s in schedule)
        self._loopback, self._timeout = allow_loopback, timeout_seconds
        self._disable_after, self._now, self._resolve = disable_after_seconds, now, resolve
        self._still_recorded = still_recorded  # (party, message id) -> is the message still in the table?

    def fan_out(self, event_id: str, event_type: str, payload: dict, client_id: str | None = None) -> int:
        """One copy per webhook that takes the event: its type, and its message's client (Webhook.takes)."""
        webhooks = [w for w in self._table.all() if w.takes(event_type, client_id)]
        for webhook in webhooks:
            self._queue.send(delivery_body(Delivery(webhook.id, event_id, event_type, payload)))
        return len(webhooks)

    def attempt(self, delivery: Delivery) -> Outcome | None:
        now = self._now()
        if delivery.not_before > now:
            wait = min(MAX_SQS_DELAY_SECONDS, max(1, round(delivery.not_before - now)))
            self._queue.send(delivery_body(delivery), wait)
            return None
        webhook = self._table.get(delivery.webhook_id)
        if webhook is None:
            log.info("webhook deleted; event dropped", extra={"webhookId": delivery.webhook_id})
            return None
        if webhook.disabled:
            self._record(delivery, now, Outcome(error="WebhookDisabled"), None)
            self._queue.park(delivery_body(delivery))
            return None
        if self._erased(delivery):
            self._record(delivery, now, Outcome(error="RecipientErased"), None)
            return None
        outcome = self._send(webhook, delivery, now)
        if outcome.delivered:
            self._record(delivery, now, outcome, None)
            if webhook.failing_since:
                self._table.delivered(webhook.id)
            return outcome
        wait = self._schedule[delivery.attempt - 1] if outcome.retryable and delivery.attempt <= len(self._schedule) else None
        self._record(delivery, now, outcome, iso(now + wait) if wait is not None else None)
        after = self._table.failed(webhook.id, iso(now), iso(now - self._disable_after))
        if after is not None and after.disabled and not webhook.disabled:
            log.warning("webhook disabled after failing too long", extra={"webhookId": webhook.id})
        if wait is not None:
            later = Delivery(**{**asdict(delivery), "attempt": delivery.attempt + 1, "not_before": now + wait})
            self._queue.send(delivery_body(later), min(MAX_SQS_DELAY_SECONDS, wait))
        elif outcome.retryable:
            self._queue.park(delivery_body(delivery))
        log.info(
            "webhook attempt failed",
            extra={"webhookId": webhook.id, "eventId": delivery.event_id, "attempt": delivery.attempt,
                   "httpStatus": outcome.http_status, "error": outcome.error, "retryIn": wait},
        )
        return outcome

    def _erased(self, delivery: Delivery) -> bool:
        subject = message_of(delivery.event_type, delivery.payload)
        return subject is not None and self._still_recorded is not None and not self._still_recorded(*subject)

    def _send(self, webhook: Webhook, delivery: Delivery, now: float) -> Outcome:
        try:
            host, port, addresses = safety.check(webhook.url, allow_loopback=self._loopback, resolve=self._resolve)
        except safety.UnsafeUrl as refused:
            return Outcome(error=f"Refused: {refused}")
        body = json.dumps(delivery.payload, separators=(",", ":"))
        headers = signing.headers(webhook.signing_secrets(iso(now)), delivery.event_id, int(now), body)
        return self._post(webhook.url, host, addresses[0], port, body.encode(), headers, self._timeout)

    def _record(self, delivery: Delivery, now: float, outcome: Outcome, next_retry_at: str | None) -> None:
        attempt = Attempt(
            webhook_id=delivery.webhook_id, event_id=delivery.event_id, event_type=delivery.event_type,
            attempt=delivery.attempt, at=iso(now), http_status=outcome.http_status, error=outcome.error,
            delivered=outcome.delivered, next_retry_at=next_retry_at,
        )
        self._table.record(attempt, attempt_id(now))

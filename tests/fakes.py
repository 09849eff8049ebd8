"""In-memory stand-ins for the provider ports: they record what they were asked to send."""

from __future__ import annotations

import itertools

from messenger.core.errors import ProviderError
from messenger.messages.models import Message
from messenger.sending.models import (
    AtRequestError,
    Credentials,
    Receipt,
    RecipientResult,
)


class FakeChannel:
    """A direct channel. `failures` is consumed one per send: None sends, an error raises."""

    def __init__(self, name: str, failures=(), on_send=None) -> None:
        self.name = name
        self.sent: list[Message] = []
        self._failures = list(failures)
        self._ids = itertools.count(1)
        self._on_send = on_send

    def send(self, message: Message) -> Receipt:
        if self._on_send:
            self._on_send(message)
        if self._failures:
            failure = self._failures.pop(0)
            if failure is not None:
                raise failure
        self.sent.append(message)
        return Receipt(provider_message_id=f"{self.name}-{next(self._ids)}")


def transient(reason="Throttling"):
    return ProviderError(reason, transient=True)


def permanent(reason="MessageRejected"):
    return ProviderError(reason, transient=False)


class FakeQueue:
    def __init__(self, broken: bool = False) -> None:
        self.jobs: list[Message] = []
        self.job_delays: list[int] = []  # the delay each job in `jobs` was queued with
        self.job_texts: list[str | None] = []  # the real text a job carries for a concealed record
        self.delays: list[tuple[str, int]] = []
        self._broken = broken

    def enqueue(self, message: Message, delay_seconds: int = 0, text: str | None = None) -> None:
        if self._broken:
            raise ConnectionError("queue down")
        self.jobs.append(message)
        self.job_delays.append(delay_seconds)
        self.job_texts.append(text)

    def delay_retry(self, receipt_handle: str, seconds: int) -> None:
        self.delays.append((receipt_handle, seconds))


class FakeAfricasTalking:
    """Answers per number: `codes` maps a number to a statusCode (default 101), or to a list
    consumed one per request. `request_errors` are raised, one per request, before anything."""

    def __init__(self, codes=None, request_errors=()) -> None:
        self.requests: list[dict] = []
        self._codes = dict(codes or {})
        self._request_errors = list(request_errors)
        self._ids = itertools.count(1)

    def _code(self, number: str) -> int:
        code = self._codes.get(number, 101)
        if isinstance(code, list):
            return code.pop(0) if len(code) > 1 else code[0]
        return code

    def send(self, credentials: Credentials, recipients, message, sender_id):
        if self._request_errors:
            error = self._request_errors.pop(0)
            if error is not None:
                raise error
        self.requests.append(
            {"credentials": credentials, "to": list(recipients), "message": message, "from": sender_id}
        )
        results = []
        for number in recipients:
            code = self._code(number)
            accepted = code in (100, 101, 102)
            results.append(
                RecipientResult(
                    number=number,
                    status_code=code,
                    status="Success" if accepted else "Failed",
                    message_id=f"ATXid_{next(self._ids)}" if accepted else None,
                    cost="KES 0.8000" if accepted else "0",
                )
            )
        return results

    @property
    def recipients_sent(self) -> list[tuple[str, str]]:
        return [(n, r["message"]) for r in self.requests for n in r["to"]]


def unauthorised():
    return AtRequestError("AfricasTalking:Unauthorized", transient=True, unauthorised=True)


class FixedCredentials:
    def __init__(self) -> None:
        self.reads: list[bool] = []

    def __call__(self, *, force: bool = False) -> Credentials:
        self.reads.append(force)
        return Credentials("sandbox", "rotated-key" if force else "cached-key")


def senders(channels, at, credentials, *, sender_id, max_recipients) -> dict:
    """The worker's senders over fakes: direct channels one by one, Africa's Talking in groups."""
    from messenger.messages.models import Provider
    from messenger.sending.providers.africastalking import AfricasTalkingSender
    from messenger.sending.providers.base import OneByOne

    table = {provider: OneByOne(channel) for provider, channel in channels.items()}
    table[Provider.AFRICASTALKING] = AfricasTalkingSender(
        at, credentials, sender_id=sender_id, max_recipients=max_recipients
    )
    return table


class MemoryRepository:
    """The message repository in memory, with the table's rules: conditional moves, claims, an index.

    For logic tests that need no DynamoDB. `index_lags` hides records from the provider-id index, as
    the real GSI does for a moment after a write. `conflict_on_transition` makes the next conditional
    write lose a race. `calls` records every method called, in order.
    """

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Message] = {}
        self.claims: dict[tuple[str, str], tuple[str, str]] = {}  # key -> (token, claimed at)
        self.index_lags = False
        self.conflict_on_transition = False
        self.calls: list[str] = []

    def add(self, message: Message) -> Message:
        self.records[(message.to, message.id)] = message
        return message

    def partition_of(self, recipient: str) -> str:
        return "MESSAGE#" + recipient

    def get(self, recipient: str, message_id: str):
        self.calls.append("get")
        return self.records.get((recipient, message_id))

    def get_by_id(self, message_id: str):
        self.calls.append("get_by_id")
        return next((m for (_, id_), m in self.records.items() if id_ == message_id), None)

    def transition(self, message, target, now, *, claim_token=None, unclaimed=False, event=None, **fields):
        from dataclasses import replace

        from messenger.core.errors import StatusConflict
        from messenger.messages.models import can_move

        self.calls.append(f"transition:{target.value}")
        key = (message.to, message.id)
        current = self.records.get(key)
        if self.conflict_on_transition:
            self.conflict_on_transition = False
            raise StatusConflict("lost a race")
        if current is None or not can_move(current.delivery_status, target):
            raise StatusConflict(f"cannot move to {target.value}")
        if claim_token is not None:
            if self.claims.get(key, (None,))[0] != claim_token:
                raise StatusConflict("claim lost")
            del self.claims[key]
        elif unclaimed and key in self.claims:
            raise StatusConflict("a send attempt holds a claim")
        from messenger.messages.models import MessageEvent

        changes = {name: value for name, value in fields.items() if value is not None}
        events = (*current.events, event or MessageEvent(target, now))
        moved = replace(current, delivery_status=target, updated_at=now, events=events, **changes)
        self.records[key] = moved
        return moved

    def note(self, message, event) -> bool:
        from dataclasses import replace

        from messenger.messages.models import MAX_EVENTS

        self.calls.append("note")
        key = (message.to, message.id)
        current = self.records.get(key)
        if current is None or len(current.events) >= MAX_EVENTS:
            return False
        self.records[key] = replace(current, events=(*current.events, event))
        return True

    def claim(self, recipient, message_id, token, now, stale_before):
        from dataclasses import replace

        from messenger.messages.models import DeliveryStatus
        from messenger.sending.models import Claim

        self.calls.append("claim")
        key = (recipient, message_id)
        current = self.records.get(key)
        held = self.claims.get(key)
        if current is None or current.delivery_status is not DeliveryStatus.QUEUED or (
            held is not None and not held[1] < stale_before
        ):
            return Claim(granted=False, message=current)
        self.claims[key] = (token, now)
        claimed = replace(current, updated_at=now)
        self.records[key] = claimed
        return Claim(granted=True, message=claimed, taken_over=held is not None)

    def release(self, message, token, now) -> None:
        self.calls.append("release")
        key = (message.to, message.id)
        if self.claims.get(key, (None,))[0] == token:
            del self.claims[key]

    def find_by_provider_message_id(self, provider_message_id):
        self.calls.append("find_by_provider_message_id")
        if self.index_lags:
            return None
        return next((m for m in self.records.values() if m.provider_message_id == provider_message_id), None)

    def find_recent_by_provider_message_id(self, recipient, provider_message_id):
        self.calls.append(f"find_recent_by_provider_message_id:{recipient}")
        return next((m for (to, _), m in self.records.items()
                     if to == recipient and m.provider_message_id == provider_message_id), None)


class FixedClock:
    """now() is a fixed AWSDateTime; ago(seconds) is the same moment minus that many seconds."""

    def __init__(self, now: str = "2026-11-23T12:00:00.000Z") -> None:
        import datetime as dt

        self.moment = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))

    def now(self) -> str:
        from messenger.core.clock import iso

        return iso(self.moment)

    def epoch(self) -> int:
        return int(self.moment.timestamp())

    def ago(self, seconds: int) -> str:
        import datetime as dt

        from messenger.core.clock import iso

        return iso(self.moment - dt.timedelta(seconds=seconds))

"""Which counters a send consumes, and what a full one means for the client. No boto3 here.

Every counter a send consumes is taken in ONE conditional write (limits/dal.py): either all are
below their limit and all go up by one, or none moves and the first full one is named. A send the
limits refuse therefore consumes nothing, and concurrent sends (any number of Lambda instances)
cannot pass a limit: DynamoDB checks and increments each counter atomically.

Windows are fixed (a calendar minute, hour, day in UTC), not sliding: across a window boundary a
client can send up to twice a limit within one window's length. That is the documented price of
one write per send (docs/limits.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from typing import Protocol

from messenger.limits.models import (
    LIMIT_PREFIX,
    ContendedCounters,
    Counter,
    LimitExceeded,
    SendFacts,
    TooManyRequests,
)

MINUTE, HOUR, DAY = 60, 3600, 86_400
# A request's counter outlives any request (AppSync stops a request after 30 s).
REQUEST_COUNTER_SECONDS = HOUR
# Kept this long past its window's end, so a late read never sees a fresh window's item gone.
EXPIRY_MARGIN_SECONDS = 60


class Clock(Protocol):
    def epoch(self) -> int: ...


class CounterStore(Protocol):
    def consume(self, counters: list[Counter], amount: int = 1) -> int | None:
        """Add `amount` to every counter if all have room for it; else change nothing and return
        the index of a full one."""


def digest(*parts: str) -> str:
    """Counter keys hold no personal data: a recipient (and a text) appear only as a hash."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _window(subject: str, limit: int, length: int, now: int, name: str, *, quota: bool) -> Counter:
    start = now - now % length
    return Counter(
        name=name,
        key=f"{LIMIT_PREFIX}{subject}#{start}",
        limit=limit,
        resets_at=start + length,
        expires_at=start + length + EXPIRY_MARGIN_SECONDS,
        quota=quota,
    )


def counters_for(facts: SendFacts, settings, now: int) -> list[Counter]:
    """The counters one send consumes, the per-request cap first."""
    counters = []
    if facts.request_id:
        counters.append(Counter(
            name=_request_name(settings.messages_per_request),
            key=f"{LIMIT_PREFIX}request#{digest(facts.client_id, facts.request_id)}",
            limit=settings.messages_per_request,
            resets_at=0,
            expires_at=now + REQUEST_COUNTER_SECONDS,
            quota=True,
        ))
    if facts.test:
        return counters  # test sends never count against live limits
    client = digest(facts.client_id)
    counters.append(_window(f"client#{client}#minute", settings.client_messages_per_minute, MINUTE, now,
                            f"at most {settings.client_messages_per_minute} messages per minute for this client",
                            quota=False))
    counters.append(_window(f"client#{client}#day", settings.client_messages_per_day, DAY, now,
                            f"at most {settings.client_messages_per_day} messages per day for this client",
                            quota=True))
    recipient = digest(facts.recipient)
    if facts.sms:
        counters.append(_window(f"to#{recipient}#hour", settings.sms_per_number_per_hour, HOUR, now,
                                f"at most {settings.sms_per_number_per_hour} messages per hour to one number",
                                quota=False))
        counters.append(_window(
            f"text#{digest(facts.recipient, facts.body)}#hour", settings.sms_identical_per_number_per_hour, HOUR, now,
            f"at most {settings.sms_identical_per_number_per_hour} identical messages per hour to one number",
            quota=False))
    else:
        counters.append(_window(f"to#{recipient}#hour", settings.emails_per_address_per_hour, HOUR, now,
                                f"at most {settings.emails_per_address_per_hour} messages per hour to one address",
                                quota=False))
    return counters


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _request_name(limit: int) -> str:
    return f"at most {limit} messages per GraphQL request"


def _request_full(limit: int) -> LimitExceeded:
    return LimitExceeded(f"Limit exceeded: {_request_name(limit)}; send the rest in another request",
                         {"limit": _request_name(limit), "max": limit})


def refusal(counter: Counter, now: int):
    """The error a client sees for a full counter: which limit, and when the same send can succeed."""
    if not counter.resets_at:
        return _request_full(counter.limit)
    info = {"limit": counter.name, "max": counter.limit}
    wait = max(counter.resets_at - now, 1)
    info |= {"retryAfter": _iso(counter.resets_at), "retryAfterSeconds": wait}
    kind = LimitExceeded if counter.quota else TooManyRequests
    label = "Limit exceeded" if counter.quota else "Too many requests"
    return kind(f"{label}: {counter.name}; retry after {_iso(counter.resets_at)} (in {wait} s)", info)


# Requests this instance saw reach their cap: a request's count never goes down, so the rest of
# its fields are refused from memory, with no validation and no DynamoDB call. Only ever refuses.
FULL_REQUESTS_REMEMBERED = 256


# A GraphQL request's batch rows, all its sendBatch fields (aliases) together: the batch's own cap.
BATCH_ROWS_PER_REQUEST = 1000


def batch_counters(client_id: str, request_id: str | None, settings, now: int, *, per_minute: bool) -> list[Counter]:
    """The counters a batch's rows consume together: the request's batch rows (sendBatch), the client's
    minute (sendBatch) and day. Per-recipient hourly counters are not taken (docs/security.md)."""
    counters = []
    if request_id:
        name = f"at most {BATCH_ROWS_PER_REQUEST} batch rows per GraphQL request"
        counters.append(Counter(name=name, key=f"{LIMIT_PREFIX}request-rows#{digest(client_id, request_id)}",
                                limit=BATCH_ROWS_PER_REQUEST, resets_at=0, expires_at=now + REQUEST_COUNTER_SECONDS,
                                quota=True))
    client = digest(client_id)
    if per_minute:
        counters.append(_window(f"client#{client}#minute", settings.client_messages_per_minute, MINUTE, now,
                                f"at most {settings.client_messages_per_minute} messages per minute for this client",
                                quota=False))
    counters.append(_window(f"client#{client}#day", settings.client_messages_per_day, DAY, now,
                            f"at most {settings.client_messages_per_day} messages per day for this client",
                            quota=True))
    return counters


def _batch_refusal(counter: Counter, rows: int, now: int):
    if not counter.resets_at:
        return LimitExceeded(f"Limit exceeded: {counter.name}; these {rows} rows would take this request's batches "
                             "past it: send them in another request", {"limit": counter.name, "max": counter.limit})
    error = refusal(counter, now)
    error.info["rows"] = rows
    return error


def _contended() -> TooManyRequests:
    """Other sends held the counters through every retry: nothing was counted, try again in a second."""
    return TooManyRequests("Too many requests: other sends hold these counters; retry in 1 s",
                           {"limit": "contention", "retryAfterSeconds": 1})


class Limiter:
    def __init__(self, store: CounterStore, settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._full_requests: OrderedDict[tuple[str, str], None] = OrderedDict()

    def refuse_known_full(self, client_id: str, request_id: str | None) -> None:
        """Before any work: refuse a field of a request this instance already saw at its cap."""
        if request_id and (client_id, request_id) in self._full_requests:
            raise _request_full(self._settings.messages_per_request)

    def admit_batch(self, client_id: str, request_id: str | None, rows: int) -> None:
        """sendBatch: its rows taken from the request's batch rows, the client's minute and day, together."""
        self._admit_rows(batch_counters(client_id, request_id, self._settings, self._clock.epoch(), per_minute=True),
                         rows)

    def admit_upload(self, client_id: str, rows: int) -> None:
        """A CSV batch, once its rows are valid: taken from the client's day (its sends are paced by the
        providers' rates, not the per-minute rate a file of 100,000 rows would always exceed)."""
        self._admit_rows(batch_counters(client_id, None, self._settings, self._clock.epoch(), per_minute=False), rows)

    def _admit_rows(self, counters: list[Counter], rows: int) -> None:
        now = self._clock.epoch()
        for counter in counters:
            if rows > counter.limit:  # never fits, whatever was sent before: waiting would not help
                raise LimitExceeded(f"Limit exceeded: {counter.name}; a batch of {rows} rows can never fit in it: "
                                    "send it in smaller batches", {"limit": counter.name, "max": counter.limit,
                                                                   "rows": rows})
        try:
            full = self._store.consume(counters, rows)
        except ContendedCounters:
            raise _contended() from None
        if full is not None:
            raise _batch_refusal(counters[full], rows, now)

    def admit(self, facts: SendFacts) -> None:
        """Consume one of every counter this send counts against, or raise naming the full one."""
        now = self._clock.epoch()
        counters = counters_for(facts, self._settings, now)
        if not counters:
            return
        try:
            full = self._store.consume(counters)
        except ContendedCounters:
            raise _contended() from None
        if full is not None:
            if facts.request_id and full == 0:  # the request's own cap (always the first counter)
                self._full_requests[(facts.client_id, facts.request_id)] = None
                while len(self._full_requests) > FULL_REQUESTS_REMEMBERED:
                    self._full_requests.popitem(last=False)
            raise refusal(counters[full], now)

"""What a provider is to the sending logic: a channel, a grouping rule and a sender.

A provider module (ses.py, sns.py, africastalking.py) exports one `ProviderSpec`; the registry in
`__init__.py` keys them by `Provider`. The API sends through `channel` in the request when the
provider is not `queued`; the worker sends every queued message through `sender`, one group at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from messenger.core.errors import ProviderError
from messenger.messages.models import DeliveryMethod, Message, Provider
from messenger.sending.models import Receipt
from messenger.sending.ports import Channel

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refused:
    """The provider did not take the message; `transient` says whether trying again may help."""

    reason: str
    transient: bool
    suppress: str | None = None  # a permanent refusal that should stop every later send to the recipient
    throttled: bool = False  # the provider said "too fast": not taken, retry later, never a failure


Outcome = Receipt | Refused  # Receipt: the provider took the message


@dataclass
class GroupResult:
    outcomes: dict[str, Outcome]  # by message id; a message left out was not taken (safe to retry)
    requests: int = 1  # provider requests made (metrics, batching benchmarks)


class GroupSender(Protocol):
    def group(self, items: Sequence[T], message_of: Callable[[T], Message]) -> list[list[T]]:
        """The groups one request each sends; `message_of` gives an item's message."""

    def send_group(self, messages: list[Message]) -> GroupResult: ...


class OneByOne:
    """A direct channel (one message per request) seen as a group sender of groups of one."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def group(self, items: Sequence[T], message_of: Callable[[T], Message]) -> list[list[T]]:
        return [[item] for item in items]

    def send_group(self, messages: list[Message]) -> GroupResult:
        [message] = messages
        try:
            receipt = self._channel.send(message)
        except ProviderError as error:
            return GroupResult({message.id: Refused(error.reason, error.transient, throttled=error.throttled)})
        return GroupResult({message.id: receipt})


class Pacer:
    """The pacing hook: spaces one worker's requests to a provider to at most `rate` a second.

    None means unpaced. Across concurrent workers, SharedPacer (below) counts in the table; a provider's
    spec names its rate setting (`rate_setting`) or builds its own pacer (`build_pacer`).
    """

    def __init__(self, rate: float | None, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self._gap = 1 / rate if rate else 0.0
        self._now, self._sleep = now, sleep
        self._next = 0.0

    def wait(self) -> None:
        if not self._gap:
            return
        now = self._now()
        if self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._gap

    def acquire(self, max_wait: float | None = None) -> bool:
        """Wait for the right to make one request; False when it did not come within `max_wait` s."""
        self.wait()
        return True

    def throttled(self) -> None:
        """The provider answered "too fast": slow down."""

    def succeeded(self) -> None:
        """A request went through without throttling."""


class RateCounter(Protocol):
    def take(self, key: str, second: int, limit: int) -> bool:
        """Count one request in that wall-clock second if fewer than `limit` were counted; False if full."""


THROTTLE_PAUSE_SECONDS = 1.0
MAX_THROTTLE_PAUSE_SECONDS = 8.0


class SharedPacer(Pacer):
    """At most `rate` requests a wall-clock second to one provider, across every concurrent worker.

    Each request first takes a slot in a counter shared by all workers (one item per provider and
    second in the table, conditional on being under the rate, expiring by TTL); when the second is
    full it waits for the next one. A throttling answer pauses this worker, 1 s at first and twice as
    long on each throttle in a row (at most 8 s), on top of the counter. Should the counter be
    unreachable, this worker falls back to spacing its own requests 1/rate apart.
    """

    def __init__(self, rate: int, counter: RateCounter, key: str, now: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        super().__init__(rate, now=now, sleep=sleep)
        self._rate, self._counter, self._key = rate, counter, key
        self._pause_until = 0.0
        self._pause = THROTTLE_PAUSE_SECONDS

    def wait(self) -> None:
        self.acquire(None)

    def acquire(self, max_wait: float | None = None) -> bool:
        deadline = None if max_wait is None else self._now() + max_wait
        while True:
            now = self._now()
            if self._pause_until > now:
                if deadline is not None and self._pause_until > deadline:
                    return False
                self._sleep(self._pause_until - now)
                continue
            second = int(now)
            try:
                if self._counter.take(self._key, second, self._rate):
                    if int(self._now()) == second:
                        return True
                    continue  # the slot's second passed while taking it: that slot goes unused
            except Exception:  # noqa: BLE001 - pacing must not stop sending: space this worker's requests
                log.warning("pacing counter unavailable; pacing this worker alone", exc_info=True)
                super().wait()
                return True
            if deadline is not None and second + 1 > deadline:
                return False
            self._sleep(second + 1 - now)

    def throttled(self) -> None:
        self._pause_until = self._now() + self._pause
        self._pause = min(self._pause * 2, MAX_THROTTLE_PAUSE_SECONDS)

    def succeeded(self) -> None:
        self._pause = THROTTLE_PAUSE_SECONDS


@dataclass(frozen=True)
class ProviderSpec:
    provider: Provider
    channel: DeliveryMethod
    # True: always sent by the worker from the queue, never in the API request.
    queued: bool
    # A direct channel (one message per call), built from the function's settings; None if there is none.
    build_channel: Callable[[Any], Channel] | None = None
    # The worker's sender; by default the direct channel, one message per request.
    build_sender: Callable[[Any], GroupSender] | None = None
    # The setting holding this provider's rate across every worker (0: unpaced); see SharedPacer.
    rate_setting: str | None = None
    # The worker's pacing hook, from the settings and the shared counter; by default the rate setting's.
    build_pacer: Callable[[Any, RateCounter], Pacer] | None = None

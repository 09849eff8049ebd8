"""What a provider is to the sending logic: a channel, a grouping rule and a sender.

A provider module (ses.py, sns.py, africastalking.py) exports one `ProviderSpec`; the registry in
`__init__.py` keys them by `Provider`. The API sends through `channel` in the request when the
provider is not `queued`; the worker sends every queued message through `sender`, one group at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from messenger.core.errors import ProviderError
from messenger.messages.models import DeliveryMethod, Message, Provider
from messenger.sending.models import Receipt
from messenger.sending.ports import Channel

T = TypeVar("T")


@dataclass(frozen=True)
class Refused:
    """The provider did not take the message; `transient` says whether trying again may help."""

    reason: str
    transient: bool
    suppress: str | None = None  # a permanent refusal that should stop every later send to the recipient


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
            return GroupResult({message.id: Refused(error.reason, error.transient)})
        return GroupResult({message.id: receipt})


class Pacer:
    """The pacing hook: spaces one worker's requests to a provider to at most `rate` a second.

    None means unpaced (today's default for every provider). Pacing across concurrent workers needs a
    shared counter and arrives with bulk sends; a provider's spec sets its pacer in `build_pacer`.
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
    # The worker's pacing hook for this provider; by default unpaced.
    build_pacer: Callable[[Any], Pacer] = lambda settings: Pacer(None)

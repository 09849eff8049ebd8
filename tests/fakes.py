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
        self.delays: list[tuple[str, int]] = []
        self._broken = broken

    def enqueue(self, message: Message, delay_seconds: int = 0) -> None:
        if self._broken:
            raise ConnectionError("queue down")
        self.jobs.append(message)

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

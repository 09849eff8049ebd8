"""Africa's Talking: SMS, always queued, many recipients of one text per request.

Grouping: messages with the same text and sender share a request of at most `max_recipients`
distinct numbers. Answers: statusCode 100-102 accepted; 401-409 permanent refusals; 500-502 transient.
A refused key (401) may be a rotated one: the secret is read again, once, and the request retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from messenger.messages.models import DeliveryMethod, Message, Provider
from messenger.sending.models import (
    AtRequestError,
    Credentials,
    Receipt,
    RecipientResult,
)
from messenger.sending.providers.base import GroupResult, ProviderSpec, Refused
from messenger.suppressions.models import BLACKLISTED

log = logging.getLogger(__name__)
T = TypeVar("T")

ACCEPTED_CODES = frozenset({100, 101, 102})
TRANSIENT_CODES = frozenset({500, 501, 502})
INSUFFICIENT_BALANCE = 405
BLACKLIST = 406  # the recipient opted out of or is barred from this sender
STATUS_NAMES = {
    401: "RiskHold", 402: "InvalidSenderId", 403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType", 405: "InsufficientBalance", 406: "UserInBlacklist",
    407: "CouldNotRoute", 409: "DoNotDisturbRejection", 500: "InternalServerError",
    501: "GatewayError", 502: "RejectedByGateway",
}


class AtClient(Protocol):
    def send(
        self, credentials: Credentials, recipients: list[str], message: str, sender_id: str | None
    ) -> list[RecipientResult]: ...


class CredentialSource(Protocol):
    def __call__(self, *, force: bool = False) -> Credentials: ...


def outcome_of(result: RecipientResult):
    if result.status_code in ACCEPTED_CODES:
        # Taken. Without a messageId no report can find it: it stays ACCEPTED until the sweeper calls it
        # UNCONFIRMED (it may have arrived); FAILED would tell the client to send it again.
        return Receipt(result.message_id, result.cost)
    if result.status_code in TRANSIENT_CODES:
        return Refused(STATUS_NAMES[result.status_code], transient=True)
    if result.status_code == INSUFFICIENT_BALANCE:
        log.error("Africa's Talking account has insufficient balance")
    suppress = BLACKLISTED if result.status_code == BLACKLIST else None
    reason = STATUS_NAMES.get(result.status_code, f"AfricasTalking:{result.status_code}")
    return Refused(reason, transient=False, suppress=suppress)


class AfricasTalkingSender:
    def __init__(
        self, client: AtClient | None, credentials: CredentialSource | None, *,
        sender_id: str | None, max_recipients: int,
    ) -> None:  # fmt: skip
        self._client = client
        self._credentials = credentials
        self._sender_id = sender_id
        self._max_recipients = max_recipients

    def group(self, items: Sequence[T], message_of: Callable[[T], Message]) -> list[list[T]]:
        """Same text and sender share a request; a number appears at most once per request."""
        by_content: dict[tuple[str, str | None], list[list[T]]] = {}
        for item in items:
            message = message_of(item)
            chunks = by_content.setdefault((message.body, message.sender), [])
            for chunk in chunks:
                if len(chunk) < self._max_recipients and all(message_of(c).to != message.to for c in chunk):
                    chunk.append(item)
                    break
            else:
                chunks.append([item])
        return [chunk for chunks in by_content.values() for chunk in chunks]

    def send_group(self, messages: list[Message]) -> GroupResult:
        first = messages[0]
        result = GroupResult({}, requests=0)
        try:
            answers = self._request([m.to for m in messages], first.body, first.sender or self._sender_id, result)
        except AtRequestError as error:
            result.outcomes = {m.id: Refused(error.reason, error.transient, throttled=error.throttled) for m in messages}
            return result
        by_number = {answer.number: answer for answer in answers}
        # A number missing from the answer was not taken by AT, so a retry cannot duplicate it.
        missing = Refused("AfricasTalking:NoResultForRecipient", transient=True)
        result.outcomes = {m.id: outcome_of(by_number[m.to]) if m.to in by_number else missing for m in messages}
        return result

    def _request(self, numbers, text, sender, result: GroupResult) -> list[RecipientResult]:
        if self._client is None or self._credentials is None:
            raise AtRequestError("AfricasTalking:NotConfigured", transient=False)
        try:
            return self._send_once(numbers, text, sender, result, force=False)
        except AtRequestError as error:
            if not error.unauthorised:
                raise
        log.warning("Africa's Talking refused the credentials; re-reading the secret")
        return self._send_once(numbers, text, sender, result, force=True)

    def _send_once(self, numbers, text, sender, result: GroupResult, *, force: bool) -> list[RecipientResult]:
        try:
            credentials = self._credentials(force=force)
        except Exception:  # noqa: BLE001 - before any request: safe to retry
            log.exception("could not read the Africa's Talking credentials")
            raise AtRequestError("AfricasTalking:CredentialsUnavailable", transient=True) from None
        result.requests += 1
        return self._client.send(credentials, numbers, text, sender)


def _sender(settings) -> AfricasTalkingSender:
    from messenger.adapters.africastalking import AfricasTalkingClient
    from messenger.adapters.secrets import CachedSecrets

    secrets = CachedSecrets(settings.at_secret_max_age_seconds)
    name = settings.get("at_secret_name")
    credentials = None
    if name:
        def credentials(*, force: bool = False) -> Credentials:
            return secrets.africastalking(name, force=force)

    return AfricasTalkingSender(
        AfricasTalkingClient(settings.at_base_url), credentials,
        sender_id=settings.at_sender_id, max_recipients=settings.at_max_recipients_per_request,
    )


PROVIDER = ProviderSpec(Provider.AFRICASTALKING, DeliveryMethod.SMS, queued=True, build_sender=_sender,
                        rate_setting="at_max_requests_per_second")  # fmt: skip

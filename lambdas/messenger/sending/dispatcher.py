"""The dispatch worker's decisions: claim, batch, send once, settle every job.

Jobs come from the outbound queue. Each names a message record, which stays the source of truth.
For every job of a batch the worker:
1. claims the record with a conditional write (QUEUED and unclaimed, or claimed by an attempt that
   can no longer be running) before any provider is called: a redelivered job whose message was
   already sent finds it ACCEPTED and is acknowledged without a send; two copies of one job in
   flight at once cannot both claim it;
2. sends: Africa's Talking messages grouped by (text, sender) into requests of at most
   `at_max_recipients` distinct numbers; SES/SNS retries one by one;
3. settles: ACCEPTED with the provider's id, FAILED with a reason for permanent refusals, and for
   transient ones the claim is released and the job retried by SQS after a back-off; on its last
   receive the record is marked FAILED and SQS moves the job to the dead-letter queue.

Crash window: an attempt that dies after the provider took a message but before the ACCEPTED write
leaves a claim behind. Once that claim is older than the function's timeout the next receive takes
it over and sends again (at-least-once); such takeovers are logged and counted.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol

from messenger.core.masking import mask_recipient
from messenger.sending.service import Outcomes
from messenger.messages.ports import Channel, MessageRepository
from messenger.core.errors import ProviderError, StatusConflict
from messenger.messages.models import DeliveryStatus, Message, Provider
from messenger.sending.models import AtRequestError, Credentials, RecipientResult

log = logging.getLogger(__name__)

ACCEPTED_CODES = frozenset({100, 101, 102})
PERMANENT_CODES = frozenset(range(401, 410))
TRANSIENT_CODES = frozenset({500, 501, 502})
STATUS_NAMES = {
    401: "RiskHold", 402: "InvalidSenderId", 403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType", 405: "InsufficientBalance", 406: "UserInBlacklist",
    407: "CouldNotRoute", 409: "DoNotDisturbRejection", 500: "InternalServerError",
    501: "GatewayError", 502: "RejectedByGateway",
}
MAX_VISIBILITY_SECONDS = 900
# Do not start a provider request with less time left than its connect and read timeouts need.
REQUEST_BUDGET_MS = 15_000


@dataclass(frozen=True)
class Job:
    item_id: str
    receipt_handle: str
    to: str
    message_id: str
    receive_count: int


class AtSender(Protocol):
    def send(
        self, credentials: Credentials, recipients: list[str], message: str, sender_id: str | None
    ) -> list[RecipientResult]: ...


class CredentialSource(Protocol):
    def __call__(self, *, force: bool = False) -> Credentials: ...


class RetryScheduler(Protocol):
    def delay_retry(self, receipt_handle: str, seconds: int) -> None: ...


@dataclass
class BatchReport:
    """What one batch did; the handler reports `retry` to SQS as partial batch failures."""

    retry: set[str] = field(default_factory=set)
    accepted: int = 0
    failed: int = 0
    skipped: int = 0
    takeovers: int = 0
    at_requests: int = 0


@dataclass
class _Claimed:
    job: Job
    message: Message
    token: str


class Dispatcher:
    def __init__(
        self,
        repository: MessageRepository,
        channels: Mapping[Provider, Channel],
        at_client: AtSender | None,
        at_credentials: CredentialSource | None,
        retries: RetryScheduler | None,
        clock,
        *,
        at_sender_id: str | None,
        at_max_recipients: int,
        max_receive_count: int,
        retry_base_seconds: int,
        claim_lease_seconds: int,
        outcomes: Outcomes | None = None,
        new_token: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._repo = repository
        self._channels = channels
        self._at = at_client
        self._credentials = at_credentials
        self._retries = retries
        self._clock = clock
        self._sender_id = at_sender_id
        self._max_recipients = at_max_recipients
        self._max_receives = max_receive_count
        self._retry_base = retry_base_seconds
        self._lease = claim_lease_seconds
        self._outcomes = outcomes or Outcomes()
        self._new_token = new_token

    # -- the batch ---------------------------------------------------------------------------
    def process(self, jobs: list[Job], time_left_ms: Callable[[], int] | None = None) -> BatchReport:
        """`time_left_ms`: the invocation's remaining time; no request starts that could outlive it."""
        report = BatchReport()
        claimed = [c for c in (self._claim(job, report) for job in jobs) if c is not None]
        at_bound = [c for c in claimed if c.message.provider is Provider.AFRICASTALKING]
        units = [[c] for c in claimed if c.message.provider is not Provider.AFRICASTALKING]
        units += self.group(at_bound, self._max_recipients)
        for unit in units:
            if time_left_ms is not None and time_left_ms() < REQUEST_BUDGET_MS:
                self._give_back(unit, report)
                continue
            try:
                if unit[0].message.provider is Provider.AFRICASTALKING:
                    self._send_at_group(unit, report)
                else:
                    self._send_direct(unit[0], report)
            except Exception:  # noqa: BLE001 - one unit's failure must not sink the others
                # Where it failed is unknown (perhaps after the provider took it): keep the claims,
                # so only a receive after the lease can send again (the documented crash window).
                log.exception("unexpected error; the jobs will be retried")
                report.retry.update(item.job.item_id for item in unit)
        return report

    def _give_back(self, unit: list[_Claimed], report: BatchReport) -> None:
        """Not attempted for lack of time: release the claims, let SQS hand the jobs out again now."""
        for item in unit:
            report.retry.add(item.job.item_id)
            self._repo.release(item.message, item.token, self._clock.now())
            self._delay(item, 0)
        log.warning("out of time; jobs given back unsent", extra={"jobs": len(unit)})

    def _claim(self, job: Job, report: BatchReport) -> _Claimed | None:
        token = self._new_token()
        try:
            claim = self._repo.claim(
                job.to, job.message_id, token, self._clock.now(), self._clock.ago(self._lease)
            )
        except Exception:  # noqa: BLE001 - nothing was claimed, so nothing was sent: retry later
            log.exception("could not claim", extra={"messageId": job.message_id})
            report.retry.add(job.item_id)
            return None
        if claim.granted:
            if claim.taken_over:
                report.takeovers += 1
                log.warning(
                    "took over a stale claim: an earlier attempt died mid-send and the provider "
                    "may already have this message",
                    extra={"messageId": job.message_id},
                )
            return _Claimed(job, claim.message, token)
        current = claim.message
        if current is None:
            log.error("job names no message record; dropped", extra={"messageId": job.message_id})
            report.skipped += 1
        elif current.delivery_status is DeliveryStatus.QUEUED:
            # Another attempt holds a fresh claim: let SQS bring this copy back later.
            report.retry.add(job.item_id)
        else:
            log.info(
                "already settled; acknowledged without sending",
                extra={"messageId": job.message_id, "status": current.delivery_status.value},
            )
            report.skipped += 1
        return None

    # -- Africa's Talking --------------------------------------------------------------------
    def sender_of(self, message: Message) -> str | None:
        return message.sender or self._sender_id

    @staticmethod
    def group(items: list[_Claimed], max_recipients: int) -> list[list[_Claimed]]:
        """Same text and sender share a request; a number appears at most once per request."""
        by_content: dict[tuple[str, str | None], list[list[_Claimed]]] = {}
        for item in items:
            chunks = by_content.setdefault((item.message.body, item.message.sender), [])
            for chunk in chunks:
                if len(chunk) < max_recipients and all(c.message.to != item.message.to for c in chunk):
                    chunk.append(item)
                    break
            else:
                chunks.append([item])
        return [chunk for chunks in by_content.values() for chunk in chunks]

    def _send_at_group(self, group: list[_Claimed], report: BatchReport) -> None:
        first = group[0].message
        numbers = [item.message.to for item in group]
        try:
            results = self._at_request(numbers, first.body, self.sender_of(first), report)
        except AtRequestError as error:
            for item in group:
                if error.transient:
                    self._retry_or_fail(item, error.reason, report)
                else:
                    self._settle_failed(item, error.reason, report)
            return
        by_number = {result.number: result for result in results}
        for item in group:
            result = by_number.get(item.message.to)
            if result is None:
                # Not in AT's answer: AT did not take it, so a retry cannot duplicate it.
                self._retry_or_fail(item, "AfricasTalking:NoResultForRecipient", report)
            elif result.status_code in ACCEPTED_CODES and result.message_id:
                self._settle_accepted(item, result.message_id, result.cost, report)
            elif result.status_code in TRANSIENT_CODES:
                self._retry_or_fail(item, STATUS_NAMES[result.status_code], report)
            else:
                reason = STATUS_NAMES.get(result.status_code, f"AfricasTalking:{result.status_code}")
                if result.status_code == 405:
                    log.error("Africa's Talking account has insufficient balance")
                self._settle_failed(item, reason, report)

    def _at_request(self, numbers, text, sender, report) -> list[RecipientResult]:
        if self._at is None or self._credentials is None:
            raise AtRequestError("AfricasTalking:NotConfigured", transient=False)
        try:
            return self._send_once(numbers, text, sender, report, force=False)
        except AtRequestError as error:
            if not error.unauthorised:
                raise
        # The key may have been rotated since it was cached: read it again, try once more.
        log.warning("Africa's Talking refused the credentials; re-reading the secret")
        return self._send_once(numbers, text, sender, report, force=True)

    def _send_once(self, numbers, text, sender, report, *, force: bool) -> list[RecipientResult]:
        try:
            credentials = self._credentials(force=force)
        except Exception:  # noqa: BLE001 - before any request: safe to retry
            log.exception("could not read the Africa's Talking credentials")
            raise AtRequestError("AfricasTalking:CredentialsUnavailable", transient=True) from None
        report.at_requests += 1
        return self._at.send(credentials, numbers, text, sender)

    # -- SES / SNS retries -------------------------------------------------------------------
    def _send_direct(self, item: _Claimed, report: BatchReport) -> None:
        try:
            receipt = self._channels[item.message.provider].send(item.message)
        except ProviderError as error:
            if error.transient:
                self._retry_or_fail(item, error.reason, report)
            else:
                self._settle_failed(item, error.reason, report)
            return
        self._settle_accepted(item, receipt.provider_message_id, receipt.cost, report)

    # -- settling ----------------------------------------------------------------------------
    def _settle_accepted(self, item: _Claimed, provider_id: str, cost, report: BatchReport) -> None:
        try:
            accepted = self._repo.transition(
                item.message, DeliveryStatus.ACCEPTED, self._clock.now(),
                claim_token=item.token, provider_message_id=provider_id, cost=cost,
            )
        except StatusConflict:
            log.warning("claim lost before ACCEPTED could be written", extra={"messageId": item.message.id})
            return
        report.accepted += 1
        self._outcomes.sent(accepted)

    def _settle_failed(self, item: _Claimed, reason: str, report: BatchReport) -> None:
        try:
            failed = self._repo.transition(
                item.message, DeliveryStatus.FAILED, self._clock.now(),
                claim_token=item.token, failure_reason=reason,
            )
        except StatusConflict:
            return
        log.warning(
            "message failed",
            extra={"messageId": item.message.id, "reason": reason, "to": mask_recipient(item.message.to)},
        )
        report.failed += 1
        self._outcomes.failed(failed)

    def _retry_or_fail(self, item: _Claimed, reason: str, report: BatchReport) -> None:
        report.retry.add(item.job.item_id)
        if item.job.receive_count >= self._max_receives:
            # The last receive: the record says why, and SQS moves the job to the DLQ on its next
            # receive, which a zero visibility timeout makes immediate (the DLQ alarm fires at once).
            self._settle_failed(item, reason, report)
            self._delay(item, 0)
            return
        self._repo.release(item.message, item.token, self._clock.now())
        self._delay(item, min(self._retry_base * 2 ** (item.job.receive_count - 1), MAX_VISIBILITY_SECONDS))
        log.info("transient failure; will retry", extra={"messageId": item.message.id, "reason": reason})

    def _delay(self, item: _Claimed, seconds: int) -> None:
        if self._retries is None:
            return
        try:
            self._retries.delay_retry(item.job.receipt_handle, seconds)
        except Exception:  # noqa: BLE001 - without it SQS simply waits for the queue's own timeout
            log.warning("could not change the job's visibility", exc_info=True)

"""The dispatch worker's decisions: claim, batch, send once, settle every job.

Jobs come from the outbound queue. Each names a message record, which stays the source of truth.
For every job of a batch the worker:
1. claims the record with a conditional write (QUEUED and unclaimed, or claimed by an attempt that
   can no longer be running) before any provider is called: a redelivered job whose message was
   already sent finds it ACCEPTED and is acknowledged without a send; two copies of one job in
   flight at once cannot both claim it;
2. sends each provider's messages in the groups its sender forms (sending/providers/): Africa's
   Talking many recipients of one text per request, SES/SNS one by one;
3. settles: ACCEPTED with the provider's id, FAILED with a reason for permanent refusals, and for
   transient ones the claim is released and the job retried by SQS after a back-off; on its last
   receive the record is marked FAILED and SQS moves the job to the dead-letter queue.

Pacing: before each request the provider's pacer grants a slot of its rate, shared by every worker
(providers/base.py SharedPacer). A throttling answer ("too fast": nothing was taken) pauses the
worker and requeues the message as a fresh job after a back-off, however many times it happens: a
message is never FAILED for throttling, and the claim still allows one send only. A slot that does not
come within the invocation's time left requeues the jobs the same way.

Crash window: an attempt that dies after the provider took a message but before the ACCEPTED write
leaves a claim behind. Once that claim is older than the function's timeout the next receive takes
it over and sends again (at-least-once); such takeovers are logged and counted.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Mapping, Protocol

from messenger.core.errors import StatusConflict
from messenger.core.masking import mask_recipient
from messenger.messages.models import DeliveryStatus, Message, Provider
from messenger.messages.status import StatusListener, StatusWriter
from messenger.sending.models import Receipt
from messenger.sending.ports import SendingRepository
from messenger.sending.providers.base import GroupSender, Pacer, Refused

UNPACED = Pacer(None)

log = logging.getLogger(__name__)

MAX_VISIBILITY_SECONDS = 900
PACED_REQUEUE_SECONDS = 1
# Do not start a provider request with less time left than its connect and read timeouts need.
REQUEST_BUDGET_MS = 15_000


@dataclass(frozen=True)
class Job:
    item_id: str
    receipt_handle: str
    to: str
    message_id: str
    receive_count: int
    text: str | None = None  # the text to send when the record keeps it masked (a verification code)


class Suppressor(Protocol):
    def suppress(self, message: Message, reason: str) -> None: ...


class RetryScheduler(Protocol):
    def delay_retry(self, receipt_handle: str, seconds: int) -> None: ...

    def enqueue(self, message: Message, delay_seconds: int = 0) -> None:
        """A fresh job for the message (its receive count starts again)."""


@dataclass
class BatchReport:
    """What one batch did; the handler reports `retry` to SQS as partial batch failures."""

    retry: set[str] = field(default_factory=set)
    accepted: int = 0
    failed: int = 0
    skipped: int = 0
    takeovers: int = 0
    throttled: int = 0  # refused by a provider as too fast: requeued, not failed
    paced: int = 0  # not attempted: the provider's rate was taken for longer than the time left
    requests: dict[Provider, int] = field(default_factory=dict)  # provider requests made

    @property
    def at_requests(self) -> int:
        return self.requests.get(Provider.AFRICASTALKING, 0)


@dataclass
class _Claimed:
    job: Job
    message: Message
    token: str


class Dispatcher:
    def __init__(
        self,
        repository: SendingRepository,
        senders: Mapping[Provider, GroupSender],
        retries: RetryScheduler | None,
        clock,
        *,
        max_receive_count: int,
        retry_base_seconds: int,
        claim_lease_seconds: int,
        listeners: Iterable[StatusListener] = (),
        suppressions: Suppressor | None = None,
        pacers: Mapping[Provider, Pacer] | None = None,
        new_token: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._repo = repository
        self._senders = senders
        self._retries = retries
        self._clock = clock
        self._max_receives = max_receive_count
        self._retry_base = retry_base_seconds
        self._lease = claim_lease_seconds
        self._statuses = StatusWriter(repository, clock, listeners)
        self._suppressions = suppressions
        self._pacers = pacers if pacers is not None else {}  # a lazy mapping starts empty (falsy)
        self._new_token = new_token

    # -- the batch ---------------------------------------------------------------------------
    def process(self, jobs: list[Job], time_left_ms: Callable[[], int] | None = None) -> BatchReport:
        """`time_left_ms`: the invocation's remaining time; no request starts that could outlive it."""
        report = BatchReport()
        claimed = [c for c in (self._claim(job, report) for job in jobs) if c is not None]
        by_provider: dict[Provider, list[_Claimed]] = {}
        for item in claimed:
            by_provider.setdefault(item.message.provider, []).append(item)
        units = [
            unit
            for provider, items in by_provider.items()
            for unit in self._senders[provider].group(items, lambda item: item.message)
        ]
        for unit in units:
            left_ms = time_left_ms() if time_left_ms is not None else None
            if left_ms is not None and left_ms < REQUEST_BUDGET_MS:
                self._give_back(unit, report)
                continue
            try:
                self._send_unit(unit, report, left_ms)
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
            if not claim.granted and claim.message is not None and self._release_scheduled(claim.message):
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
            message = claim.message if job.text is None else replace(claim.message, body=job.text)
            return _Claimed(job, message, token)
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

    def _release_scheduled(self, message: Message) -> bool:
        """A scheduled message's schedule fired: SCHEDULED → QUEUED, a conditional move that a cancel
        (SCHEDULED → CANCELLED) cannot both lose and win. False when there was nothing to release."""
        if message.delivery_status is not DeliveryStatus.SCHEDULED:
            return False
        try:
            self._statuses.move(message, DeliveryStatus.QUEUED, detail="sendAt reached")
        except StatusConflict:
            return True  # moved meanwhile (cancelled, or released by a copy of this job): claim says which
        return True

    # -- sending -----------------------------------------------------------------------------
    def _send_unit(self, unit: list[_Claimed], report: BatchReport, left_ms: int | None = None) -> None:
        provider = unit[0].message.provider
        pacer = self._pacers.get(provider, UNPACED)
        max_wait = None if left_ms is None else max(0.0, (left_ms - REQUEST_BUDGET_MS) / 1000)
        if not pacer.acquire(max_wait):
            # The provider's rate is taken for longer than this invocation has left: hand the jobs
            # back as fresh ones, so waiting for the rate never uses up their receives.
            for item in unit:
                self._requeue(item, PACED_REQUEUE_SECONDS, report)
            report.paced += len(unit)
            return
        result = self._senders[provider].send_group([item.message for item in unit])
        report.requests[provider] = report.requests.get(provider, 0) + result.requests
        outcomes = [result.outcomes.get(item.message.id) for item in unit]
        if any(isinstance(o, Refused) and o.throttled for o in outcomes):
            pacer.throttled()
        else:
            pacer.succeeded()
        for item, outcome in zip(unit, outcomes):
            if outcome is None:
                # A sender answers for every message it was given; one that did not is a bug.
                raise RuntimeError(f"{provider.value} sender gave no outcome for a message")
            elif isinstance(outcome, Receipt):
                self._settle_accepted(item, outcome.provider_message_id, outcome.cost, report)
            elif outcome.throttled:
                # Not taken: it stays QUEUED and goes again later, however often; never FAILED for this.
                report.throttled += 1
                self._requeue(item, max(self._retry_base, 1), report)
                log.info("provider throttled; requeued", extra={"messageId": item.message.id, "reason": outcome.reason})
            elif outcome.transient:
                self._retry_or_fail(item, outcome.reason, report)
            else:
                self._settle_failed(item, outcome.reason, report)
                if outcome.suppress and self._suppressions is not None:
                    self._suppressions.suppress(item.message, outcome.suppress)

    # -- settling ----------------------------------------------------------------------------
    def _settle_accepted(self, item: _Claimed, provider_id: str, cost, report: BatchReport) -> None:
        try:
            self._statuses.move(
                item.message, DeliveryStatus.ACCEPTED, claim_token=item.token,
                provider_message_id=provider_id, cost=cost,
            )
        except StatusConflict:
            log.warning("claim lost before ACCEPTED could be written", extra={"messageId": item.message.id})
            return
        report.accepted += 1

    def _settle_failed(self, item: _Claimed, reason: str, report: BatchReport) -> None:
        try:
            self._statuses.move(
                item.message, DeliveryStatus.FAILED, detail=reason, claim_token=item.token, failure_reason=reason
            )
        except StatusConflict:
            return
        log.warning(
            "message failed",
            extra={"messageId": item.message.id, "reason": reason, "to": mask_recipient(item.message.to)},
        )
        report.failed += 1

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

    def _requeue(self, item: _Claimed, seconds: int, report: BatchReport) -> None:
        """Release the claim and queue a fresh job for the message; the current one is acknowledged.
        Should the new job not be queued, the current one is retried by SQS instead."""
        self._repo.release(item.message, item.token, self._clock.now())
        try:
            if self._retries is None:
                raise RuntimeError("no queue to requeue on")
            self._retries.enqueue(item.message, seconds)
        except Exception:  # noqa: BLE001 - SQS brings the current job back instead
            log.warning("could not requeue; the job will be retried", extra={"messageId": item.message.id})
            report.retry.add(item.job.item_id)
            self._delay(item, seconds)

    def _delay(self, item: _Claimed, seconds: int) -> None:
        if self._retries is None:
            return
        try:
            self._retries.delay_retry(item.job.receipt_handle, seconds)
        except Exception:  # noqa: BLE001 - without it SQS simply waits for the queue's own timeout
            log.warning("could not change the job's visibility", exc_info=True)

"""sendMessage: what is recorded, when a provider is called, what a client sees.

Every accepted message is written before any provider is called. Direct channels (SES, SNS) are
called in the request; Africa's Talking messages, and direct sends a provider throttled, are
queued for the dispatch worker. A status only moves forward (see messages/models.py).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable, Iterable, Mapping, Protocol

from messenger.core.errors import (
    BadRequest,
    Conflict,
    MessagingError,
    ProviderError,
    StatusConflict,
)
from messenger.core.caller import Caller
from messenger.core.clock import iso
from messenger.core.masking import mask_recipient
from messenger.core.settings import Settings
from messenger.limits.models import DEFAULT_CLIENT, SendFacts
from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Message,
    MessageEvent,
    Provider,
)
from messenger.messages.ports import Clock
from messenger.messages.status import StatusListener, StatusWriter
from messenger.sending.models import SendRequest
from messenger.sending.ports import Channel, JobQueue, SendingRepository
from messenger.sending.providers import PROVIDERS
from messenger.scheduling.validation import parse_send_at, read_send_at
from messenger.sending.simulator import outcome as simulated_outcome
from messenger.sending.validation import parse_send_input

log = logging.getLogger(__name__)


class SuppressionList(Protocol):
    def get(self, recipient: str): ...


class Limits(Protocol):
    def refuse_known_full(self, client_id: str, request_id: str | None) -> None: ...

    def admit(self, facts: SendFacts) -> None: ...


class TemplateRenderer(Protocol):
    def for_send(self, args: dict, method: DeliveryMethod): ...


class SendScheduler(Protocol):
    def schedule(self, message: Message) -> None:
        """Hand the (recorded, SCHEDULED) message to the dispatch queue at its sendAt."""

QUEUED_PROVIDERS = frozenset(provider for provider, spec in PROVIDERS.items() if spec.queued)
STUCK_PENDING_SECONDS = 120  # well past the api function's 15 s timeout


class MessageService:
    def __init__(
        self,
        repository: SendingRepository,
        channels: Mapping[Provider, Channel],
        queue: JobQueue | None,
        settings: Settings,
        clock: Clock,
        new_id: Callable[[], str],
        listeners: Iterable[StatusListener] = (),
        suppressions: SuppressionList | None = None,
        templates: Callable[[], TemplateRenderer] | None = None,
        scheduler: Callable[[], SendScheduler] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self._repo = repository
        self._channels = channels
        self._queue = queue
        self._settings = settings
        self._clock = clock
        self._new_id = new_id
        self._statuses = StatusWriter(repository, clock, listeners)
        self._suppressions = suppressions
        self._templates = templates
        self._scheduler = scheduler
        self._limits = limits

    # -- sendMessage -------------------------------------------------------------------------
    def send(self, args: dict, caller: Caller | None = None, request_id: str | None = None, *,
             record_body: str | None = None, origination: str | None = None) -> Message:
        """`caller`: the API client sending (recorded as `clientId`); a TEST client's message goes to
        the simulated providers (sending/simulator.py), in the request, whatever its provider.
        The limits (limits/logic.py) count per client and per `request_id`: checked after the input is
        valid (a templated send has read its template) and before anything is written.
        With `record_body`, the record (and so the API, history and subscriptions) keeps that text while
        the provider gets the real one (a verification code masked in the record; the queued job carries
        the real text to the worker). `origination`: an SMS sent from one of our own numbers (a proxy
        pool number), which callers cannot ask for through `from`."""
        client_id = caller.client_id if caller is not None else DEFAULT_CLIENT
        test = caller is not None and caller.test
        if self._limits is not None:
            self._limits.refuse_known_full(client_id, request_id)
        request = parse_send_input(args, self._settings, self._render if self._templates else None)
        if origination is not None:
            request = replace(request, sender=origination)
        concealed = request.body if record_body is not None else None
        now = self._clock.now()
        try:
            send_at = parse_send_at(args.get("sendAt"), now)
        except BadRequest:
            replayed = self._late_replay(request, args["sendAt"], caller) if request.idempotency_key else None
            if replayed is None:
                raise
            return replayed
        if send_at is not None:
            if self._scheduler is None:
                raise BadRequest("sendAt", "scheduled sends are not available here")
            if test:  # the simulated providers answer in the request; a schedule would fire a real send
                raise BadRequest("sendAt", "scheduled sends are not available with a TEST key")
            request = replace(request, send_at=send_at)
        if self._limits is not None:
            self._limits.admit(SendFacts(
                client_id=client_id, request_id=request_id, recipient=request.to,
                sms=request.delivery_method is DeliveryMethod.SMS, body=request.body, test=test,
            ))
        queued = request.provider in QUEUED_PROVIDERS and not test
        suppressed = self._suppressions.get(request.to) if self._suppressions is not None else None
        status = DeliveryStatus.QUEUED if queued else DeliveryStatus.PENDING
        if send_at is not None:
            status = DeliveryStatus.SCHEDULED
        if suppressed is not None:
            status = DeliveryStatus.FAILED  # recorded, never handed to a provider
        message = Message(
            id=self._new_id(now),
            to=request.to,
            body=request.body if record_body is None else record_body,
            delivery_method=request.delivery_method,
            delivery_status=status,
            provider=request.provider,
            created_at=now,
            updated_at=now,
            sender=request.sender,
            subject=request.subject,
            recipient_id=request.recipient_id,
            sender_id=request.sender_id,
            reference=request.reference,
            segments=request.segments,
            failure_reason=suppressed.failure_reason if suppressed else None,
            completed_at=now if suppressed else None,
            events=(MessageEvent(status, now, suppressed.failure_reason if suppressed else None),),
            template_id=request.template_id,
            template_version=request.template_version,
            html=request.html,
            client_id=caller.client_id if caller is not None else None,
            test=test,
            expires_at=self._clock.epoch() + self._settings.message_retention_days * 86_400,
            idempotency_key=request.idempotency_key,
            send_at=send_at,
        )
        if request.idempotency_key:
            expected = request.fingerprint()
            now_epoch = self._clock.epoch()
            existing = self._repo.create_idempotent(
                message,
                request.idempotency_key,
                expected,
                now_epoch + self._settings.idempotency_ttl_hours * 3600,
                now_epoch,
            )
            if existing is not None:
                return self._replay(existing, expected)
        else:
            self._repo.create(message)
        log.info(
            "message recorded",
            extra={"messageId": message.id, "provider": message.provider.value,
                   "to": mask_recipient(message.to), "status": status.value, "test": test},
        )
        self._statuses.recorded(message)
        if suppressed is not None:
            return message
        if test:
            return self._simulate(message)
        if send_at is not None:
            return self._schedule(message)
        if queued:
            return self._enqueue(message, concealed=concealed)
        return self._send_now(message, concealed)

    def _simulate(self, message: Message) -> Message:
        """A TEST client's message: the simulated provider's answer and receipt, through the StatusWriter
        like any other (subscriptions and metrics see them), nothing handed to a real provider."""
        result = simulated_outcome(message)  # a refusal or a failure names its reason; a delivery none
        if not result.accepted:
            return self._fail(message, result.reason)
        accepted = self._statuses.move(message, DeliveryStatus.ACCEPTED, provider_message_id=f"test-{message.id}")
        if result.final is None:
            return accepted  # no receipt will come: the sweeper settles it, as a real one
        return self._statuses.move(
            accepted, result.final, detail=f"simulated: {result.reason or 'delivered'}", failure_reason=result.reason
        )

    def _render(self, args: dict, method: DeliveryMethod):
        return self._templates().for_send(args, method)

    def _replay(self, existing, expected_fingerprint: str) -> Message:
        if existing.fingerprint != expected_fingerprint:
            raise Conflict(
                "idempotencyKey: this key was used with a different input",
                {"field": "idempotencyKey"},
            )
        original = self._repo.get(existing.recipient, existing.message_id)
        if original is None:
            raise MessagingError("the message this key created is missing")
        log.info("idempotent replay", extra={"messageId": original.id})
        if (
            original.delivery_status is DeliveryStatus.SCHEDULED
            and self._scheduler is not None
            and original.send_at > self._clock.now()
        ):
            # The request that recorded it may have died before making its schedule: make sure it
            # exists (by name, so an existing one is left as it is).
            return self._schedule(original)
        if (
            original.delivery_status is DeliveryStatus.PENDING
            and original.created_at < self._clock.ago(STUCK_PENDING_SECONDS)
        ):
            # The request that created it died between recording and settling (the function's
            # timeout is far shorter): whether the provider got it cannot be known. Say so, once.
            return self._fail(original, "Interrupted (may have been sent)")
        return original

    def _late_replay(self, request: SendRequest, send_at: str, caller: Caller | None) -> Message | None:
        """A keyed retry of a scheduled send that arrives once its sendAt has passed: the message the
        first request made (as any replay), or None when the key made none (then the refusal stands)."""
        late = replace(request, send_at=iso(read_send_at(send_at)))  # an unreadable sendAt is refused here
        found = self._repo.idempotency_record(
            request.idempotency_key, caller.client_id if caller is not None else None, self._clock.epoch())
        return self._replay(found, late.fingerprint()) if found is not None else None

    def _enqueue(self, message: Message, delay_seconds: int = 0, concealed: str | None = None) -> Message:
        if self._queue is None:
            return self._fail(message, "QueueNotConfigured")
        try:
            if concealed is not None:
                self._queue.enqueue(message, delay_seconds, text=concealed)
            else:
                self._queue.enqueue(message, delay_seconds)
        except Exception:
            log.exception("could not queue message", extra={"messageId": message.id})
            return self._fail(message, "QueueUnavailable")
        return message

    def _schedule(self, message: Message) -> Message:
        try:
            self._scheduler().schedule(message)
        except Exception:
            log.exception("could not schedule message", extra={"messageId": message.id})
            return self._fail(message, "ScheduleUnavailable")
        return message

    def _send_now(self, message: Message, concealed: str | None = None) -> Message:
        channel = self._channels[message.provider]
        try:
            receipt = channel.send(message if concealed is None else replace(message, body=concealed))
        except ProviderError as error:
            if error.transient and self._queue is not None:
                log.warning(
                    "provider refused for now; queued for retry",
                    extra={"messageId": message.id, "reason": error.reason},
                )
                queued = self._statuses.move(message, DeliveryStatus.QUEUED, detail=f"retry: {error.reason}")
                return self._enqueue(queued, delay_seconds=self._settings.retry_base_seconds, concealed=concealed)
            return self._fail(message, error.reason)
        return self._statuses.move(
            message, DeliveryStatus.ACCEPTED, provider_message_id=receipt.provider_message_id, cost=receipt.cost
        )

    def _fail(self, message: Message, reason: str) -> Message:
        try:
            failed = self._statuses.move(message, DeliveryStatus.FAILED, detail=reason, failure_reason=reason)
        except StatusConflict:
            return self._repo.get(message.to, message.id) or message
        log.warning("message failed", extra={"messageId": message.id, "reason": reason})
        return failed

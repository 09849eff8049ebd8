"""What an inbound SMS does: it is recorded once, then a keyword acts on the sender's suppression entry
(STOP and its synonyms add "opt-out", START/UNSTOP/YES lift it, HELP is answered), and any other text
goes to the conversations hook (proxy sessions) when there is one. Then one MESSAGE_INBOUND webhook
event is enqueued (webhooks/events.py), before the marker is marked handled: a callback repeated after
that finds it handled and enqueues nothing; a worker that died in between enqueues it again with the
same event id (receivers deduplicate on `webhook-id`), as a MESSAGE_STATUS event can repeat. Enqueueing
never fails or repeats the record or a reply.

Replies go through the sending path (sendMessage's service: record, suppression check, status writer),
with an idempotency key derived from the inbound record, so a callback handled twice answers once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from messenger.core.masking import mask_recipient
from messenger.inbound.models import OPT_OUT_REASON, InboundSms, Keyword, OptOutNotice, Received
from messenger.inbound.validation import keyword_of
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Direction, Message, MessageEvent
from messenger.sending.segments import count_segments
from messenger.suppressions.models import Suppression

log = logging.getLogger(__name__)

MARKER_SECONDS = 7 * 86_400


class InboundRepository(Protocol):
    def record_inbound(self, message: Message, expires_at: int) -> tuple[str, bool, bool]: ...
    def mark_handled(self, provider, provider_message_id: str) -> None: ...


class OptOutList(Protocol):
    def add(self, suppression: Suppression) -> bool: ...
    def remove_if_reason(self, recipient: str, reason: str) -> bool: ...


class Conversations(Protocol):
    """Proxy sessions: relays a text that is no keyword; the session's id when relayed in one."""

    def relay(self, sms: InboundSms, message_id: str) -> str | None: ...


class InboundEvents(Protocol):
    """The webhooks' MESSAGE_INBOUND producer (webhooks/events.Emitter): never raises."""

    def inbound(self, message: Message, **links) -> bool: ...


class InboundService:
    def __init__(
        self,
        repository: InboundRepository,
        opt_outs: OptOutList,
        send: Callable[[dict], Message],
        clock,
        new_id: Callable[[str], str],
        help_text: str,
        reply_senders: Iterable[str] = (),
        conversations: Callable[[], Conversations] | None = None,
        events: Callable[[], InboundEvents] | None = None,
    ) -> None:
        self._repo = repository
        self._opt_outs = opt_outs
        self._send = send
        self._clock = clock
        self._new_id = new_id
        self._help_text = help_text
        self._reply_senders = frozenset(reply_senders)
        self._conversations = conversations
        self._events = events

    def receive(self, sms: InboundSms) -> Received:
        now = self._clock.now()
        message = Message(
            id=self._new_id(sms.received_at),
            to=sms.recipient,
            sender=sms.sender,
            body=sms.text,
            delivery_method=DeliveryMethod.SMS,
            delivery_status=DeliveryStatus.DELIVERED,
            provider=sms.provider,
            created_at=sms.received_at,
            updated_at=now,
            provider_message_id=sms.provider_message_id,
            segments=count_segments(sms.text).segments if sms.text else 0,
            completed_at=sms.received_at,
            events=(MessageEvent(DeliveryStatus.DELIVERED, sms.received_at, "received"),),
            direction=Direction.INBOUND,
        )
        message_id, duplicate, handled = self._repo.record_inbound(message, self._clock.epoch() + MARKER_SECONDS)
        keyword = keyword_of(sms.text)
        log.info(
            "inbound SMS",
            extra={"messageId": message_id, "provider": sms.provider.value, "from": mask_recipient(sms.sender),
                   "duplicate": duplicate, "handled": handled, "keyword": keyword.value if keyword else None},
        )
        if not handled:
            session_id = self._act(sms, message_id, keyword)
            if self._events is not None:
                recorded = replace(message, id=message_id)  # the first record's id when this is a repeat
                self._events().inbound(recorded, keyword=keyword.value if keyword else None,
                                       proxy_session_id=session_id, link_id=sms.link_id)
            self._repo.mark_handled(sms.provider, sms.provider_message_id)
        return Received(message_id, duplicate)

    def opt_out(self, notice: OptOutNotice) -> bool:
        """Africa's Talking's bulk opt-out notification: the phone goes on the list as a STOP would put it."""
        added = self._opt_outs.add(Suppression(notice.phone, OPT_OUT_REASON, self._clock.now()))
        log.info("opt-out notification", extra={"from": mask_recipient(notice.phone), "added": added})
        return added

    def _act(self, sms: InboundSms, message_id: str, keyword: Keyword | None) -> str | None:
        """Acts on the text; the proxy session's id when it was relayed in one."""
        if keyword is Keyword.OPT_OUT:
            self._opt_outs.add(Suppression(sms.sender, OPT_OUT_REASON, self._clock.now(), message_id))
        elif keyword is Keyword.OPT_IN:
            self._opt_outs.remove_if_reason(sms.sender, OPT_OUT_REASON)
        elif keyword is Keyword.HELP:
            self.reply(sms, message_id, self._help_text, "help")
        elif self._conversations is not None:
            return self._conversations().relay(sms, message_id)
        return None

    def reply(self, sms: InboundSms, message_id: str, text: str, purpose: str) -> Message:
        """Answer the sender through the provider that received the text (from our number when it may send)."""
        args = {"to": sms.sender, "body": text, "deliveryMethod": "SMS", "provider": sms.provider.value,
                "idempotencyKey": f"inbound-{message_id}-{purpose}"}
        if sms.recipient in self._reply_senders:
            args["from"] = sms.recipient
        return self._send(args)

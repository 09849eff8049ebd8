"""Proxy sessions over a pool of numbers (seeds/003, to Twilio Proxy's rules).

A session pairs two participants on the first pool number on which neither has an open session (one
conditional transaction per number tried, so concurrent starts are safe). Texts from a participant to
the session's number are relayed to the other participant from that number, through the provider that
owns it; a sender with no open session there gets the no-session text. Expiry is checked when relaying,
not left to the TTL. Start, end, relay and no-session texts go through the sending path.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from messenger.core.clock import iso
from messenger.core.errors import BadRequest
from messenger.messages.filters import id_connection, id_page_arguments
from messenger.messages.recipients import country_calling_code_of, normalise_phone
from messenger.proxy.models import NO_EXPIRY, OPEN, NoProxyNumberFree, ProxyNotFound, ProxyNumber, ProxySession

log = logging.getLogger(__name__)

MAX_EXPIRY_MINUTES = 7 * 24 * 60
PROVIDERS = ("SNS", "AFRICASTALKING")


class ProxyService:
    def __init__(self, table, send: Callable[..., object], clock, new_id: Callable[[], str], *, at_country_codes,
                 organisation: str, start_text: str, end_text: str, no_session_text: str) -> None:
        self._table = table
        self._send = send
        self._clock = clock
        self._new_id = new_id
        self._at_codes = tuple(at_country_codes)
        # Configured texts may name the organisation; a relayed text is sent exactly as it came.
        self._start_text, self._end_text, self._no_session_text = (
            t.format(organisation=organisation) for t in (start_text, end_text, no_session_text))

    # -- the pool --------------------------------------------------------------------------------
    def add_number(self, args: dict) -> dict:
        number = _required_phone(args, "number")
        provider = args.get("provider") or ("AFRICASTALKING" if country_calling_code_of(number, self._at_codes) else "SNS")
        if provider not in PROVIDERS:
            raise BadRequest("provider", "must be SNS or AFRICASTALKING")
        entry = ProxyNumber(number, provider, self._clock.now())
        if not self._table.add_number(entry):
            return (self._table.get_number(number) or entry).to_graphql()
        return entry.to_graphql()

    def remove_number(self, args: dict) -> bool:
        return self._table.remove_number(_required_phone(args, "number"))

    def numbers(self) -> list[dict]:
        return [n.to_graphql() for n in self._table.numbers()]

    # -- sessions --------------------------------------------------------------------------------
    def start(self, args: dict) -> dict:
        if not isinstance(args, dict):
            raise BadRequest("input", "is required")
        a, b = _required_phone(args, "participantA"), _required_phone(args, "participantB")
        if a == b:
            raise BadRequest("participantB", "must differ from participantA")
        minutes = args.get("expiresInMinutes")
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                    or not 1 <= minutes <= MAX_EXPIRY_MINUTES):
            raise BadRequest("expiresInMinutes", f"1 to {MAX_EXPIRY_MINUTES}")
        now = self._clock.now()
        expires_at, expires_epoch = NO_EXPIRY, None
        if minutes:
            moment = dt.datetime.fromisoformat(now) + dt.timedelta(minutes=minutes)
            expires_at, expires_epoch = iso(moment), self._clock.epoch() + minutes * 60 + 86_400
        for number in self._table.numbers():
            session = ProxySession(self._new_id(), a, b, number.number, number.provider, OPEN, now, expires_at)
            if self._table.allocate(session, now, expires_epoch):
                log.info("proxy session started", extra={"sessionId": session.id})
                for participant in (a, b):
                    self._text(session, participant, self._start_text, f"proxy-{session.id}-start-{participant}")
                return session.to_graphql()
        raise NoProxyNumberFree("no pool number is free for both participants")

    def end(self, args: dict) -> dict:
        session = self._table.get_session(str(args.get("id") or ""))
        if session is None:
            raise ProxyNotFound("no such proxy session")
        closed = self._table.close(session, self._clock.now())
        if closed is None:
            return (self._table.get_session(session.id) or session).to_graphql()
        for participant in (session.participant_a, session.participant_b):
            self._text(session, participant, self._end_text, f"proxy-{session.id}-end-{participant}")
        return closed.to_graphql()

    def page(self, args: dict) -> dict:
        first, after = id_page_arguments(args)
        found, cut_short = self._table.page_sessions(first + 1, after)
        return id_connection(found, first, cut_short)

    # -- relaying (the inbound worker's conversations hook) ------------------------------------------
    def relay(self, sms, message_id: str) -> str | None:
        """The id of the open session the text was relayed in; None when there is none (a pool number
        answers the no-session text; any other number is not ours to answer)."""
        number = self._table.get_number(sms.recipient)
        if number is None:
            return None  # not a pool number: not ours to answer
        session = self._table.session_of(number.number, sms.sender)
        other = session.other(sms.sender) if session else None
        if other is None or not session.open_at(self._clock.now()):  # no session, or not one of the sender's
            self._text(number, sms.sender, self._no_session_text, f"inbound-{message_id}-no-session")
            log.info("proxy text without an open session", extra={"messageId": message_id})
            return None
        self._text(session, other, sms.text, f"inbound-{message_id}-relay")
        log.info("proxy text relayed", extra={"messageId": message_id, "sessionId": session.id})
        return session.id

    def _text(self, origin: ProxySession | ProxyNumber, to: str, body: str, key: str):
        """From the pool number (a session's, or the number itself), through the provider that owns it."""
        return self._send({"to": to, "body": body, "deliveryMethod": "SMS", "provider": origin.provider,
                           "idempotencyKey": key}, origination=origin.number)


def _required_phone(args: dict, field: str) -> str:
    value = args.get(field)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(field, "is required")
    return normalise_phone(value, field)

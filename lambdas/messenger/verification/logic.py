"""startVerification and checkVerification.

Start: at most `starts_per_hour` starts per number (or address) per clock hour, counted before anything
is sent. A pending, unexpired verification of the same number gets a new code (at most `max_sends`
sends); otherwise a new verification is made. The code goes out through the sending path with the
record's text masked; neither the answer nor a log holds it.

Check (by id, or the number's latest verification): one check is counted (a conditional update) before
the code is compared in constant time; APPROVED moves PENDING -> APPROVED once, so a second check of an
approved verification finds none pending (NotFound). A wrong code answers PENDING while checks are left,
FAILED with the last; past `validUntil` the answer is EXPIRED.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable

from messenger.core.errors import BadRequest
from messenger.core.input import optional_text
from messenger.core.masking import mask_recipient
from messenger.messages.recipients import normalise_email, normalise_phone
from messenger.verification import codes
from messenger.verification.models import NotFound, TooManyRequests, Verification, VerificationStatus

log = logging.getLogger(__name__)

CHANNELS = ("SMS", "EMAIL")
KEEP_AFTER_EXPIRY_SECONDS = 86_400
RATE_WINDOW_TTL_SECONDS = 7_200
_DIGITS = re.compile(r"^[0-9]{4,10}$")


class VerificationService:
    def __init__(self, table, send: Callable[..., object], clock, new_id: Callable[[], str], key: Callable[[], bytes],
                 *, code_length: int, valid_minutes: int, max_checks: int, max_sends: int, starts_per_hour: int,
                 text: str, subject: str) -> None:
        self._table = table
        self._send = send
        self._clock = clock
        self._new_id = new_id
        self._key = key
        self._length = code_length
        self._valid_minutes = valid_minutes
        self._max_checks = max_checks
        self._max_sends = max_sends
        self._starts_per_hour = starts_per_hour
        self._text = text
        self._subject = subject

    def _answer(self, verification: Verification) -> dict:
        return verification.to_graphql(self._max_checks, self._max_sends)

    # -- start ---------------------------------------------------------------------------------
    def start(self, args: dict) -> dict:
        if not isinstance(args, dict):
            raise BadRequest("input", "is required")
        channel = args.get("channel")
        if channel not in CHANNELS:
            raise BadRequest("channel", "must be SMS or EMAIL")
        to = self._recipient(args.get("to"), channel)
        reference = optional_text(args, "reference", 256)
        now = self._clock.now()
        hour = now[:13]
        if not self._table.take_start(to, hour, self._starts_per_hour, self._clock.epoch() + RATE_WINDOW_TTL_SECONDS):
            raise TooManyRequests(f"to: at most {self._starts_per_hour} verifications per hour for one recipient")
        code = codes.new_code(self._length)
        latest = self._table.latest(to)
        verification = None
        if latest is not None and latest.status is VerificationStatus.PENDING and latest.valid_until > now:
            verification = self._table.resend(latest.id, codes.code_hash(self._key(), latest.id, code), self._max_sends, now)
            if verification is None and latest.sends >= self._max_sends:
                raise TooManyRequests(f"to: at most {self._max_sends} codes per verification")
        if verification is None:
            verification_id = self._new_id()
            verification = Verification(
                id=verification_id, to=to, channel=channel, reference=reference,
                code_hash=codes.code_hash(self._key(), verification_id, code), status=VerificationStatus.PENDING,
                created_at=now, valid_until=self._valid_until(now), checks=0, sends=1,
            )
            self._table.create(verification, self._clock.epoch() + self._valid_minutes * 60 + KEEP_AFTER_EXPIRY_SECONDS)
        message = self._deliver(verification, code)
        log.info("verification code sent", extra={"verificationId": verification.id, "to": mask_recipient(to),
                                                  "sends": verification.sends, "messageId": message.id,
                                                  "messageStatus": message.delivery_status.value})
        return self._answer(verification)

    def _recipient(self, raw, channel: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise BadRequest("to", "is required")
        return normalise_phone(raw, "to") if channel == "SMS" else normalise_email(raw.strip(), "to")

    def _valid_until(self, now: str) -> str:
        from messenger.core.clock import iso

        moment = dt.datetime.fromisoformat(now)
        return iso(moment + dt.timedelta(minutes=self._valid_minutes))

    def _deliver(self, verification: Verification, code: str):
        text = self._text.format(code=code, minutes=self._valid_minutes)
        args = {"to": verification.to, "body": text, "deliveryMethod": verification.channel,
                "reference": verification.reference}
        if verification.channel == "EMAIL":
            args["subject"] = self._subject
        return self._send({k: v for k, v in args.items() if v is not None}, record_body=codes.masked(text, code))

    # -- check ---------------------------------------------------------------------------------
    def check(self, args: dict) -> dict:
        if not isinstance(args, dict):
            raise BadRequest("input", "is required")
        code = args.get("code")
        if not isinstance(code, str) or not _DIGITS.match(code):
            raise BadRequest("code", "must be 4 to 10 digits")
        verification = self._find(args)
        now = self._clock.now()
        if verification.status is VerificationStatus.APPROVED:
            raise NotFound("no pending verification: it was approved already")
        if verification.status is not VerificationStatus.PENDING:
            return self._checked(verification)
        counted = self._table.count_check(verification.id, self._max_checks, now)
        if counted is None:
            return self._checked(self._close(verification, now))
        if codes.same_code(counted.code_hash, self._key(), counted.id, code):
            approved = self._table.settle(counted.id, VerificationStatus.APPROVED)
            if approved is None:  # a concurrent check settled it first
                raise NotFound("no pending verification")
            return self._checked(approved)
        if counted.checks >= self._max_checks:
            return self._checked(self._table.settle(counted.id, VerificationStatus.FAILED) or counted)
        return self._checked(counted)

    def _close(self, verification: Verification, now: str) -> Verification:
        """Why no check could be counted: expired, checks used up, or settled meanwhile."""
        current = self._table.get(verification.id) or verification
        if current.status is VerificationStatus.APPROVED:
            raise NotFound("no pending verification: it was approved already")
        if current.status is not VerificationStatus.PENDING:
            return current
        target = VerificationStatus.EXPIRED if current.valid_until <= now else VerificationStatus.FAILED
        return self._table.settle(current.id, target) or self._table.get(current.id) or current

    def _find(self, args: dict) -> Verification:
        given_id, to = args.get("id"), args.get("to")
        if (given_id is None) == (to is None):
            raise BadRequest("id", "give either id or to")
        if given_id is not None:
            if not isinstance(given_id, str) or not given_id or len(given_id) > 64:
                raise BadRequest("id", "is not a verification id")
            found = self._table.get(given_id)
        else:
            if not isinstance(to, str) or not to.strip():
                raise BadRequest("to", "is required")
            found = self._table.latest(normalise_email(to.strip(), "to") if "@" in to else normalise_phone(to, "to"))
        if found is None:
            raise NotFound("no such verification")
        return found

    def _checked(self, verification: Verification) -> dict:
        log.info("verification checked", extra={"verificationId": verification.id, "status": verification.status.value})
        return self._answer(verification)

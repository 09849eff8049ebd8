"""An SMS received from a phone, an operator's opt-out notice, and the keywords a text may be."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from messenger.messages.models import Provider

OPT_OUT_REASON = "opt-out"  # the suppression reason a STOP (or AT's bulk opt-out notice) writes
# Carriers' and providers' usual words (Twilio's and AWS End User Messaging's defaults).
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})


class Keyword(str, Enum):
    OPT_OUT = "OPT_OUT"
    OPT_IN = "OPT_IN"
    HELP = "HELP"


@dataclass(frozen=True)
class InboundSms:
    """One received SMS, as either provider reported it."""

    provider: Provider
    provider_message_id: str
    sender: str  # the phone that sent it, E.164
    recipient: str  # our number or short code it was sent to
    text: str
    received_at: str  # AWSDateTime
    link_id: str | None = None  # Africa's Talking premium replies only


@dataclass(frozen=True)
class OptOutNotice:
    """Africa's Talking's bulk-SMS opt-out notification: this phone asked not to hear from `sender_id`."""

    phone: str
    sender_id: str | None


@dataclass(frozen=True)
class Received:
    """What recording an inbound SMS did: the record's id, and whether it was already there."""

    message_id: str
    duplicate: bool

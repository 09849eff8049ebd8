"""The limits domain's records and errors: a counter one send consumes, and what a client sees when one is full.

A counter is a fixed window (a minute, an hour, a day, or one GraphQL request) over one subject (a
client, a recipient, a recipient and text, a request). Its key names the subject and the window's
start, so a new window is a new item and the old one expires by the table's TTL.
"""

from __future__ import annotations

from dataclasses import dataclass

from messenger.core.errors import MessagingError

LIMIT_PREFIX = "LIMIT#"
DEFAULT_CLIENT = "default"  # whose quotas a call without a known client counts against


class TooManyRequests(MessagingError):
    """A rate (per minute, per hour) is used up: the same send succeeds after the window."""

    error_type = "TooManyRequests"


class LimitExceeded(MessagingError):
    """A quota (per day, per request) is used up: the same send succeeds tomorrow, or in another request."""

    error_type = "LimitExceeded"


class ContendedCounters(Exception):
    """Other writers kept holding these counters (transaction conflicts); nothing was counted."""


@dataclass(frozen=True)
class Counter:
    name: str  # what a client reads: "messages per minute for this client"
    key: str  # PK = SK of the counter's item
    limit: int  # a send is allowed while the count is below this
    resets_at: int  # epoch second the window ends (None-like 0 for a request's counter)
    expires_at: int  # the item's TTL
    quota: bool  # True: LimitExceeded, False: TooManyRequests


@dataclass(frozen=True)
class SendFacts:
    """What the limits need to know of one send (after its input was validated)."""

    client_id: str
    request_id: str | None  # the GraphQL request's id; None: not known, not counted per request
    recipient: str  # normalised: E.164 or the e-mail address
    sms: bool
    body: str
    test: bool = False  # test sends never count against live limits

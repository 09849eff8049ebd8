"""sendAt: an AWSDateTime strictly in the future and at most MAX_DAYS_AHEAD days ahead."""

from __future__ import annotations

import datetime as dt

from messenger.core.clock import iso
from messenger.core.errors import BadRequest
from messenger.scheduling.models import MAX_DAYS_AHEAD


def read_send_at(value, field: str = "sendAt") -> dt.datetime | None:
    """The moment a sendAt names, or None when not given; refused when it is not an AWSDateTime."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(field, "must be an AWSDateTime such as 2026-12-01T09:00:00Z")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(field, "must be an AWSDateTime such as 2026-12-01T09:00:00Z") from None
    if moment.tzinfo is None:
        raise BadRequest(field, "needs a time zone (Z or an offset such as +03:00)")
    return moment


def parse_send_at(value, now: str, field: str = "sendAt") -> str | None:
    """The moment as AWSDateTime (UTC, milliseconds), or None when not given. `now` is the clock's."""
    moment = read_send_at(value, field)
    if moment is None:
        return None
    current = dt.datetime.fromisoformat(now)
    if moment <= current:
        raise BadRequest(field, "is in the past")
    if moment > current + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise BadRequest(field, f"is more than {MAX_DAYS_AHEAD} days ahead")
    return iso(moment)


def schedule_time(send_at: str) -> str:
    """The `at(...)` time of a sendAt: UTC whole seconds, rounded up so it never fires early."""
    moment = dt.datetime.fromisoformat(send_at).astimezone(dt.timezone.utc)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")

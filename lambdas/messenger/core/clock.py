"""Time and identifiers, behind one small object so tests can fix them."""

from __future__ import annotations

import datetime as dt


def iso(moment: dt.datetime) -> str:
    """AWSDateTime with milliseconds, always UTC: sorts the same as text and as time."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def normalise_time(text) -> str:
    """A provider's timestamp ("2026-11-23T10:00:00.123Z", "2026-11-23 10:00:00.123") as AWSDateTime;
    "" when it is not one (the caller then uses its own clock)."""
    try:
        moment = dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        return ""
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc))


class SystemClock:
    def now(self) -> str:
        return iso(dt.datetime.now(dt.timezone.utc))

    def epoch(self) -> int:
        return int(dt.datetime.now(dt.timezone.utc).timestamp())

    def ago(self, seconds: int) -> str:
        return iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds))


def new_message_id(at: str | None = None) -> str:
    """A ULID; with `at` (an AWSDateTime) its time is that instant's millisecond, so a message's id and
    its createdAt name the same millisecond and a time-range filter on the id is one on createdAt."""
    from ulid import ULID

    if at is None:
        return str(ULID())
    moment = dt.datetime.fromisoformat(at)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return str(ULID.from_timestamp((moment - epoch) // dt.timedelta(milliseconds=1)))

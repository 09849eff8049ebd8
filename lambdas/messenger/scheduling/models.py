"""One-time schedules: a payload handed to a queue at a moment, and where schedules go.

Not tied to messages: a scheduled message (sendAt) is one payload; a scheduled batch is another.
"""

from __future__ import annotations

from dataclasses import dataclass

# The farthest ahead a send may be scheduled.
MAX_DAYS_AHEAD = 35


@dataclass(frozen=True)
class ScheduleTarget:
    """Where the schedules of one group deliver: the group, the queue, and the role Scheduler assumes
    to send to that queue (it may send there and nowhere else)."""

    group: str
    queue_arn: str
    role_arn: str


@dataclass(frozen=True)
class OneTimeSchedule:
    """Deliver `payload` (the SQS message body) to the target's queue at `at` (UTC, whole seconds,
    "YYYY-MM-DDTHH:MM:SS"); the schedule deletes itself once it has fired."""

    name: str
    at: str
    payload: str

"""One-time schedules as the domains use them: put this payload on this queue at this time; cancel
by name. Nothing here knows what the payload is (a message job, a batch job)."""

from __future__ import annotations

import logging

from messenger.scheduling.models import OneTimeSchedule, ScheduleTarget
from messenger.scheduling.ports import OneTimeScheduler
from messenger.scheduling.validation import schedule_time

log = logging.getLogger(__name__)


class Schedules:
    def __init__(self, scheduler: OneTimeScheduler, target: ScheduleTarget) -> None:
        self._scheduler = scheduler
        self._target = target

    def deliver_at(self, name: str, send_at: str, payload: str) -> None:
        """Hand `payload` to the target queue at `send_at` (an AWSDateTime). Creating a name that exists
        changes nothing and is not an error: a retried request finds its own schedule in place."""
        created = self._scheduler.create(self._target, OneTimeSchedule(name, schedule_time(send_at), payload))
        if not created:
            log.info("schedule already exists", extra={"schedule": name})

    def cancel(self, name: str) -> bool:
        """Delete the schedule; False when it was gone (it fired, or was never made)."""
        return self._scheduler.delete(self._target, name)

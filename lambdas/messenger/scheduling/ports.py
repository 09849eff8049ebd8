"""What the scheduling logic talks through: a one-time scheduler (EventBridge Scheduler in AWS)."""

from __future__ import annotations

from typing import Protocol

from messenger.scheduling.models import OneTimeSchedule, ScheduleTarget


class OneTimeScheduler(Protocol):
    def create(self, target: ScheduleTarget, schedule: OneTimeSchedule) -> bool:
        """Create it; False when a schedule of that name already exists in the group (nothing changes)."""

    def delete(self, target: ScheduleTarget, name: str) -> bool:
        """Delete it; False when there was none (already fired, or never made)."""

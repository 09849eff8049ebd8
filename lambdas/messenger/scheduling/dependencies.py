"""The scheduling domain's composition root, built on first use once per execution environment."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings

# The environment variable (JSON: group, queueArn, roleArn) naming where scheduled sends go.
SEND_SCHEDULES = "send_schedules"


def schedules_for(setting: str):
    """The one-time schedules of the group a resource setting names (stacks/domains/scheduling.py)."""
    from messenger.adapters.aws import client
    from messenger.adapters.scheduler import EventBridgeScheduler
    from messenger.scheduling.logic import Schedules
    from messenger.scheduling.models import ScheduleTarget

    value = getattr(settings(), setting)
    target = ScheduleTarget(group=value["group"], queue_arn=value["queueArn"], role_arn=value["roleArn"])
    return Schedules(EventBridgeScheduler(client("scheduler")), target)


@cache
def send_schedules():
    return schedules_for(SEND_SCHEDULES)


@cache
def scheduled_sends():
    from messenger.adapters.queue import job_body
    from messenger.core.clock import SystemClock
    from messenger.messages.dependencies import status_listeners
    from messenger.scheduling.service import ScheduledSends
    from messenger.sending.dependencies import repository

    return ScheduledSends(repository(), send_schedules, SystemClock(), job_body, status_listeners())

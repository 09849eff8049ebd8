"""One-time schedules, fired locally: moto stores EventBridge Scheduler schedules but never fires them.

Every `LOCAL_SCHEDULER_POLL_SECONDS` (default 0.5) this reads each schedule group of the wiring from
moto, and for each schedule whose `at(...)` time has come it does what Scheduler does: sends the
target's `Input` to the target queue as the message body, then (ActionAfterCompletion DELETE) deletes
the schedule. A schedule deleted before it is due (a cancel) is never fired.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from zoneinfo import ZoneInfo

import boto3

log = logging.getLogger(__name__)

_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")


def due_time(schedule: dict) -> dt.datetime | None:
    """When a one-time schedule fires (aware datetime); None for any other kind of expression."""
    found = _AT.match(schedule.get("ScheduleExpression", ""))
    if not found:
        return None
    zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
    return dt.datetime.fromisoformat(found.group(1)).replace(tzinfo=zone)


def queue_url_of(arn: str) -> str:
    """The URL of the queue an SQS ARN names, on the endpoint the local mode points boto3 at."""
    _, _, _, region, account, name = arn.split(":", 5)
    return boto3.client("sqs", region_name=region).get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
        "QueueUrl"
    ]


class OneTimeSchedules:
    def __init__(self, groups: list[str], region: str, poll_seconds: float = 0.5, now=None) -> None:
        self._groups = groups
        self._scheduler = boto3.client("scheduler", region_name=region)
        self._sqs = boto3.client("sqs", region_name=region)
        self._poll = poll_seconds
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="one-time-schedules", daemon=True)
        self.fired = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(5)

    def fire_due(self) -> int:
        """Fire every due schedule of every group once; how many were fired."""
        fired = 0
        for group in self._groups:
            pages = self._scheduler.get_paginator("list_schedules").paginate(GroupName=group)
            for summary in (s for page in pages for s in page["Schedules"]):
                if self._fire_if_due(group, summary["Name"]):
                    fired += 1
        self.fired += fired
        return fired

    def _fire_if_due(self, group: str, name: str) -> bool:
        try:
            schedule = self._scheduler.get_schedule(Name=name, GroupName=group)
        except self._scheduler.exceptions.ResourceNotFoundException:
            return False  # deleted meanwhile (cancelled)
        at = due_time(schedule)
        if at is None or at > self._now() or schedule.get("State") == "DISABLED":
            return False
        target = schedule["Target"]
        self._sqs.send_message(QueueUrl=queue_url_of(target["Arn"]), MessageBody=target.get("Input", "{}"))
        if schedule.get("ActionAfterCompletion") == "DELETE":
            try:
                self._scheduler.delete_schedule(Name=name, GroupName=group)
            except self._scheduler.exceptions.ResourceNotFoundException:
                pass
        log.info("fired one-time schedule %s/%s", group, name)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self.fire_due()
            except Exception:  # noqa: BLE001 - keep firing, as Scheduler does
                log.exception("firing one-time schedules failed")

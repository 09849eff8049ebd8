"""EventBridge Scheduler: one-time `at(...)` schedules that send a JSON payload to an SQS queue and
delete themselves once they have fired."""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.scheduling.models import OneTimeSchedule, ScheduleTarget

# Scheduler's own retries of the SendMessage; past them the delivery is dropped, so give it a day.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 86_400, "MaximumRetryAttempts": 185}


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


class EventBridgeScheduler:
    def __init__(self, client) -> None:
        self._scheduler = client

    def create(self, target: ScheduleTarget, schedule: OneTimeSchedule) -> bool:
        try:
            self._scheduler.create_schedule(
                Name=schedule.name,
                GroupName=target.group,
                ScheduleExpression=f"at({schedule.at})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": target.queue_arn,
                    "RoleArn": target.role_arn,
                    "Input": schedule.payload,
                    "RetryPolicy": RETRY_POLICY,
                },
            )
        except ClientError as error:
            if _code(error) == "ConflictException":
                return False
            raise
        return True

    def delete(self, target: ScheduleTarget, name: str) -> bool:
        try:
            self._scheduler.delete_schedule(Name=name, GroupName=target.group)
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return False
            raise
        return True

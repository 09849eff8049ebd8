"""The sweeper domain: closes every message left open past its bound, on a schedule.

It reads the sparse `byOpenStatus` index (only open messages are in it, oldest first), so a run costs
what is open, never a scan of the table.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

SWEEP_EVERY_MINUTES = 5


def contribute(config: ServiceConfig) -> w.Domain:
    sweeper = w.FunctionSpec(
        name="sweeper",
        handler="messenger.sweeper.handler.lambda_handler",
        description="Closes messages left SCHEDULED, PENDING, QUEUED or ACCEPTED past their bound",
        timeout_seconds=60,
        memory_mb=256,
        capabilities=frozenset({w.TABLE_QUERY, w.TABLE_UPDATE}) | w.PUBLISHER_CAPABILITIES,
        environment=w.function_environment(config, ("receipt_timeout_hours", *w.PUBLISHER_SETTINGS)),
        resource_env=(w.ENV_TABLE_NAME, *w.PUBLISHER_ENV),
    )
    return w.Domain(
        name="sweeper",
        functions=(sweeper,),
        schedules=(w.ScheduleSpec(name="sweep", function=sweeper.name, every_minutes=SWEEP_EVERY_MINUTES),),
    )

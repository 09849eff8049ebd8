"""The scheduled sweeper (every 5 minutes): closes what stayed open past its bound (see logic.py)."""

from __future__ import annotations

from messenger.core.observability import count, logger, metrics, traced
from messenger.core.settings import settings

settings()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    from messenger.adapters.aws import client
    from messenger.core.clock import SystemClock
    from messenger.messages.dependencies import status_listeners
    from messenger.messages.status import StatusWriter
    from messenger.sweeper.dal import OpenMessages
    from messenger.sweeper.logic import sweep

    table = OpenMessages(client("dynamodb"), settings().table_name)
    clock = SystemClock()
    closed = sweep(table, StatusWriter(table, clock, status_listeners()), clock, settings().receipt_timeout_hours)
    for channel, number in closed.items():
        count("SweeperClosed", channel, number)
    logger.info("sweep done", extra={"closed": sum(closed.values())})
    return {"closed": dict(closed)}

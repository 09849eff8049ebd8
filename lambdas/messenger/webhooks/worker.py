"""The webhook worker (SQS): fans events out to the webhooks and makes each delivery attempt.

Each record is settled on its own: one that raised (a table or queue error, a crash after the POST) is
reported as a partial batch failure and received again (delivery.py: the crash window).
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from messenger.core.observability import logger, metrics, traced
from messenger.core.settings import settings

settings()


def handle(body: dict) -> None:
    from messenger.webhooks.dependencies import deliverer
    from messenger.webhooks.models import Delivery

    if body.get("kind") == "event":
        deliverer().fan_out(body["eventId"], body["eventType"], body["payload"], body.get("clientId"))
    elif body.get("kind") == "delivery":
        fields = {k: v for k, v in body.items() if k != "kind"}
        deliverer().attempt(Delivery(**fields))
    else:
        raise ValueError("unknown webhook queue message")


def settle(record) -> None:
    try:
        body = json.loads(record.body)
    except ValueError:
        logger.error("unreadable webhook queue message", extra={"sqsMessageId": record.message_id})
        raise
    handle(body)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=settle, processor=BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False),
        context=context,
    )

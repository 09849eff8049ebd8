"""The inbound worker: every received SMS, from either provider, off the inbound queue.

The queue carries SNS notifications (AWS End User Messaging's two-way channel publishes to the inbound
topic, which feeds the queue) and Africa's Talking's callbacks as the delivery-reports function URL put
them (incoming messages and bulk opt-out notices). A record that cannot be read or handled is retried
and, after the queue's receive count, kept in its dead-letter queue.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from messenger.core.observability import logger, metrics, traced
from messenger.core.settings import settings

settings()


def handle(body: str):
    from messenger.core.clock import SystemClock
    from messenger.core.errors import BadRequest
    from messenger.inbound.dependencies import inbound_service
    from messenger.inbound.validation import parse_at_inbound, parse_at_opt_out, parse_sns_inbound

    now = SystemClock().now()
    try:
        data = json.loads(body)
    except ValueError:
        raise BadRequest("body", "not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body", "not an inbound record")
    if data.get("Type") == "Notification":
        return inbound_service().receive(parse_sns_inbound(data, now))
    form = data.get("form")
    if data.get("source") != "AFRICASTALKING" or not isinstance(form, dict):
        raise BadRequest("body", "not an inbound record")
    if data.get("kind") == "opt-out":
        return inbound_service().opt_out(parse_at_opt_out(form))
    return inbound_service().receive(parse_at_inbound(form, data.get("receivedAt") or now))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    def record_handler(record) -> None:
        handle(record.body)

    return process_partial_response(
        event=event, record_handler=record_handler,
        processor=BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False), context=context,
    )

"""The receipts function: SES events from the receipts queue (SNS notifications in SQS records) and
SNS SMS delivery-status logs from a CloudWatch Logs subscription, through the same logic.

SQS: a record that cannot be read, or whose receipt is early, is reported in `batchItemFailures`
and comes back after the visibility timeout (and ends in the DLQ if it never applies). Logs: an early
receipt fails the invocation, which Lambda retries (an asynchronous invocation, twice).
"""

from __future__ import annotations

from functools import cache

from messenger.core.observability import logger, metrics, traced
from messenger.core.settings import settings

settings()


class EarlyReceipts(Exception):
    """Receipts for messages whose hand-off is not recorded yet: try the batch again later."""


@cache
def receipts():
    from messenger.adapters.aws import client
    from messenger.core.clock import SystemClock
    from messenger.messages.dal import MessagesTable
    from messenger.messages.dependencies import status_listeners
    from messenger.messages.status import StatusWriter
    from messenger.receipts.logic import Receipts
    from messenger.suppressions.dependencies import suppressor

    table = MessagesTable(client("dynamodb"), settings().table_name)
    return Receipts(table, StatusWriter(table, SystemClock(), status_listeners()), suppressor())


def _from_queue(records: list[dict]) -> dict:
    from messenger.receipts import ses_events
    from messenger.receipts.logic import EARLY

    failures = []
    for record in records:
        try:
            receipt = ses_events.receipt_of(ses_events.parse_sns_envelope(record["body"]))
            outcome = "ignored" if receipt is None else receipts().apply(receipt)
        except (ValueError, KeyError, TypeError):
            logger.error("unreadable receipt", extra={"sqsMessageId": record.get("messageId")})
            outcome = EARLY
        if outcome == EARLY:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _from_logs(event: dict) -> dict:
    from messenger.receipts import sns_logs
    from messenger.receipts.logic import EARLY

    early = 0
    for record in sns_logs.log_records(event):
        try:
            receipt = sns_logs.receipt_of(record)
        except (ValueError, TypeError):
            logger.error("unreadable SMS delivery record")
            continue
        if receipt is not None and receipts().apply(receipt) == EARLY:
            early += 1
    if early:
        raise EarlyReceipts(f"{early} receipt(s) arrived before their hand-off was recorded")
    return {"applied": True}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    if "awslogs" in event:
        return _from_logs(event)
    return _from_queue(event.get("Records", []))

"""The SQS-triggered worker: sends queued messages and reports partial batch failures.

The batch is decided as a whole (claims, grouping into Africa's Talking requests) by
sending/dispatcher.py; Powertools' batch processor then settles each record from that decision, so SQS
gets the standard `batchItemFailures` answer and retries only the jobs that need it.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from messenger.core.observability import count, logger, metrics, traced
from messenger.core.settings import settings

settings()


class RetryLater(Exception):
    """Marks a record SQS must deliver again."""


def jobs_of(records: list[dict]) -> tuple[list, set[str]]:
    """Parse the jobs; a record that is not a job is retried (and so parked in the DLQ)."""
    from messenger.adapters.queue import parse_job_text
    from messenger.sending.dispatcher import Job

    jobs, unreadable = [], set()
    for record in records:
        try:
            to, message_id, text = parse_job_text(record["body"])
        except (ValueError, KeyError, TypeError):
            logger.error("unreadable job", extra={"sqsMessageId": record.get("messageId")})
            unreadable.add(record.get("messageId"))
            continue
        jobs.append(Job(
            item_id=record["messageId"],
            receipt_handle=record["receiptHandle"],
            to=to,
            message_id=message_id,
            receive_count=int(record.get("attributes", {}).get("ApproximateReceiveCount", "1")),
            text=text,
        ))
    return jobs, unreadable


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    from messenger.sending.dependencies import dispatcher

    records = event.get("Records", [])
    jobs, retry = jobs_of(records)
    report = dispatcher().process(jobs, context.get_remaining_time_in_millis)
    retry |= report.retry
    logger.info(
        "batch done",
        extra={"records": len(records), "accepted": report.accepted, "failed": report.failed,
               "retry": len(retry), "skipped": report.skipped, "atRequests": report.at_requests,
               "takeovers": report.takeovers, "throttled": report.throttled, "paced": report.paced},
    )
    if report.at_requests:
        count("AfricasTalkingRequests", "SMS/AFRICASTALKING", report.at_requests)
    if report.takeovers:
        count("CrashWindowResends", "SMS/AFRICASTALKING", report.takeovers)

    def settle(record) -> None:
        if record.message_id in retry:
            raise RetryLater(record.message_id)

    return process_partial_response(
        event=event, record_handler=settle, processor=BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False),
        context=context,
    )

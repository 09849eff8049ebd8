"""The batch worker: S3 tells the uploads queue a CSV arrived; this validates it and fans it out. The
same queue carries batch jobs (batches/jobs.py): a scheduled batch's `fire`, sendBatch's `check`, a
big batch's `cancel`.

Each SQS record holds S3's notification (`Records[].s3.object.key`, URL-encoded; S3's first message on
a new configuration is an `s3:TestEvent`, acknowledged and ignored). A record whose processing fails
is reported back (partial batch response), so SQS delivers it again and the fan-out resumes at the
slice it reached (batches/fanout.py); after `maxReceiveCount` tries it goes to the dead-letter queue.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from messenger.core.observability import logger, metrics, traced
from messenger.core.settings import settings

settings()


def object_keys(body: str) -> list[str]:
    """The object keys an S3 notification names (none for S3's test event)."""
    data = json.loads(body)
    if data.get("Event") == "s3:TestEvent":
        return []
    return [unquote_plus(record["s3"]["object"]["key"]) for record in data.get("Records", [])
            if str(record.get("eventName", "")).startswith("ObjectCreated")]


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    from messenger.batches.dependencies import batch_jobs, upload_processor
    from messenger.batches.jobs import parse_job

    failures = []
    for record in event.get("Records", []):
        try:
            job = parse_job(record["body"])
            if job is not None:
                batch = batch_jobs().handle(*job)
                logger.info("batch job done", extra={"batchId": job[0], "kind": job[1],
                                                     "status": batch.status.value if batch else None})
                continue
            for key in object_keys(record["body"]):
                batch = upload_processor().process(key)
                logger.info("upload processed", extra={"batchId": batch.id if batch else None,
                                                       "status": batch.status.value if batch else None})
        except Exception:  # noqa: BLE001 - SQS delivers it again; the fan-out resumes where it stopped
            logger.exception("upload failed; it will be tried again", extra={"sqsMessageId": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

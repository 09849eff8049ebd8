"""The batches domain: sendBatch, getBatch, getBatches, createBatchUpload, and the CSV upload worker.

sendBatch validates and fans out in the API function (at most 1,000 rows): BatchWriteItem for the
records, SendMessageBatch onto the outbound queue (the dispatch worker sends them as any queued
message), BatchGetItem for the suppression check and for resuming a fan-out. createBatchUpload signs
a PUT URL for the uploads bucket (PutObject on it). S3 announces each new file on the `uploads` queue;
the `batch_uploads` worker streams it (GetObject), validates every row and fans it out the same way.
Whichever function makes a batch final (FAILED here, COMPLETED here when every row is suppressed, else
the status writer of its last message) enqueues BATCH_COMPLETED on the webhooks queue when an enabled
webhook takes it: the worker has the status writers' webhook capabilities (one GetItem of the
subscriptions item, SendMessage to the webhooks queue), nothing else of theirs.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig
from stacks.domains.sending import SEND_SETTINGS
from stacks.domains.templates import TEMPLATE_SETTINGS

UPLOAD_TIMEOUT_SECONDS = 900  # 100,000 rows: two reads of the file, 4,000 BatchWriteItem, 10,000 SendMessageBatch
BATCH_SETTINGS = ("batch_upload_url_seconds", "batch_upload_max_rows")
# Validating a row is validating a send (sending/validation.py), by template or not.
ROW_SETTINGS = tuple(dict.fromkeys((*SEND_SETTINGS, *TEMPLATE_SETTINGS, *BATCH_SETTINGS)))
# Read the batch and the template, check suppressions and resume (BatchGetItem), write the records, count.
FANOUT_CAPABILITIES = frozenset({w.TABLE_GET, w.TABLE_BATCH_GET, w.TABLE_BATCH_WRITE, w.TABLE_UPDATE})
# BATCH_COMPLETED (messenger.webhooks.events): the subscriptions item (TABLE_GET, above), the webhooks queue.
ANNOUNCE_CAPABILITIES = frozenset({w.WEBHOOK_EVENT_SEND})


def contribute(config: ServiceConfig) -> w.Domain:
    queue = w.QueueSpec(
        name="uploads",
        worker="batch_uploads",
        env_var=None,  # fed by the bucket's event notifications
        batch_size=1,
        max_batching_window_seconds=0,
        max_receive_count=config.max_receive_count,
        dlq_retention_days=14,
    )
    bucket = w.BucketSpec(name="uploads", env_var=w.ENV_UPLOADS_BUCKET, queue=queue.name, prefix="uploads/",
                          suffix=".csv", retention_days=config.batch_upload_retention_days)
    worker = w.FunctionSpec(
        name="batch_uploads",
        handler="messenger.batches.worker.lambda_handler",
        description="CSV batch uploads: validates every row, then writes the records and queues the sends",
        timeout_seconds=UPLOAD_TIMEOUT_SECONDS,
        # Validating 100,000 rows twice is CPU work: 1,769 MB is one full vCPU in Lambda.
        memory_mb=1769,
        capabilities=FANOUT_CAPABILITIES | ANNOUNCE_CAPABILITIES
        | {bucket.read_capability, queue.consume_capability, w.QUEUE_SEND},
        environment=w.function_environment(config, (*ROW_SETTINGS, *w.PUBLISHER_SETTINGS)),
        resource_env=(w.ENV_TABLE_NAME, w.ENV_OUTBOUND_QUEUE_URL, w.ENV_UPLOADS_BUCKET, w.ENV_WEBHOOK_QUEUE_URL),
    )
    return w.Domain(
        name="batches",
        api=w.ApiPart(
            router="messenger.batches.api",
            fields=(("Mutation", "sendBatch"), ("Mutation", "createBatchUpload"), ("Query", "getBatch"),
                    ("Query", "getBatches")),
            scopes={"sendBatch": w.SEND, "createBatchUpload": w.SEND, "getBatch": w.READ, "getBatches": w.READ},
            # Put: the batch, its list entry and its key (a transaction); Query: getBatches.
            capabilities=FANOUT_CAPABILITIES | ANNOUNCE_CAPABILITIES
            | {w.TABLE_PUT, w.TABLE_QUERY, bucket.write_capability, w.QUEUE_SEND},
            settings=(*ROW_SETTINGS, *w.PUBLISHER_SETTINGS),
            resource_env=(w.ENV_TABLE_NAME, w.ENV_OUTBOUND_QUEUE_URL, w.ENV_UPLOADS_BUCKET, w.ENV_WEBHOOK_QUEUE_URL),
        ),
        functions=(worker,),
        queues=(queue,),
        buckets=(bucket,),
    )

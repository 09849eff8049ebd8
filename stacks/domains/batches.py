"""The batches domain: sendBatch, getBatch, getBatches, createBatchUpload, and the CSV upload worker.

sendBatch validates and fans out in the API function (at most 1,000 rows): BatchWriteItem for the
records, SendMessageBatch onto the outbound queue (the dispatch worker sends them as any queued
message), BatchGetItem for the suppression check and for resuming a fan-out. createBatchUpload signs
a PUT URL for the uploads bucket (PutObject on it). S3 announces each new file on the `uploads` queue;
the `batch_uploads` worker streams it (GetObject), validates every row and fans it out the same way.

The same queue carries batch jobs (lambdas/messenger/batches/jobs.py): the `batches` schedule group's
one-time schedules put a scheduled batch's `fire` job on it (Scheduler's role may send to this queue
only), sendBatch puts a delayed `check` (it finishes a batch whose request died) and cancelBatch a
`cancel` for a batch too big to cancel in the request. The worker then reads the batch's records
(Query of `byBatch`), queues them, or moves them (StatusWriter: FAILED for an interrupted batch,
CANCELLED), and makes a scheduled upload's schedule. Both count a batch's rows against the client's
quotas (limits/: one TransactWriteItems of UpdateItems). Whichever function makes a batch COMPLETED or
FAILED (this worker, the API, or the status writer of its last message) enqueues BATCH_COMPLETED on the
webhooks queue when an enabled webhook takes it (the publisher capabilities).
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig
from stacks.domains.limits import LIMIT_SETTINGS
from stacks.domains.sending import SEND_SETTINGS
from stacks.domains.templates import TEMPLATE_SETTINGS

UPLOAD_TIMEOUT_SECONDS = 900  # 100,000 rows: two reads of the file, 4,000 BatchWriteItem, 10,000 SendMessageBatch
BATCH_SETTINGS = ("batch_upload_url_seconds", "batch_upload_max_rows")
# Validating a row is validating a send (sending/validation.py), by template or not.
ROW_SETTINGS = tuple(dict.fromkeys((*SEND_SETTINGS, *TEMPLATE_SETTINGS, *BATCH_SETTINGS)))
# Read the batch and the template, check suppressions and resume (BatchGetItem), write the records, count.
# Query: a batch's records (`byBatch`), to queue or cancel them.
FANOUT_CAPABILITIES = frozenset({w.TABLE_GET, w.TABLE_BATCH_GET, w.TABLE_BATCH_WRITE, w.TABLE_UPDATE, w.TABLE_QUERY})
ENV_BATCH_JOBS_QUEUE_URL = "BATCH_JOBS_QUEUE_URL"
ENV_BATCH_SCHEDULES = "BATCH_SCHEDULES"
QUEUE = "uploads"
# A scheduled batch's one schedule puts its `fire` job on the batch jobs queue.
BATCHES = w.ScheduleGroupSpec(name="batches", queue=QUEUE, env_var=ENV_BATCH_SCHEDULES)
BATCH_JOB_ENV = (ENV_BATCH_JOBS_QUEUE_URL, ENV_BATCH_SCHEDULES, *w.PUBLISHER_ENV)


def contribute(config: ServiceConfig) -> w.Domain:
    queue = w.QueueSpec(
        name=QUEUE,
        worker="batch_uploads",
        env_var=ENV_BATCH_JOBS_QUEUE_URL,  # fed by the bucket's notifications, the schedules and the API
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
        description="CSV batch uploads and batch jobs: validates, writes the records, queues the sends",
        timeout_seconds=UPLOAD_TIMEOUT_SECONDS,
        # Validating 100,000 rows twice is CPU work: 1,769 MB is one full vCPU in Lambda.
        memory_mb=1769,
        capabilities=FANOUT_CAPABILITIES | w.PUBLISHER_CAPABILITIES
        | {bucket.read_capability, queue.consume_capability, queue.send_capability, w.QUEUE_SEND,
           BATCHES.manage_capability},
        environment=w.function_environment(config, (*ROW_SETTINGS, *LIMIT_SETTINGS, *w.PUBLISHER_SETTINGS)),
        resource_env=(w.ENV_TABLE_NAME, w.ENV_OUTBOUND_QUEUE_URL, w.ENV_UPLOADS_BUCKET, *BATCH_JOB_ENV),
    )
    return w.Domain(
        name="batches",
        api=w.ApiPart(
            router="messenger.batches.api",
            fields=(("Mutation", "sendBatch"), ("Mutation", "createBatchUpload"), ("Query", "getBatch"),
                    ("Query", "getBatches"), ("Mutation", "cancelBatch")),
            scopes={"sendBatch": w.SEND, "createBatchUpload": w.SEND, "getBatch": w.READ, "getBatches": w.READ,
                    "cancelBatch": w.SEND},
            # Put: the batch, its list entry and its key (a transaction); Query: getBatches.
            capabilities=FANOUT_CAPABILITIES | w.PUBLISHER_CAPABILITIES
            | {w.TABLE_PUT, bucket.write_capability, w.QUEUE_SEND, queue.send_capability, BATCHES.manage_capability},
            settings=(*ROW_SETTINGS, *LIMIT_SETTINGS, *w.PUBLISHER_SETTINGS),
            resource_env=(w.ENV_TABLE_NAME, w.ENV_OUTBOUND_QUEUE_URL, w.ENV_UPLOADS_BUCKET, *BATCH_JOB_ENV),
        ),
        functions=(worker,),
        queues=(queue,),
        buckets=(bucket,),
        schedule_groups=(BATCHES,),
    )

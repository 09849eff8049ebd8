"""The webhooks domain: signed HTTP callbacks (Standard Webhooks) of status changes, inbound SMS, batches.

Every status writer enqueues a MESSAGE_STATUS event on the `webhooks` queue (wiring.PUBLISHER_*) when
an enabled webhook takes them (one cached read of the subscriptions item, no read of any secret); the
inbound worker enqueues MESSAGE_INBOUND with the same capabilities, and whoever makes a batch final
(a status writer, the API's fan-out, the upload worker: stacks/domains/batches.py) BATCH_COMPLETED; the
`webhooks` worker fans each event out to the webhooks that take it and POSTs each copy, re-enqueueing
retries with DelaySeconds (chained past SQS's 15-minute maximum) and parking exhausted ones in the DLQ
itself (its alarm is the queues' usual `<stage>-messaging-webhooks-dlq-not-empty`). The worker can
touch nothing but the table and its own queue and DLQ (it reads an event's message, to drop an erased
recipient's events); its reserved concurrency bounds what slow receivers cost.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

WEBHOOK_TIMEOUT_SECONDS = 60  # a batch of 5 POSTs of at most 10 s each, plus the table writes
# The cache setting: the API's own status writes, and creating a webhook forgets the cached answer.
API_SETTINGS = ("webhook_allow_loopback", "webhook_secret_grace_hours", *w.PUBLISHER_SETTINGS)
WORKER_SETTINGS = (
    "webhook_allow_loopback", "webhook_retry_schedule_seconds", "webhook_timeout_seconds",
    "webhook_disable_after_hours",
)


def contribute(config: ServiceConfig) -> w.Domain:
    queue = w.QueueSpec(
        name="webhooks",
        worker="webhooks",
        env_var=w.ENV_WEBHOOK_QUEUE_URL,
        batch_size=5,
        max_batching_window_seconds=0,
        max_receive_count=config.max_receive_count,  # a record that keeps crashing the worker
        dlq_retention_days=14,
        dlq_env_var=w.ENV_WEBHOOK_DLQ_URL,
    )
    worker = w.FunctionSpec(
        name="webhooks",
        handler="messenger.webhooks.worker.lambda_handler",
        description="Webhooks: fans events out and POSTs them, signed, with retries",
        timeout_seconds=WEBHOOK_TIMEOUT_SECONDS,
        memory_mb=256,
        capabilities=frozenset({
            w.TABLE_GET, w.TABLE_QUERY, w.TABLE_PUT, w.TABLE_UPDATE,
            queue.consume_capability, queue.send_capability, queue.dead_letter_send_capability,
        }),
        environment=w.function_environment(config, WORKER_SETTINGS),
        resource_env=(w.ENV_TABLE_NAME, w.ENV_WEBHOOK_QUEUE_URL, w.ENV_WEBHOOK_DLQ_URL),
        reserved_concurrency=config.webhook_worker_concurrency,
    )
    return w.Domain(
        name="webhooks",
        api=w.ApiPart(
            router="messenger.webhooks.api",
            fields=(
                ("Mutation", "createWebhook"), ("Query", "getWebhooks"), ("Mutation", "deleteWebhook"),
                ("Mutation", "rotateWebhookSecret"), ("Mutation", "enableWebhook"),
                ("Query", "getWebhookDeliveries"),
            ),
            capabilities=frozenset({w.TABLE_GET, w.TABLE_QUERY, w.TABLE_PUT, w.TABLE_UPDATE, w.TABLE_DELETE}),
            # Webhooks receive every message's status (recipients included): managing them is administration.
            scopes={name: w.ADMIN for name in (
                "createWebhook", "getWebhooks", "deleteWebhook", "rotateWebhookSecret", "enableWebhook",
                "getWebhookDeliveries")},
            settings=API_SETTINGS,
            resource_env=(w.ENV_TABLE_NAME,),
        ),
        functions=(worker,),
        queues=(queue,),
    )

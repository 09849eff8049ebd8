"""The inbound domain: SMS received from phones, from both providers, through one queue and one worker.

Africa's Talking posts incoming messages and bulk opt-out notices to the delivery-reports function URL
(`/inbound/<token>`, `/opt-out/<token>`), which checks them and puts them on the `inbound` queue.
AWS End User Messaging's two-way channel publishes received SMS to the `inbound-sms` topic, which feeds
the same queue. The `inbound` worker records each SMS once and acts on it: STOP/START/HELP, replies
through the sending path (docs/two-way-sms.md), then enqueues its MESSAGE_INBOUND webhook event.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.domains.limits import LIMIT_SETTINGS
from stacks.config import ServiceConfig
from stacks.domains.proxy import SETTINGS as PROXY_SETTINGS
from stacks.domains.sending import SEND_SETTINGS, channel_derived

INBOUND_TIMEOUT_SECONDS = 30


def contribute(config: ServiceConfig) -> w.Domain:
    queue = w.QueueSpec(
        name="inbound",
        worker="inbound",
        env_var=w.ENV_INBOUND_QUEUE_URL,  # the delivery-reports function URL puts AT's callbacks on it
        batch_size=10,
        max_batching_window_seconds=0,
        max_receive_count=config.max_receive_count,
        dlq_retention_days=14,
    )
    worker = w.FunctionSpec(
        name="inbound",
        handler="messenger.inbound.handler.lambda_handler",
        description="Received SMS (Africa's Talking, End User Messaging): recorded once, STOP/START/HELP",
        timeout_seconds=INBOUND_TIMEOUT_SECONDS,
        memory_mb=256,
        # Put: the record and its marker (a transaction), suppressions, replies; Get: the marker, the
        # suppression check of a reply, a pool number and a participant's session (proxy relays);
        # Update: handled, reply statuses, the send limits (replies count per number: no auto-reply loop);
        # Delete: START lifts an opt-out.
        # Replies go out like any send: SNS directly, Africa's Talking through the outbound queue.
        # The publisher capabilities also carry each SMS's MESSAGE_INBOUND webhook event (the webhooks queue).
        capabilities=frozenset({
            w.TABLE_GET, w.TABLE_PUT, w.TABLE_UPDATE, w.TABLE_DELETE, w.SMS_PUBLISH, w.QUEUE_SEND,
            queue.consume_capability,
        }) | w.PUBLISHER_CAPABILITIES,
        environment=w.function_environment(
            config, tuple(dict.fromkeys((*SEND_SETTINGS, *LIMIT_SETTINGS, "inbound_help_text", *PROXY_SETTINGS))),
            **channel_derived(config),
        ),
        resource_env=(w.ENV_TABLE_NAME, w.ENV_OUTBOUND_QUEUE_URL, *w.PUBLISHER_ENV),
    )
    topic = w.TopicSpec(
        name="inbound-sms",
        queue=queue.name,
        publisher_service="sms-voice",
        publisher_resource=config.inbound_sms_source,
    )
    return w.Domain(name="inbound", functions=(worker,), queues=(queue,), topics=(topic,))

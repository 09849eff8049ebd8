"""The sending domain: sendMessage, the outbound queue, the dispatch worker and the providers."""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

DISPATCH_TIMEOUT_SECONDS = 30

# What building the direct channels needs (sending/providers/ses.py, sns.py): the API and the worker,
# plus `channel_derived`: the configuration set every SendEmail names (the user's own or the stack's).
CHANNEL_SETTINGS = ("ses_region", "sns_region", "sms_type", "retry_base_seconds")
# What validating and recording a sendMessage needs (sending/validation.py, sending/service.py).
SEND_SETTINGS = (
    *CHANNEL_SETTINGS, "sender_email", "allowed_from_addresses", "sms_sender_ids", "at_country_codes",
    "default_sms_provider", "max_sms_segments", "max_email_body_bytes", "max_subject_chars",
    "idempotency_ttl_hours", "message_retention_days", "allowed_sms_countries", "denied_sms_number_types",
    "allowed_mixed_script_domains", *w.PUBLISHER_SETTINGS,
)
# The worker: the channels, Africa's Talking (sending/providers/africastalking.py) and retries.
WORKER_SETTINGS = (
    *CHANNEL_SETTINGS, "at_sender_id", "at_max_recipients_per_request", "at_base_url",
    "at_secret_max_age_seconds", "max_receive_count",
    # Pacing (sending/providers/base.py SharedPacer): each provider's rate across every worker.
    "ses_max_send_rate", "sns_max_sms_rate", "at_max_requests_per_second",
    *w.PUBLISHER_SETTINGS,
)


def channel_derived(config: ServiceConfig) -> dict[str, object]:
    """Settings computed from the config that building the direct channels needs."""
    return {"ses_event_configuration_set": w.ses_event_configuration_set(config)}


def contribute(config: ServiceConfig) -> w.Domain:
    dispatch = w.FunctionSpec(
        name="dispatch",
        handler="messenger.sending.worker.lambda_handler",
        description="Sends queued messages: Africa's Talking in batches, SES/SNS retries",
        timeout_seconds=DISPATCH_TIMEOUT_SECONDS,
        memory_mb=512,
        capabilities=frozenset(
            {w.TABLE_GET, w.TABLE_UPDATE, w.EMAIL_SEND, w.SMS_PUBLISH, w.QUEUE_CONSUME, w.AT_SECRET_READ}
        ) | w.PUBLISHER_CAPABILITIES,
        environment=w.function_environment(
            config,
            WORKER_SETTINGS,
            # A claim older than the worker's timeout belongs to an attempt that is gone.
            claim_lease_seconds=DISPATCH_TIMEOUT_SECONDS,
            **channel_derived(config),
        ),
        resource_env=(w.ENV_TABLE_NAME, w.ENV_AT_SECRET_NAME, w.ENV_OUTBOUND_QUEUE_URL, *w.PUBLISHER_ENV),
    )
    outbound = w.QueueSpec(
        name="outbound",
        worker="dispatch",
        env_var=w.ENV_OUTBOUND_QUEUE_URL,
        batch_size=config.worker_batch_size,
        max_batching_window_seconds=config.worker_batching_window_seconds,
        max_receive_count=config.max_receive_count,
        dlq_retention_days=14,
    )
    return w.Domain(
        name="sending",
        api=w.ApiPart(
            router="messenger.sending.api",
            fields=(("Mutation", "sendMessage"),),
            capabilities=frozenset(
                {w.TABLE_GET, w.TABLE_PUT, w.TABLE_UPDATE, w.EMAIL_SEND, w.SMS_PUBLISH, outbound.send_capability}
            ) | w.PUBLISHER_CAPABILITIES,
            scopes={"sendMessage": w.SEND},
            settings=SEND_SETTINGS,
            resource_env=(w.ENV_TABLE_NAME, w.ENV_OUTBOUND_QUEUE_URL, *w.PUBLISHER_ENV),
            derived=channel_derived(config),
        ),
        functions=(dispatch,),
        queues=(outbound,),
        secrets=(w.SecretSpec("africastalking", config.at_secret_name, w.ENV_AT_SECRET_NAME, w.AT_SECRET_READ),),
    )

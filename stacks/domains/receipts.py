"""The receipts domain: what SES and SNS report after the hand-off, moving a message to its final status.

E-mail: SES publishes the sending events of the configuration set every SendEmail names to an SNS
topic; the topic feeds the `receipts` queue (SNS notifications, not raw messages: the SES event is the
`Message` string), which the receipts function consumes. With a configuration set of the user's own
(`sesConfigurationSet`), the stack creates none and the user points an event destination at the
topic (README, "Receipts").

SMS through SNS: with delivery-status logging switched on for the account (an account-level SMS
attribute), SNS writes one line per SMS to the two log groups below; a subscription filter on each
hands the lines to the receipts function directly.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

RECEIPTS_TIMEOUT_SECONDS = 30

# SES v2 names of the events the stack's configuration set publishes.
SES_EVENT_TYPES = ("SEND", "DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "RENDERING_FAILURE", "DELIVERY_DELAY")
# Where SNS logs the delivery status of SMS published to phone numbers; AWS fixes these names.
SMS_DELIVERY_LOG_GROUPS = (
    "sns/{region}/{account}/DirectPublishToPhoneNumber",
    "sns/{region}/{account}/DirectPublishToPhoneNumber/Failure",
)


def contribute(config: ServiceConfig) -> w.Domain:
    names = w.resource_names(config)
    queue = w.QueueSpec(
        name="receipts",
        worker="receipts",
        env_var=None,  # fed by the SES events topic; no function sends to it
        batch_size=10,
        max_batching_window_seconds=0,
        max_receive_count=config.max_receive_count,
        dlq_retention_days=14,
    )
    receipts = w.FunctionSpec(
        name="receipts",
        handler="messenger.receipts.handler.lambda_handler",
        description="SES events and SNS SMS delivery logs: final statuses, timelines, suppressions",
        timeout_seconds=RECEIPTS_TIMEOUT_SECONDS,
        memory_mb=256,
        # Put: suppression entries.
        capabilities=frozenset({w.TABLE_GET, w.TABLE_QUERY, w.TABLE_UPDATE, w.TABLE_PUT, queue.consume_capability})
        | w.PUBLISHER_CAPABILITIES,
        environment=w.function_environment(config, w.PUBLISHER_SETTINGS),
        resource_env=(w.ENV_TABLE_NAME, *w.PUBLISHER_ENV),
    )
    configuration_set = w.ses_event_configuration_set(config)
    topic = w.TopicSpec(
        name="ses-events",
        queue=queue.name,
        publisher_service="ses",
        publisher_resource=f"configuration-set/{configuration_set}",
        publisher_region=config.ses_region,
    )
    # A configuration set of the user's own is theirs to point at the topic; the stack creates one only
    # when there is none.
    configuration_sets = () if config.ses_configuration_set else (
        w.ConfigurationSetSpec(name=names.ses_configuration_set, topic=topic.name, event_types=SES_EVENT_TYPES),
    )
    log_subscriptions = tuple(
        w.LogSubscriptionSpec(
            name=f"sms-delivery-{kind}",
            log_group=log_group,
            function=receipts.name,
            create_log_group=config.manage_sms_delivery_status,
        )
        for kind, log_group in zip(("success", "failure"), SMS_DELIVERY_LOG_GROUPS)
    )
    return w.Domain(
        name="receipts",
        functions=(receipts,),
        queues=(queue,),
        topics=(topic,),
        configuration_sets=configuration_sets,
        log_subscriptions=log_subscriptions,
    )

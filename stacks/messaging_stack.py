"""The messaging service: every resource, generated from `stacks.wiring`."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack, Token
from constructs import Construct

from stacks import wiring as w
from stacks.bundling import lambda_code
from stacks.config import ConfigError, ServiceConfig
from stacks.constructs.api import GraphqlApi
from stacks.constructs.buckets import UploadBuckets
from stacks.constructs.configuration_sets import ConfigurationSets
from stacks.constructs.dashboard import Dashboard
from stacks.constructs.functions import MessagingFunctions
from stacks.constructs.monitoring import Monitoring
from stacks.constructs.permissions import capability_permissions
from stacks.constructs.queues import WorkQueues
from stacks.constructs.schedule_groups import ScheduleGroups
from stacks.constructs.secrets import Secrets
from stacks.constructs.sms_delivery_status import SmsDeliveryStatus
from stacks.constructs.table import MessagesTable
from stacks.constructs.topics import EventTopics
from stacks.constructs.triggers import LogSubscriptions, Schedules
from stacks.constructs.waf import ApiFirewall
from stacks.domains.receipts import SMS_DELIVERY_LOG_GROUPS


def check_receipt_regions(region: str, config: ServiceConfig, wiring: w.Wiring) -> None:
    """Receipts need the stack in the region where SES and SNS are called.

    The configuration set, the event topic, the SMS delivery-status log groups and the account's SMS
    attribute are all regional: created in another region than the calls, they would never see an
    event. Checked when the region is known at synth (`cdk deploy` knows it; an environment-agnostic
    synth does not).
    """
    if Token.is_unresolved(region):
        return
    if wiring.configuration_sets and config.ses_region and config.ses_region != region:
        raise ConfigError(
            f"sesRegion: {config.ses_region} is not the stack's region ({region}); SES events would not "
            "reach the stack's configuration set. Deploy the stack there, or unset sesRegion."
        )
    if wiring.log_subscriptions and config.sns_region and config.sns_region != region:
        raise ConfigError(
            f"snsRegion: {config.sns_region} is not the stack's region ({region}); SNS logs SMS delivery "
            "status in the region it sends from. Deploy the stack there, or unset snsRegion."
        )


class MessagingStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        wiring = w.build_wiring(config)
        check_receipt_regions(self.region, config, wiring)
        table = MessagesTable(self, "Messages", config=config, spec=wiring.table).table
        secrets = Secrets(self, "Secrets", wiring=wiring)
        queues = WorkQueues(self, "Queues", config=config, wiring=wiring)
        api = GraphqlApi(self, "Graphql", config=config)
        buckets = UploadBuckets(self, "Buckets", config=config, wiring=wiring, queues=queues.by_name)
        bucket_names = {bucket.spec.name: bucket.bucket_name for bucket in buckets}
        schedule_groups = ScheduleGroups(self, "ScheduleGroups", config=config, wiring=wiring, queues=queues.by_name)
        resource_env = wiring.resource_environment(
            table.table_name, {queue.spec.name: queue.queue.queue_url for queue in queues},
            graphql_url=api.api.graphql_url, graphql_api_id=api.api.api_id,
            schedule_targets=schedule_groups.targets(queues.by_name), bucket_names=bucket_names,
            dead_letter_urls={queue.spec.name: queue.dlq.queue_url for queue in queues},
        )
        functions = MessagingFunctions(
            self,
            "Functions",
            config=config,
            wiring=wiring,
            code=lambda_code(),
            permissions=capability_permissions(
                self,
                config=config,
                table=table,
                wiring=wiring,
                queues=queues,
                secrets=secrets.by_key,
                publish_field_arn=api.publish_field_arn,
                api_arn=api.api.arn,
                schedule_groups=schedule_groups.by_name,
                bucket_names=bucket_names,
            ),
            resource_env=resource_env,
        )
        for queue in queues:
            queue.connect_worker(functions.by_name[queue.spec.worker])
        topics = EventTopics(self, "Topics", config=config, wiring=wiring, queues=queues.by_name)
        ConfigurationSets(self, "ConfigurationSets", wiring=wiring, topics=topics.by_name)
        subscriptions = LogSubscriptions(self, "LogSubscriptions", wiring=wiring, functions=functions.by_name)
        if config.manage_sms_delivery_status:
            SmsDeliveryStatus(
                self,
                "SmsDeliveryStatus",
                config=config,
                log_groups=SMS_DELIVERY_LOG_GROUPS,
                depends_on=subscriptions.created_log_groups,
            )
        Schedules(self, "Schedules", config=config, wiring=wiring, functions=functions.by_name)
        api.add_lambda_resolvers(wiring, functions.by_name)
        ApiFirewall(self, "Firewall", config=config, resource_arn=api.api.arn)
        Monitoring(self, "Monitoring", config=config, queues=queues, functions=functions.by_name)
        Dashboard(self, "Dashboard", config=config, queues=queues)
        CfnOutput(self, "TableName", value=table.table_name)
        CfnOutput(self, "AfricasTalkingSecretName", value=secrets.at_secret_name)
        CfnOutput(self, "DeliveryReportTokenSecretName", value=secrets.report_token_secret_name)

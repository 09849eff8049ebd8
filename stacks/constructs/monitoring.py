"""Alarms: anything in a dead-letter queue, any function error, a sweeper closing too much; one SNS topic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.constructs import metrics as m
from stacks.constructs.functions import construct_id
from stacks.constructs.queues import WorkQueue

PERIOD = Duration.minutes(5)
SWEEPER_PERIOD = Duration.hours(1)


class Monitoring(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, queues: Iterable[WorkQueue],
                 functions: Mapping[str, lambda_.IFunction]) -> None:  # fmt: skip
        super().__init__(scope, id)
        prefix = config.resource_prefix()
        # CloudWatch cannot publish to a topic encrypted with the AWS managed aws/sns key (its key
        # policy cannot be changed), so the topic gets its own key that CloudWatch may use.
        key = kms.Key(self, "AlarmTopicKey", description=f"{prefix} alarm topic", enable_key_rotation=True)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.topic = sns.Topic(self, "AlarmTopic", topic_name=f"{prefix}-alarms", master_key=key, enforce_ssl=True)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = cloudwatch_actions.SnsAction(self.topic)
        for queue in queues:
            alarm = queue.dlq.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ).create_alarm(
                self,
                f"{construct_id(queue.spec.name)}DeadLetterAlarm",
                alarm_name=f"{prefix}-{queue.spec.name}-dlq-not-empty",
                alarm_description=f"Messages in the {queue.spec.name} dead-letter queue: inspect, then redrive",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
        for name, function in functions.items():
            alarm = function.metric_errors(period=PERIOD, statistic="Sum").create_alarm(
                self,
                f"{construct_id(name)}ErrorsAlarm",
                alarm_name=f"{prefix}-{name.replace('_', '-')}-errors",
                alarm_description=f"The {name} function raised (errors the envelope did not catch)",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
        # Many messages closed by the sweeper means receipts stopped arriving (an event destination,
        # the SMS delivery-status attribute or a subscription filter is gone) or sends crash.
        m.all_channels_sum(config, m.SWEEPER_CLOSED, period=SWEEPER_PERIOD).create_alarm(
            self,
            "SweeperClosedAlarm",
            alarm_name=f"{prefix}-sweeper-closed-many",
            alarm_description=(
                f"The sweeper closed more than {config.sweeper_alarm_threshold} messages in an hour: "
                "check that receipts still arrive (README, Receipts)"
            ),
            threshold=config.sweeper_alarm_threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ).add_alarm_action(action)
        CfnOutput(Stack.of(self), "AlarmTopicArn", value=self.topic.topic_arn)

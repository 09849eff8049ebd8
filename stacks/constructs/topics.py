"""Event topics: one SNS topic per `wiring.TopicSpec`, delivered to its queue.

Only the named AWS service, acting for the named resource of this account, may publish: the topic
policy allows that one service principal under `aws:SourceAccount` and `aws:SourceArn`, and denies
every request without TLS. The events name recipients, so the topic is encrypted with its own KMS
key, which that service may use for this topic only (SNS puts the topic's ARN in the encryption
context); the AWS managed aws/sns key cannot be used, as its key policy cannot be changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.constructs.functions import construct_id
from stacks.constructs.queues import WorkQueue
from stacks.wiring import TopicSpec, Wiring, resource_names


class EventTopic(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, spec: TopicSpec, queue: WorkQueue) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        name = resource_names(config).topic(spec)
        principal = iam.ServicePrincipal(f"{spec.publisher_service}.amazonaws.com")
        self.publisher_arn = stack.format_arn(
            service=spec.publisher_service, region=spec.publisher_region or stack.region,
            resource=spec.publisher_resource,
        )  # fmt: skip
        # Written out rather than taken from the topic, which refers to the key: no cycle.
        topic_arn = stack.format_arn(service="sns", resource=name)
        self.key = kms.Key(self, "Key", description=f"{name} topic", enable_key_rotation=True)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}},
            )
        )
        self.topic = sns.Topic(self, "Topic", topic_name=name, master_key=self.key, enforce_ssl=True)
        self.publish_policy = self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[principal],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=(
                    {"StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": self.publisher_arn}}
                    if "*" in spec.publisher_resource
                    else {"StringEquals": {"aws:SourceAccount": stack.account, "aws:SourceArn": self.publisher_arn}}
                ),
            )
        ).policy_dependable
        # SNS notifications, not raw delivery: the worker reads the event from `Message`.
        self.topic.add_subscription(subscriptions.SqsSubscription(queue.queue, raw_message_delivery=False))
        CfnOutput(stack, f"{construct_id(spec.name.replace('-', '_'))}TopicArn", value=self.topic.topic_arn)


class EventTopics(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, wiring: Wiring,
                 queues: Mapping[str, WorkQueue]) -> None:  # fmt: skip
        super().__init__(scope, id)
        self.by_name = {
            spec.name: EventTopic(self, construct_id(spec.name.replace("-", "_")), config=config, spec=spec,
                                  queue=queues[spec.queue])  # fmt: skip
            for spec in wiring.topics
        }

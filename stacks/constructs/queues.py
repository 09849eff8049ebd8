"""Work queues: one SQS queue and its dead-letter queue per `wiring.QueueSpec`."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.wiring import QueueSpec, Wiring, resource_names


class WorkQueue(Construct):
    """A queue, its DLQ and the outputs an operator needs to redrive it.

    Both use SQS-managed encryption (SSE-SQS): the messages are encrypted at rest, producers and the
    worker need no kms: permissions, and there is no per-request KMS cost. A customer managed key
    would only be needed for cross-account producers or a key policy, which this service has not.
    """

    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, spec: QueueSpec,
                 visibility_timeout_seconds: int) -> None:  # fmt: skip
        super().__init__(scope, id)
        self.spec = spec
        names = resource_names(config)
        self.dlq = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=names.dead_letter_queue(spec),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(spec.dlq_retention_days),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=names.queue(spec),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=spec.max_receive_count),
        )
        label, stack = spec.name.capitalize(), Stack.of(self)
        CfnOutput(stack, f"{label}QueueUrl", value=self.queue.queue_url)
        CfnOutput(stack, f"{label}QueueArn", value=self.queue.queue_arn)
        CfnOutput(stack, f"{label}DeadLetterQueueUrl", value=self.dlq.queue_url)
        CfnOutput(stack, f"{label}DeadLetterQueueArn", value=self.dlq.queue_arn)

    def connect_worker(self, worker: lambda_.IFunction) -> lambda_.EventSourceMapping:
        """Feed the queue to its worker; the worker's role gets its rights from its capabilities.

        An EventSourceMapping rather than SqsEventSource: the latter also grants sqs:GetQueueUrl
        through `grant_consume_messages`, which the worker never calls.
        """
        return lambda_.EventSourceMapping(
            self,
            "WorkerMapping",
            target=worker,
            event_source_arn=self.queue.queue_arn,
            batch_size=self.spec.batch_size,
            max_batching_window=Duration.seconds(self.spec.max_batching_window_seconds),
            report_batch_item_failures=True,
        )


class WorkQueues(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, wiring: Wiring) -> None:
        super().__init__(scope, id)
        self.by_name = {
            spec.name: WorkQueue(
                self,
                spec.name.capitalize(),
                config=config,
                spec=spec,
                visibility_timeout_seconds=wiring.visibility_timeout_seconds(spec),
            )
            for spec in wiring.queues
        }

    def __iter__(self):
        return iter(self.by_name.values())

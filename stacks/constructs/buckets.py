"""Upload buckets: one S3 bucket per `wiring.BucketSpec`, announcing new objects on its queue.

Private (every public access blocked, objects owned by the bucket owner), encrypted at rest (SSE-S3),
TLS only (a bucket policy denies any request without it), objects and unfinished multipart uploads
removed after the retention period. New objects under the spec's prefix are announced to the queue by
S3's own notification configuration (no custom resource): the bucket's name is written out, not
referenced, so the queue policy that lets S3 send for this bucket only comes first without a cycle.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.constructs.functions import construct_id
from stacks.constructs.queues import WorkQueue
from stacks.nag import acknowledge
from stacks.wiring import BucketSpec, Wiring, resource_names


class UploadBucket(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, spec: BucketSpec, queue: WorkQueue) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.spec = spec
        self.bucket_name = resource_names(config).bucket(spec, Aws.ACCOUNT_ID, Aws.REGION)
        bucket_arn = f"arn:{Aws.PARTITION}:s3:::{self.bucket_name}"
        # The queue's own policy (it already denies requests without TLS): a queue has one policy.
        allowed = queue.queue.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("s3.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": bucket_arn},
                        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        ))
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=self.bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=False,
            removal_policy=RemovalPolicy.DESTROY,
            lifecycle_rules=[s3.LifecycleRule(
                id="expire-uploads",
                expiration=Duration.days(spec.retention_days),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )],
        )
        cfn = self.bucket.node.default_child
        cfn.add_property_override("NotificationConfiguration", {"QueueConfigurations": [{
            "Event": "s3:ObjectCreated:*",
            "Queue": queue.queue.queue_arn,
            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": spec.prefix},
                                           {"Name": "suffix", "Value": spec.suffix}]}},
        }]})
        self.bucket.node.add_dependency(allowed.policy_dependable)
        acknowledge(
            self.bucket, "AwsSolutions-S1",
            "Uploads are short-lived CSV files written only through pre-signed URLs this service signs and read "
            "only by its worker; CloudTrail data events, not server access logs, are the audit trail an operator "
            "can switch on.",
        )
        CfnOutput(stack, f"{construct_id(spec.name)}BucketName", value=self.bucket_name)


class UploadBuckets(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, wiring: Wiring,
                 queues: dict[str, WorkQueue]) -> None:  # fmt: skip
        super().__init__(scope, id)
        self.by_name = {spec.name: UploadBucket(self, construct_id(spec.name), config=config, spec=spec,
                                                queue=queues[spec.queue]) for spec in wiring.buckets}

    def __iter__(self):
        return iter(self.by_name.values())

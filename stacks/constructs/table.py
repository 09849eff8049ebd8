"""The single DynamoDB table, shaped by `wiring.TABLE`."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.wiring import TableSpec, resource_names


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class MessagesTable(Construct):
    """On-demand, point-in-time recovery, retained on stack deletion.

    Encrypted at rest with the AWS managed key (aws/dynamodb): key use shows in CloudTrail, callers
    need no kms: permissions, and there is no key policy to maintain. A customer managed key would
    only pay off for cross-account access or a key-deletion kill switch, which this service has none of.
    """

    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, spec: TableSpec) -> None:
        super().__init__(scope, id)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=resource_names(config).table,
            partition_key=_string(spec.partition_key),
            sort_key=_string(spec.sort_key),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_string(index.partition_key),
                    sort_key=_string(index.sort_key) if index.sort_key else None,
                    projection_type=dynamodb.ProjectionType.ALL,
                )
                for index in spec.indexes
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

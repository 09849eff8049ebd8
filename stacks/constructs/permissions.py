"""What each capability of `stacks.wiring` allows, as the narrowest IAM statements we can write.

The one place where a capability becomes IAM: the function factory attaches these statements to a
function's role and nothing else, and tests/infra pins the resulting actions per function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aws_cdk import Aws, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager

from stacks import wiring as w
from stacks.config import ServiceConfig
from stacks.constructs.queues import WorkQueue
from stacks.constructs.schedule_groups import ScheduleGroupResources

# DynamoDB has no TransactWriteItems/TransactGetItems IAM actions: each item of a transaction is
# authorised by the action it performs (PutItem, UpdateItem, ConditionCheckItem, GetItem); the code
# uses Put and Update only, conditions included.
QUEUE_SEND_ACTIONS = ("sqs:SendMessage",)  # SendMessageBatch is authorised by sqs:SendMessage too
# What the Lambda event source mapping polls with, plus the worker's own back-off calls.
QUEUE_CONSUME_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue",)
EMAIL_SEND_ACTIONS = ("ses:SendEmail",)
SMS_PUBLISH_ACTIONS = ("sns:Publish",)
STATUS_PUBLISH_ACTIONS = ("appsync:GraphQL",)
# The clients domain's keys: on this API's ARN and its keys' ARNs (apis/<id>/apikeys/<key id>) only.
API_KEY_ACTIONS = ("appsync:CreateApiKey", "appsync:ListApiKeys", "appsync:UpdateApiKey", "appsync:DeleteApiKey")
SCHEDULE_MANAGE_ACTIONS = ("scheduler:CreateSchedule", "scheduler:DeleteSchedule")
SCHEDULE_PASS_ROLE_ACTIONS = ("iam:PassRole",)
# Topics and platform endpoints have ARNs of this shape; a phone number has no ARN at all.
SNS_ARN_PATTERN = f"arn:{Aws.PARTITION}:sns:*:*:*"


@dataclass(frozen=True)
class Permission:
    """The statements of one capability and the cdk-nag findings they knowingly raise, with reasons."""

    statements: tuple[iam.PolicyStatement, ...]
    acknowledgments: tuple[tuple[str, str], ...] = ()


def _statement(actions: Iterable[str], resources: Iterable[str], effect: iam.Effect = iam.Effect.ALLOW):
    return iam.PolicyStatement(effect=effect, actions=list(actions), resources=list(resources))


def _allow(actions: Iterable[str], resources: Iterable[str]) -> Permission:
    return Permission((_statement(actions, resources),))


def ses_identity_arns(stack: Stack, config: ServiceConfig) -> list[str]:
    """The identity a SendEmail sends as and the configuration set it names: SES authorises both."""
    region = config.ses_region or stack.region
    return [
        stack.format_arn(service="ses", region=region, resource="identity", resource_name=config.ses_identity),
        stack.format_arn(service="ses", region=region, resource="configuration-set",
                         resource_name=w.ses_event_configuration_set(config)),  # fmt: skip
    ]


def allowed_senders(config: ServiceConfig) -> list[str]:
    return sorted({address.lower() for address in (config.sender_email, *config.allowed_from_addresses)})


def capability_permissions(
    stack: Stack,
    *,
    config: ServiceConfig,
    table: dynamodb.ITableV2,
    wiring: w.Wiring,
    queues: Iterable[WorkQueue],
    secrets: Mapping[str, secretsmanager.ISecret],
    publish_field_arn: str,
    api_arn: str,
    schedule_groups: Mapping[str, "ScheduleGroupResources"] | None = None,
    bucket_names: Mapping[str, str] | None = None,
) -> dict[str, Permission]:
    permissions = {
        w.TABLE_GET: _allow(("dynamodb:GetItem",), [table.table_arn]),
        w.TABLE_BATCH_GET: _allow(("dynamodb:BatchGetItem",), [table.table_arn]),
        w.TABLE_QUERY: _allow(
            ("dynamodb:Query",),
            [table.table_arn, *(f"{table.table_arn}/index/{index.name}" for index in wiring.table.indexes)],
        ),
        w.TABLE_BATCH_WRITE: _allow(("dynamodb:BatchWriteItem",), [table.table_arn]),
        w.TABLE_PUT: _allow(("dynamodb:PutItem",), [table.table_arn]),
        w.TABLE_UPDATE: _allow(("dynamodb:UpdateItem",), [table.table_arn]),
        w.TABLE_DELETE: _allow(("dynamodb:DeleteItem",), [table.table_arn]),
        w.TABLE_BATCH_WRITE: _allow(("dynamodb:BatchWriteItem",), [table.table_arn]),
        w.API_KEYS: Permission(
            statements=(_statement(API_KEY_ACTIONS, [api_arn, f"{api_arn}/apikeys/*"]),),
            acknowledgments=(
                (
                    "AwsSolutions-IAM5[Resource::<GraphqlApi5FB08D89.Arn>/apikeys/*]",
                    "A key's ARN ends with its id, which is the secret itself and is drawn by AppSync at "
                    "creation: the keys of this one API are the narrowest resource that can be named.",
                ),
            ),
        ),
        # Only as the sender addresses the deployment allows (the validation checks the same list).
        w.EMAIL_SEND: Permission((iam.PolicyStatement(
            actions=list(EMAIL_SEND_ACTIONS), resources=ses_identity_arns(stack, config),
            conditions={"StringEqualsIgnoreCase": {"ses:FromAddress": allowed_senders(config)}},
        ),)),
        # The publish mutation only: the role can call no other field of the API.
        w.STATUS_PUBLISH: _allow(STATUS_PUBLISH_ACTIONS, [publish_field_arn]),
        w.SMS_PUBLISH: Permission(
            statements=(
                _statement(SMS_PUBLISH_ACTIONS, ["*"]),
                _statement(SMS_PUBLISH_ACTIONS, [SNS_ARN_PATTERN], effect=iam.Effect.DENY),
            ),
            acknowledgments=(
                (
                    "AwsSolutions-IAM5[Resource::*]",
                    "sns:Publish to a phone number has no resource ARN to name, so the allow needs '*'; "
                    "the deny statement beside it keeps the allow from reaching any SNS topic or endpoint.",
                ),
            ),
        ),
    }
    for secret in wiring.secrets:
        permissions[secret.read_capability] = _allow(SECRET_READ_ACTIONS, [secrets[secret.key].secret_arn])
    for spec in wiring.buckets:
        objects = f"arn:{Aws.PARTITION}:s3:::{(bucket_names or {})[spec.name]}/{spec.prefix}*"
        reason = (f"the objects of the {spec.name} bucket are named by batch id under '{spec.prefix}': the "
                  "statement names that prefix of this one bucket, no other bucket or key")
        shown = w.resource_names(config).bucket(spec, "<AWS::AccountId>", "<AWS::Region>")  # as cdk-nag prints it
        finding = f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{shown}/{spec.prefix}*]"
        permissions[spec.read_capability] = Permission((_statement(("s3:GetObject",), [objects]),), ((finding, reason),))
        permissions[spec.write_capability] = Permission((_statement(("s3:PutObject",), [objects]),), ((finding, reason),))
    for queue in queues:
        permissions[queue.spec.send_capability] = _allow(QUEUE_SEND_ACTIONS, [queue.queue.queue_arn])
        permissions[queue.spec.consume_capability] = _allow(QUEUE_CONSUME_ACTIONS, [queue.queue.queue_arn])
        permissions[queue.spec.dead_letter_send_capability] = _allow(QUEUE_SEND_ACTIONS, [queue.dlq.queue_arn])
    for group in (schedule_groups or {}).values():
        permissions[group.spec.manage_capability] = _manage_schedules(stack, group)
    return permissions


def _manage_schedules(stack: Stack, group: "ScheduleGroupResources") -> Permission:
    """Create and delete the group's schedules, and hand Scheduler the group's role (to Scheduler only)."""
    # The stack's own region and account as pseudo parameters, whether or not synth knows them.
    schedules = f"arn:{Aws.PARTITION}:scheduler:{Aws.REGION}:{Aws.ACCOUNT_ID}:schedule/{group.group_name}/*"
    pass_role = iam.PolicyStatement(
        actions=list(SCHEDULE_PASS_ROLE_ACTIONS),
        resources=[group.role.role_arn],
        conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
    )
    return Permission(
        statements=(_statement(SCHEDULE_MANAGE_ACTIONS, [schedules]), pass_role),
        acknowledgments=(
            (
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
                f"schedule/{group.group_name}/*]",
                "Schedules are made per message or batch at run time, named after it: the wildcard covers "
                "only the schedules of this one group.",
            ),
        ),
    )

"""Creates the service's resources in moto from the wiring, and the environment the handlers get.

Nothing here describes the service a second time: table keys and indexes, queues, redrive and
visibility, and each function's environment all come from `stacks.wiring`; names from the config's
resource prefix.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field

import boto3

from stacks.config import ServiceConfig
from stacks.wiring import (
    BucketSpec,
    QueueSpec,
    ResourceNames,
    Wiring,
    resource_names,
    schedule_target_json,
    ses_event_configuration_set,
    stack_key_description,
)

REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"  # moto's default account
AT_USERNAME = "sandbox"
# The stack key's id when no other is given (the local mode passes LOCAL_API_KEY).
DEFAULT_STACK_KEY = "da2-local-development-key"


@dataclass(frozen=True)
class LocalQueue:
    name: str
    url: str
    arn: str
    dlq_name: str
    dlq_url: str


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    queues: dict[str, LocalQueue]  # by QueueSpec.name
    at_secret_name: str
    report_token_secret_name: str
    report_token: str
    api_id: str = ""  # the GraphQL API in moto, whose keys the local endpoint accepts
    api_key: str = DEFAULT_STACK_KEY  # the stack's own key
    # By schedule group spec name: the group's name in moto and the JSON its env var carries.
    schedule_groups: dict[str, str] = field(default_factory=dict)
    schedule_targets: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)  # BucketSpec.name -> bucket name


def create_resources(config: ServiceConfig, wiring: Wiring, api_key: str = DEFAULT_STACK_KEY) -> LocalResources:
    from local.api_keys import create_api

    names = resource_names(config)
    table_name = names.table
    _create_table(wiring, table_name)
    queues = {spec.name: _create_queue(wiring, spec, names) for spec in wiring.queues}

    secretsmanager = boto3.client("secretsmanager")
    at_secret_name = wiring.secret("africastalking").name
    at_credentials = {"username": AT_USERNAME, "apiKey": secrets.token_hex(32)}
    secretsmanager.create_secret(Name=at_secret_name, SecretString=json.dumps(at_credentials))
    report_token_secret_name = wiring.secret("report-token").name
    report_token = secrets.token_urlsafe(32)
    secretsmanager.create_secret(Name=report_token_secret_name, SecretString=report_token)
    secretsmanager.create_secret(Name=wiring.secret("verification-key").name, SecretString=secrets.token_urlsafe(48))

    ses = boto3.client("sesv2", region_name=config.ses_region or REGION)
    for identity in {config.sender_email, config.ses_identity, *config.allowed_from_addresses}:
        ses.create_email_identity(EmailIdentity=identity)
    # The stack's own configuration set, or the user's: SendEmail names it either way.
    for name in {spec.name for spec in wiring.configuration_sets} | {ses_event_configuration_set(config)}:
        ses.create_configuration_set(ConfigurationSetName=name)

    # AppSync's control plane (moto): the API and the stack's key; the clients domain adds keys at runtime.
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)
    api_id = create_api(REGION, f"{names.prefix}-api", api_key, stack_key_description(config), expires)

    scheduler = boto3.client("scheduler")
    groups, targets = {}, {}
    for spec in wiring.schedule_groups:
        groups[spec.name] = names.schedule_group(spec)
        scheduler.create_schedule_group(Name=groups[spec.name])
        # moto checks no role: this one only has the shape of the stack's (the local firer sends itself).
        role_arn = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{groups[spec.name]}-scheduler"
        targets[spec.name] = json.dumps(schedule_target_json(groups[spec.name], queues[spec.queue].arn, role_arn))

    buckets = {spec.name: _create_bucket(spec, names, queues[spec.queue]) for spec in wiring.buckets}
    return LocalResources(table_name, queues, at_secret_name, report_token_secret_name, report_token,
                          api_id, api_key, groups, targets, buckets)  # fmt: skip


def _create_bucket(spec: BucketSpec, names: ResourceNames, queue: LocalQueue) -> str:
    """The bucket, encrypted, announcing new objects under its prefix on its queue: moto's S3 sends S3's
    own notification (`Records[].s3.object.key`, URL-encoded) to moto's SQS, as S3 does in AWS."""
    s3 = boto3.client("s3", region_name=REGION)
    name = names.bucket(spec, LOCAL_ACCOUNT, REGION)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"QueueConfigurations": [{
        "QueueArn": queue.arn, "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": spec.prefix},
                                           {"Name": "suffix", "Value": spec.suffix}]}},
    }]})
    return name


def _create_table(wiring: Wiring, table_name: str) -> None:
    spec = wiring.table
    key_names = [spec.partition_key, spec.sort_key, *(index.partition_key for index in spec.indexes),
                 *(index.sort_key for index in spec.indexes if index.sort_key)]
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in dict.fromkeys(key_names)],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
                + ([{"AttributeName": index.sort_key, "KeyType": "RANGE"}] if index.sort_key else []),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ],
    )
    dynamodb.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
    )


def _create_queue(wiring: Wiring, spec: QueueSpec, names: ResourceNames) -> LocalQueue:
    sqs = boto3.client("sqs")
    name, dlq_name = names.queue(spec), names.dead_letter_queue(spec)
    dlq_url = sqs.create_queue(
        QueueName=dlq_name,
        Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_days * 86_400)},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(wiring.visibility_timeout_seconds(spec)),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return LocalQueue(name, url, arn, dlq_name, dlq_url)


def handler_environment(wiring: Wiring, resources: LocalResources, graphql_url: str = "") -> dict[str, str]:
    """Every function's environment, with resource names filled in, merged into one process env.

    All handlers share this process, so two functions that want different values for one variable
    cannot both be served: that fails here, loudly, instead of one of them silently losing.
    """
    resource_values = wiring.resource_environment(
        resources.table_name,
        {name: queue.url for name, queue in resources.queues.items()},
        {"africastalking": resources.at_secret_name, "report-token": resources.report_token_secret_name},
        graphql_url=graphql_url,
        dead_letter_urls={name: queue.dlq_url for name, queue in resources.queues.items()},
        graphql_api_id=resources.api_id,
        schedule_targets=resources.schedule_targets,
        bucket_names=resources.buckets or {},
    )
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    for function in wiring.functions:
        missing = [name for name in function.resource_env if name not in resource_values]
        if missing:
            raise RuntimeError(f"function {function.name}: no local resource for {', '.join(missing)}")
        env = {**function.environment, **{name: resource_values[name] for name in function.resource_env}}
        for name, value in env.items():
            if name in merged and merged[name] != value:
                raise RuntimeError(
                    f"functions {owner[name]} and {function.name} need different values for {name}; "
                    "one local process cannot serve both"
                )
            merged[name], owner[name] = value, function.name
    return merged


def count_items(table_name: str, pk_prefix: str | None = None) -> int:
    """Every item in the table, or those whose PK starts with `pk_prefix`: a dev route, never a hot path."""
    dynamodb = boto3.client("dynamodb")
    total, start = 0, None
    only = {"FilterExpression": "begins_with(PK, :prefix)",
            "ExpressionAttributeValues": {":prefix": {"S": pk_prefix}}} if pk_prefix else {}
    while True:
        page = dynamodb.scan(TableName=table_name, Select="COUNT", **only,
                             **({"ExclusiveStartKey": start} if start else {}))
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def add_table_route(server, table_name: str) -> None:
    """GET /local/table: how many items the table holds, and how many of them are the send limits'
    counters (`LIMIT#...`, docs/limits.md). A dev route, never a hot path."""
    from local.http import json_response

    server.add_get("/local/table", lambda _: json_response(200, {
        "items": count_items(table_name), "limitCounters": count_items(table_name, "LIMIT#")}))

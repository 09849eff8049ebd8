"""Creates the service's resources in moto from the wiring, and the environment the handlers get.

Nothing here describes the service a second time: table keys and indexes, queues, redrive and
visibility, and each function's environment all come from `stacks.wiring`; names from the config's
resource prefix.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import boto3

from stacks.config import ServiceConfig
from stacks.wiring import (
    QueueSpec,
    ResourceNames,
    Wiring,
    resource_names,
    ses_event_configuration_set,
)

REGION = "us-east-1"
AT_USERNAME = "sandbox"


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


def create_resources(config: ServiceConfig, wiring: Wiring) -> LocalResources:
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

    return LocalResources(table_name, queues, at_secret_name, report_token_secret_name, report_token)


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


def count_items(table_name: str) -> int:
    """Every item in the table (messages and idempotency keys): a dev route, never a hot path."""
    dynamodb = boto3.client("dynamodb")
    total, start = 0, None
    while True:
        page = dynamodb.scan(TableName=table_name, Select="COUNT", **({"ExclusiveStartKey": start} if start else {}))
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def add_table_route(server, table_name: str) -> None:
    """GET /local/table: how many items the table holds (a dev route, never a hot path)."""
    from local.http import json_response

    server.add_get("/local/table", lambda _: json_response(200, {"items": count_items(table_name)}))

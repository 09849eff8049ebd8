"""The one description of how the service is wired: its vocabulary, and the composition of the domains.

Each domain describes its part in `stacks/domains/<domain>.py` (functions, GraphQL fields, queues,
secrets, the capabilities and settings each needs); `build_wiring` composes the domains listed in
`stacks/domains/__init__.py` into one `Wiring`. Both the CDK stack (`stacks/`) and the local runner
(`local/`) read that, so the deployed service and the one on a laptop cannot drift apart.

This module must stay importable without aws-cdk-lib: the local runner and the tests use it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from stacks.config import ServiceConfig
from stacks.specs import (  # noqa: F401 - the vocabulary, re-exported: domains write `w.FunctionSpec`
    ENV_GRAPHQL_API_ID,
    ENV_GRAPHQL_URL,
    ApiPart,
    BucketSpec,
    ConfigurationSetSpec,
    Domain,
    FunctionSpec,
    IndexSpec,
    LogSubscriptionSpec,
    QueueSpec,
    ResolverSpec,
    ScheduleGroupSpec,
    ScheduleSpec,
    SecretSpec,
    TableSpec,
    TopicSpec,
    Wiring,
)

# Code asset: everything under lambdas/ is packaged once and shared by every function.
LAMBDA_SOURCE_DIR = "lambdas"
LAMBDA_REQUIREMENTS = "lambdas/requirements.txt"

# The deepest GraphQL document the API accepts (AppSync's queryDepthLimit; the local mode applies it
# too, introspection included). A root field is depth 1; the schema's deepest useful query is 4, but
# the standard introspection query (graphql-js getIntrospectionQuery, graphql-core's, sent by GraphiQL,
# gql and codegen) is 15 deep. AppSync's documentation does not say whether queryDepthLimit counts
# introspection fields, so the limit is set where that question does not matter: 15 admits the standard
# query whether or not AppSync counts it, and still refuses deeper documents (the only way to nest
# deeper in this schema is to chain introspection fields: `ofType { ofType { ... } }`).
QUERY_DEPTH_LIMIT = 15

# Names of the environment variables that carry resource names. The stack fills them with
# CloudFormation references, the local runner with the names of the resources it created in moto.
ENV_TABLE_NAME = "TABLE_NAME"
ENV_OUTBOUND_QUEUE_URL = "OUTBOUND_QUEUE_URL"
ENV_AT_SECRET_NAME = "AT_SECRET_NAME"
ENV_REPORT_TOKEN_SECRET_NAME = "REPORT_TOKEN_SECRET_NAME"
ENV_UPLOADS_BUCKET = "UPLOADS_BUCKET"
# The webhooks queue the status writers send MESSAGE_STATUS events to, and its DLQ (messenger.webhooks).
ENV_WEBHOOK_QUEUE_URL = "WEBHOOK_QUEUE_URL"
ENV_WEBHOOK_DLQ_URL = "WEBHOOK_DEAD_LETTER_QUEUE_URL"
ENV_INBOUND_QUEUE_URL = "INBOUND_QUEUE_URL"
ENV_VERIFICATION_KEY_SECRET_NAME = "VERIFICATION_KEY_SECRET_NAME"

# Every function's metrics go to this namespace. Powertools adds a `service` dimension
# (POWERTOOLS_SERVICE_NAME, "<stage>-messaging") to the `channel` one: alarms and the dashboard name both.
METRICS_NAMESPACE = "Messaging"
# The `channel` dimension's values: delivery method / provider.
CHANNELS = ("EMAIL/SES", "SMS/SNS", "SMS/AFRICASTALKING")


# Messages: PK "MESSAGE#<recipient>", SK "MESSAGE#<ULID>".
# Idempotency keys: PK = SK = "IDEMPOTENCY#<key>", expiring through the TTL attribute.
# Suppressions: PK "SUPPRESSION", SK "SUPPRESSION#<recipient>".
# Verifications: PK = SK "VERIFICATION#<id>"; the latest per recipient "VERIFICATION#TO#<to>"; starts per
# recipient and hour "VERIFYRATE#<to>#<hour>" (all with TTL).
# Inbound SMS: a message record (direction INBOUND) in its sender's partition, and a marker
# PK = SK = "INBOUND#<provider>#<provider id>" making a repeated callback a no-op (TTL 7 days).
# Templates: PK "TEMPLATES", SK "TEMPLATE#<id>" (the head); PK "TEMPLATE#<id>", SK "VERSION#<n>".
# Batches: PK "BATCH#<id>", SK "BATCH"; the list: PK "BATCHES", SK "BATCH#<id>"; a batch's messages carry
# `batchId`, the key of the sparse index `byBatch` (sorted by SK).
# Two sparse indexes: one finds a message from the id its provider gave it (delivery reports and
# receipts); the other holds only messages not yet final (they carry `openStatus`, "<status>#<shard>"),
# oldest `updatedAt` first, so the sweeper never scans.
# History indexes (docs/history.md): `byId` (getMessage, one read whatever the recipient), `bySender` and
# `byReference` (a sender's / a reference's history, sorted by SK = the ULID, like a recipient's).
TABLE = TableSpec(
    partition_key="PK",
    sort_key="SK",
    ttl_attribute="expiresAt",
    indexes=(
        IndexSpec(name="byProviderMessageId", partition_key="providerMessageId"),
        IndexSpec(name="byOpenStatus", partition_key="openStatus", sort_key="updatedAt"),
        IndexSpec(name="byId", partition_key="idKey"),
        IndexSpec(name="bySender", partition_key="senderKey", sort_key="SK"),
        IndexSpec(name="byReference", partition_key="referenceKey", sort_key="SK"),
        IndexSpec(name="byBatch", partition_key="batchId", sort_key="SK"),
    ),
)


@dataclass(frozen=True)
class ResourceNames:
    """Physical names, the same in AWS and in the local mode."""

    prefix: str

    @property
    def table(self) -> str:
        return f"{self.prefix}-messages"

    @property
    def report_token_secret(self) -> str:
        return f"{self.prefix}/delivery-report-token"

    @property
    def verification_key_secret(self) -> str:
        return f"{self.prefix}/verification-key"

    @property
    def ses_configuration_set(self) -> str:
        """The configuration set the stack creates when the config names none of its own."""
        return f"{self.prefix}-events"

    def topic(self, spec: "TopicSpec") -> str:
        return f"{self.prefix}-{spec.name}"

    def queue(self, spec: "QueueSpec") -> str:
        return f"{self.prefix}-{spec.name}"

    def dead_letter_queue(self, spec: "QueueSpec") -> str:
        return f"{self.prefix}-{spec.name}-dlq"

    def schedule_group(self, spec: "ScheduleGroupSpec") -> str:
        return f"{self.prefix}-{spec.name}"

    def bucket(self, spec: "BucketSpec", account: str, region: str) -> str:
        """S3 names are global: the account and region make this one the deployment's own."""
        return f"{self.prefix}-{spec.name}-{account}-{region}"


def schedule_target_json(group: str, queue_arn: str, role_arn: str) -> dict[str, str]:
    """What a schedule group's `env_var` carries (as JSON): messenger.scheduling.dependencies reads it."""
    return {"group": group, "queueArn": queue_arn, "roleArn": role_arn}


def resource_names(config: ServiceConfig) -> ResourceNames:
    return ResourceNames(config.resource_prefix())


def ses_event_configuration_set(config: ServiceConfig) -> str:
    """The configuration set every SendEmail names: the user's own, or the one the stack creates."""
    return config.ses_configuration_set or resource_names(config).ses_configuration_set


# Capabilities (see FunctionSpec). Each names one narrow permission.
# The table, one action each, so a function gets exactly the calls its code makes.
TABLE_GET = "table:get"  # GetItem
TABLE_BATCH_GET = "table:batch-get"  # BatchGetItem
TABLE_BATCH_WRITE = "table:batch-write"  # BatchWriteItem (puts only)
TABLE_QUERY = "table:query"  # Query, on the table and its indexes
TABLE_PUT = "table:put"  # PutItem (and the puts of a TransactWriteItems)
TABLE_UPDATE = "table:update"  # UpdateItem
TABLE_DELETE = "table:delete"  # DeleteItem
TABLE_BATCH_WRITE = "table:batch-write"  # BatchWriteItem (the erasure's deletes, 25 a request)
# AppSync's control plane for this API's keys only: CreateApiKey, ListApiKeys, UpdateApiKey, DeleteApiKey.
API_KEYS = "api:keys"
EMAIL_SEND = "email:send"  # ses:SendEmail for the configured identity only
SMS_PUBLISH = "sms:publish"  # sns:Publish to phone numbers
QUEUE_SEND = "queue:send:outbound"
INBOUND_QUEUE_SEND = "queue:send:inbound"  # the delivery-reports function URL queues AT's inbound callbacks
QUEUE_CONSUME = "queue:consume:outbound"
AT_SECRET_READ = "secret:read:africastalking"
REPORT_TOKEN_READ = "secret:read:report-token"
VERIFICATION_KEY_READ = "secret:read:verification-key"  # the HMAC key of verification codes
# appsync:GraphQL on the publishMessageUpdate field only: every function that moves a status has it.
STATUS_PUBLISH = "api:publish:status"
# What every status writer needs to publish: its capability and the URL it posts to.
# They also enqueue webhook events (messenger.webhooks.listener) when an enabled webhook takes them:
# one GetItem of the subscriptions item (at most once per webhookSubscriptionCacheSeconds), then the
# webhooks queue's send capability.
WEBHOOK_EVENT_SEND = "queue:send:webhooks"
PUBLISHER_CAPABILITIES = frozenset({STATUS_PUBLISH, WEBHOOK_EVENT_SEND, TABLE_GET})
PUBLISHER_ENV = (ENV_GRAPHQL_URL, ENV_WEBHOOK_QUEUE_URL)
PUBLISHER_SETTINGS = ("webhook_subscription_cache_seconds",)
# Subscriptions: status writers call this mutation (IAM only; a NONE data source returns its input),
# AppSync pushes the result to the subscription field's subscribers whose arguments match it.
PUBLISH_TYPE, PUBLISH_FIELD = "Mutation", "publishMessageUpdate"
SUBSCRIPTION_FIELD = "onMessageUpdated"

API_FUNCTION = "api"

# The scopes a field may need (the GraphQL enum `Scope`; TEST is a mode of a sending client, never a
# field's requirement).
SEND, READ, ADMIN = "SEND", "READ", "ADMIN"
FIELD_SCOPES = (SEND, READ, ADMIN)


def stack_key_description(config: ServiceConfig) -> str:
    """The description of the stack's own API key: how the API function recognises that key (the one
    an existing single-key deployment's clients hold) and registers it with every live scope."""
    return f"Valid {config.api_key_valid_days} days from {config.api_key_valid_from}"


def check_scopes(part: ApiPart) -> dict[str, str]:
    """`Type.field` -> scope for each of the part's fields; a field without a scope cannot be wired."""
    names = [name for _, name in part.fields]
    missing = [name for name in names if name not in part.scopes]
    if missing:
        raise ValueError(f"{part.router}: no scope for {', '.join(missing)} (ApiPart.scopes)")
    extra = sorted(set(part.scopes) - set(names))
    if extra:
        raise ValueError(f"{part.router}: scopes for fields it does not have: {', '.join(extra)}")
    wrong = [name for name, scope in part.scopes.items() if scope not in FIELD_SCOPES]
    if wrong:
        raise ValueError(f"{part.router}: {wrong[0]} needs one of {', '.join(FIELD_SCOPES)}")
    return {f"{type_name}.{name}": part.scopes[name] for type_name, name in part.fields}


def metrics_service(config: ServiceConfig) -> str:
    """The `service` dimension Powertools adds to every metric of this deployment."""
    return f"{config.stage}-messaging"


def function_environment(config: ServiceConfig, settings: tuple[str, ...], **extra) -> dict[str, str]:
    """Powertools' variables, then each named setting of `config` and each extra value as JSON.

    The runtime reads them back with messenger.core.settings; a function gets only what it names.
    """
    values = {name: getattr(config, name) for name in settings} | extra
    return {
        "POWERTOOLS_SERVICE_NAME": metrics_service(config),
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
        "STAGE": config.stage,
        **{name.upper(): json.dumps(value, separators=(",", ":")) for name, value in sorted(values.items())},
    }


def _api_description(parts: list[ApiPart]) -> str:
    """Every field it resolves, or (past Lambda's 256 characters) how many, and which routers."""
    fields = [name for part in parts for _, name in part.fields]
    listed = "GraphQL resolvers: " + ", ".join(fields)
    if len(listed) <= 256:
        return listed
    routers = ", ".join(part.router.rsplit(".", 2)[-2] for part in parts)
    return f"GraphQL resolvers, {len(fields)} fields: {routers}"[:256]


def compose(config: ServiceConfig, domains: tuple[Domain, ...]) -> Wiring:
    """One API function serving every domain's fields, then each domain's own functions and queues."""
    parts = [domain.api for domain in domains if domain.api is not None]
    settings = tuple(dict.fromkeys(name for part in parts for name in part.settings))
    derived = {name: value for part in parts for name, value in part.derived.items()}
    derived["field_scopes"] = {key: scope for part in parts for key, scope in check_scopes(part).items()}
    api = FunctionSpec(
        name=API_FUNCTION,
        handler="messenger.api.lambda_handler",
        description=_api_description(parts),
        timeout_seconds=15,
        memory_mb=512,
        capabilities=frozenset().union(*(part.capabilities for part in parts)),
        environment=function_environment(config, settings, api_routers=[part.router for part in parts], **derived),
        resource_env=tuple(dict.fromkeys(name for part in parts for name in part.resource_env)),
    )
    return Wiring(
        functions=(api, *(f for domain in domains for f in domain.functions)),
        resolvers=tuple(ResolverSpec(t, f, API_FUNCTION) for part in parts for t, f in part.fields),
        queues=tuple(q for domain in domains for q in domain.queues),
        table=TABLE,
        secrets=tuple(s for domain in domains for s in domain.secrets),
        topics=tuple(t for domain in domains for t in domain.topics),
        configuration_sets=tuple(c for domain in domains for c in domain.configuration_sets),
        schedules=tuple(s for domain in domains for s in domain.schedules),
        log_subscriptions=tuple(s for domain in domains for s in domain.log_subscriptions),
        schedule_groups=tuple(g for domain in domains for g in domain.schedule_groups),
        buckets=tuple(b for domain in domains for b in domain.buckets),
    )


def build_wiring(config: ServiceConfig) -> Wiring:
    from stacks.domains import DOMAINS

    return compose(config, tuple(contribute(config) for contribute in DOMAINS))

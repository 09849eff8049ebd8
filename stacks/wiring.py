"""The one description of how the service is wired: its vocabulary, and the composition of the domains.

Each domain describes its part in `stacks/domains/<domain>.py` (functions, GraphQL fields, queues,
secrets, the capabilities and settings each needs); `build_wiring` composes the domains listed in
`stacks/domains/__init__.py` into one `Wiring`. Both the CDK stack (`stacks/`) and the local runner
(`local/`) read that, so the deployed service and the one on a laptop cannot drift apart.

This module must stay importable without aws-cdk-lib: the local runner and the tests use it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from stacks.config import ServiceConfig

# Code asset: everything under lambdas/ is packaged once and shared by every function.
LAMBDA_SOURCE_DIR = "lambdas"
LAMBDA_REQUIREMENTS = "lambdas/requirements.txt"

# The deepest GraphQL document the API accepts (AppSync's queryDepthLimit; the local mode applies it
# too). A root field is depth 1; the schema's deepest useful query is 3.
QUERY_DEPTH_LIMIT = 10

# Names of the environment variables that carry resource names. The stack fills them with
# CloudFormation references, the local runner with the names of the resources it created in moto.
ENV_TABLE_NAME = "TABLE_NAME"
ENV_OUTBOUND_QUEUE_URL = "OUTBOUND_QUEUE_URL"
ENV_AT_SECRET_NAME = "AT_SECRET_NAME"
ENV_REPORT_TOKEN_SECRET_NAME = "REPORT_TOKEN_SECRET_NAME"
# The AppSync GraphQL URL the status writers publish to (messenger.messages.publish).
ENV_GRAPHQL_URL = "GRAPHQL_URL"
# The webhooks queue every status writer sends MESSAGE_STATUS events to, and its DLQ (messenger.webhooks).
ENV_WEBHOOK_QUEUE_URL = "WEBHOOK_QUEUE_URL"
ENV_WEBHOOK_DLQ_URL = "WEBHOOK_DEAD_LETTER_QUEUE_URL"

# Every function's metrics go to this namespace. Powertools adds a `service` dimension
# (POWERTOOLS_SERVICE_NAME, "<stage>-messaging") to the `channel` one: alarms and the dashboard name both.
METRICS_NAMESPACE = "Messaging"
# The `channel` dimension's values: delivery method / provider.
CHANNELS = ("EMAIL/SES", "SMS/SNS", "SMS/AFRICASTALKING")


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index projecting every attribute; keys are strings."""

    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    partition_key: str
    sort_key: str
    ttl_attribute: str
    indexes: tuple[IndexSpec, ...]
    env_var: str = "TABLE_NAME"


# Messages: PK "MESSAGE#<recipient>", SK "MESSAGE#<ULID>".
# Idempotency keys: PK = SK = "IDEMPOTENCY#<key>", expiring through the TTL attribute.
# Suppressions: PK "SUPPRESSION", SK "SUPPRESSION#<recipient>".
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
    def ses_configuration_set(self) -> str:
        """The configuration set the stack creates when the config names none of its own."""
        return f"{self.prefix}-events"

    def topic(self, spec: "TopicSpec") -> str:
        return f"{self.prefix}-{spec.name}"

    def queue(self, spec: "QueueSpec") -> str:
        return f"{self.prefix}-{spec.name}"

    def dead_letter_queue(self, spec: "QueueSpec") -> str:
        return f"{self.prefix}-{spec.name}-dlq"


def resource_names(config: ServiceConfig) -> ResourceNames:
    return ResourceNames(config.resource_prefix())


def ses_event_configuration_set(config: ServiceConfig) -> str:
    """The configuration set every SendEmail names: the user's own, or the one the stack creates."""
    return config.ses_configuration_set or resource_names(config).ses_configuration_set


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function.

    `capabilities` are what the function is allowed to do, in words both sides understand:
    the stack turns each into the narrowest IAM statement it can write, the local runner
    ignores them (moto does not enforce IAM) and the infrastructure tests check the mapping.
    """

    name: str
    handler: str
    description: str
    timeout_seconds: int
    memory_mb: int
    capabilities: frozenset[str]
    environment: dict[str, str] = field(default_factory=dict)
    resource_env: tuple[str, ...] = ()
    function_url: bool = False
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class ResolverSpec:
    type_name: str
    field_name: str
    function: str


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue with its dead-letter queue, feeding one worker function.

    `env_var` carries the queue's URL to the functions that send to it; None when no function does
    (a queue fed by a topic).
    """

    name: str
    worker: str
    env_var: str | None
    batch_size: int
    max_batching_window_seconds: int
    max_receive_count: int
    dlq_retention_days: int
    visibility_multiplier: int = 6
    dlq_env_var: str | None = None  # carries the DLQ's URL to a worker that parks messages there itself

    @property
    def send_capability(self) -> str:
        return f"queue:send:{self.name}"

    @property
    def dead_letter_send_capability(self) -> str:
        return f"queue:send-dlq:{self.name}"

    @property
    def consume_capability(self) -> str:
        return f"queue:consume:{self.name}"


@dataclass(frozen=True)
class SecretSpec:
    """A Secrets Manager secret a function reads: its name reaches the function in `env_var`."""

    key: str
    name: str
    env_var: str
    read_capability: str


@dataclass(frozen=True)
class TopicSpec:
    """An SNS topic one AWS service publishes to, from one resource of this account, feeding a queue.

    The queue receives SNS notifications (JSON with `Type`, `MessageId`, `TopicArn`, `Message`...), not
    raw messages: the worker reads the service's event from `Message`. Only `<publisher_service>` acting
    for `publisher_resource` (e.g. "configuration-set/<name>") in `publisher_region` (None: the
    stack's region) of this account may publish.
    """

    name: str
    queue: str
    publisher_service: str
    publisher_resource: str
    publisher_region: str | None = None


@dataclass(frozen=True)
class ConfigurationSetSpec:
    """An SES configuration set the stack creates, publishing these sending events to a topic."""

    name: str
    topic: str
    event_types: tuple[str, ...]


@dataclass(frozen=True)
class ScheduleSpec:
    """A function run on a fixed rate (an EventBridge rule in AWS)."""

    name: str
    function: str
    every_minutes: int


@dataclass(frozen=True)
class LogSubscriptionSpec:
    """Every event written to a CloudWatch Logs group, handed to a function (a subscription filter).

    `log_group` may hold `{region}` and `{account}`: the stack fills in its own, the local mode its
    own. With `create_log_group` the stack creates the group (with a retention period) so the filter
    can be attached at deploy; otherwise the group must exist already.
    """

    name: str
    log_group: str
    function: str
    create_log_group: bool = True
    filter_pattern: str = ""

    def log_group_name(self, region: str, account: str) -> str:
        return self.log_group.format(region=region, account=account)


@dataclass(frozen=True)
class ApiPart:
    """What a domain adds to the API function: its router module, its fields, what they need.

    `derived` are settings computed from the config rather than read from cdk.json.
    """

    router: str
    fields: tuple[tuple[str, str], ...]
    capabilities: frozenset[str]
    settings: tuple[str, ...] = ()
    resource_env: tuple[str, ...] = ()
    derived: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Domain:
    name: str
    api: ApiPart | None = None
    functions: tuple[FunctionSpec, ...] = ()
    queues: tuple[QueueSpec, ...] = ()
    secrets: tuple[SecretSpec, ...] = ()
    topics: tuple[TopicSpec, ...] = ()
    configuration_sets: tuple[ConfigurationSetSpec, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    log_subscriptions: tuple[LogSubscriptionSpec, ...] = ()


@dataclass(frozen=True)
class Wiring:
    functions: tuple[FunctionSpec, ...]
    resolvers: tuple[ResolverSpec, ...]
    queues: tuple[QueueSpec, ...]
    table: TableSpec
    secrets: tuple[SecretSpec, ...] = ()
    topics: tuple[TopicSpec, ...] = ()
    configuration_sets: tuple[ConfigurationSetSpec, ...] = ()
    schedules: tuple[ScheduleSpec, ...] = ()
    log_subscriptions: tuple[LogSubscriptionSpec, ...] = ()

    def function(self, name: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def queue(self, name: str) -> QueueSpec:
        for spec in self.queues:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def visibility_timeout_seconds(self, queue: QueueSpec) -> int:
        return self.function(queue.worker).timeout_seconds * queue.visibility_multiplier

    def secret(self, key: str) -> SecretSpec:
        for spec in self.secrets:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def resource_environment(
        self, table_name: str, queue_urls: dict[str, str], secret_names: dict[str, str] | None = None,
        graphql_url: str = "", dead_letter_urls: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Every resource variable with its value; the stack passes CloudFormation references.

        Secret names default to the wiring's; the local mode passes the names it created.
        """
        names = secret_names or {}
        return {
            self.table.env_var: table_name,
            ENV_GRAPHQL_URL: graphql_url,
            **{spec.env_var: names.get(spec.key, spec.name) for spec in self.secrets},
            **{spec.env_var: queue_urls[spec.name] for spec in self.queues if spec.env_var},
            **{spec.dlq_env_var: (dead_letter_urls or {}).get(spec.name, "") for spec in self.queues if spec.dlq_env_var},
        }


# Capabilities (see FunctionSpec). Each names one narrow permission.
# The table, one action each, so a function gets exactly the calls its code makes.
TABLE_GET = "table:get"  # GetItem
TABLE_QUERY = "table:query"  # Query, on the table and its indexes
TABLE_PUT = "table:put"  # PutItem (and the puts of a TransactWriteItems)
TABLE_UPDATE = "table:update"  # UpdateItem
TABLE_DELETE = "table:delete"  # DeleteItem
EMAIL_SEND = "email:send"  # ses:SendEmail for the configured identity only
SMS_PUBLISH = "sms:publish"  # sns:Publish to phone numbers
QUEUE_SEND = "queue:send:outbound"
QUEUE_CONSUME = "queue:consume:outbound"
AT_SECRET_READ = "secret:read:africastalking"
REPORT_TOKEN_READ = "secret:read:report-token"
# appsync:GraphQL on the publishMessageUpdate field only: every function that moves a status has it.
STATUS_PUBLISH = "api:publish:status"
# What every status writer needs to publish: its capability and the URL it posts to.
# They also enqueue webhook events (messenger.webhooks.listener): the webhooks queue's send capability.
WEBHOOK_EVENT_SEND = "queue:send:webhooks"
PUBLISHER_CAPABILITIES = frozenset({STATUS_PUBLISH, WEBHOOK_EVENT_SEND})
PUBLISHER_ENV = (ENV_GRAPHQL_URL, ENV_WEBHOOK_QUEUE_URL)
# Subscriptions: status writers call this mutation (IAM only; a NONE data source returns its input),
# AppSync pushes the result to the subscription field's subscribers whose arguments match it.
PUBLISH_TYPE, PUBLISH_FIELD = "Mutation", "publishMessageUpdate"
SUBSCRIPTION_FIELD = "onMessageUpdated"

API_FUNCTION = "api"


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


def compose(config: ServiceConfig, domains: tuple[Domain, ...]) -> Wiring:
    """One API function serving every domain's fields, then each domain's own functions and queues."""
    parts = [domain.api for domain in domains if domain.api is not None]
    settings = tuple(dict.fromkeys(name for part in parts for name in part.settings))
    derived = {name: value for part in parts for name, value in part.derived.items()}
    api = FunctionSpec(
        name=API_FUNCTION,
        handler="messenger.api.lambda_handler",
        description="GraphQL resolvers: " + ", ".join(f for part in parts for _, f in part.fields),
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
    )


def build_wiring(config: ServiceConfig) -> Wiring:
    from stacks.domains import DOMAINS

    return compose(config, tuple(contribute(config) for contribute in DOMAINS))

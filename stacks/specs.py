"""The wiring's vocabulary: the data types a domain describes itself with (stacks/domains/) and that
`stacks.wiring.compose` puts together. Plain data, importable without aws-cdk-lib.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The AppSync GraphQL URL the status writers publish to (messenger.messages.publish).
ENV_GRAPHQL_URL = "GRAPHQL_URL"
# The AppSync API's id: the clients domain issues and deletes that API's keys (messenger.clients).
ENV_GRAPHQL_API_ID = "GRAPHQL_API_ID"


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
    # Executions reserved for (and capping) this function; None: shares the account's pool.
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
class ScheduleGroupSpec:
    """One-time schedules (EventBridge Scheduler) that hand a payload to `queue` at a set time.

    The stack makes the group and a role Scheduler assumes that may send to that queue only; the
    functions given `manage_capability` create and delete schedules in the group (and pass that role).
    `env_var` carries JSON `{"group", "queueArn", "roleArn"}` to them. The local mode fires due schedules.
    """

    name: str
    queue: str
    env_var: str

    @property
    def manage_capability(self) -> str:
        return f"schedules:manage:{self.name}"


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
class BucketSpec:
    """A private, encrypted, TLS-only bucket whose objects expire after `retention_days`; every object
    created under `prefix` is announced (S3's event notification) on `queue`. Its name reaches the
    functions in `env_var`; `read_capability` / `write_capability` allow GetObject / PutObject on it
    (a pre-signed PUT URL carries its signer's rights)."""

    name: str
    env_var: str
    queue: str
    prefix: str
    suffix: str
    retention_days: int

    @property
    def read_capability(self) -> str:
        return f"bucket:read:{self.name}"

    @property
    def write_capability(self) -> str:
        return f"bucket:write:{self.name}"


@dataclass(frozen=True)
class ApiPart:
    """What a domain adds to the API function: its router module, its fields, what they need.

    `scopes` names, for every field, the client scope it needs (SEND, READ, ADMIN; docs/security.md):
    `compose` refuses a field without one. `derived` are settings computed from the config rather than
    read from cdk.json.
    """

    router: str
    fields: tuple[tuple[str, str], ...]
    capabilities: frozenset[str]
    scopes: dict[str, str] = field(default_factory=dict)  # field name -> scope
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
    schedule_groups: tuple[ScheduleGroupSpec, ...] = ()
    buckets: tuple[BucketSpec, ...] = ()


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
    schedule_groups: tuple[ScheduleGroupSpec, ...] = ()
    buckets: tuple[BucketSpec, ...] = ()

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
        graphql_url: str = "", graphql_api_id: str = "",
        schedule_targets: dict[str, str] | None = None,
        bucket_names: dict[str, str] | None = None,
        dead_letter_urls: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Every resource variable with its value; the stack passes CloudFormation references.

        Secret names default to the wiring's; the local mode passes the names it created.
        `schedule_targets`: by schedule group name, the JSON its `env_var` carries.
        """
        names = secret_names or {}
        targets = schedule_targets or {}
        return {
            self.table.env_var: table_name,
            ENV_GRAPHQL_URL: graphql_url,
            ENV_GRAPHQL_API_ID: graphql_api_id,
            **{spec.env_var: names.get(spec.key, spec.name) for spec in self.secrets},
            **{spec.env_var: queue_urls[spec.name] for spec in self.queues if spec.env_var},
            **{spec.env_var: targets[spec.name] for spec in self.schedule_groups if spec.name in targets},
            **{spec.env_var: (bucket_names or {}).get(spec.name, "") for spec in self.buckets},
            **{spec.dlq_env_var: (dead_letter_urls or {}).get(spec.name, "") for spec in self.queues if spec.dlq_env_var},
        }

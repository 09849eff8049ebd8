"""The one description of how the service is wired.

Both the CDK stack (`stacks/`) and the local runner (`local/`) read this module, so the deployed
service and the one on a laptop cannot drift apart: which GraphQL field resolves in which function,
what each function may do, which environment it gets, which queue feeds which worker, and the shape
of the single DynamoDB table.

This module must stay importable without aws-cdk-lib: the local runner and the tests use it too.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str


@dataclass(frozen=True)
class TableSpec:
    partition_key: str
    sort_key: str
    ttl_attribute: str
    indexes: tuple[IndexSpec, ...]


# Messages: PK "MESSAGE#<recipient>", SK "MESSAGE#<ULID>".
# Idempotency keys: PK = SK = "IDEMPOTENCY#<key>", expiring through the TTL attribute.
# The sparse index finds a message from the id its provider gave it (delivery reports).
TABLE = TableSpec(
    partition_key="PK",
    sort_key="SK",
    ttl_attribute="expiresAt",
    indexes=(IndexSpec(name="byProviderMessageId", partition_key="providerMessageId"),),
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

    def queue(self, spec: "QueueSpec") -> str:
        return f"{self.prefix}-{spec.name}"

    def dead_letter_queue(self, spec: "QueueSpec") -> str:
        return f"{self.prefix}-{spec.name}-dlq"


def resource_names(config: ServiceConfig) -> ResourceNames:
    return ResourceNames(config.resource_prefix())


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


@dataclass(frozen=True)
class ResolverSpec:
    type_name: str
    field_name: str
    function: str


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue with its dead-letter queue, feeding one worker function."""

    name: str
    worker: str
    env_var: str
    batch_size: int
    max_batching_window_seconds: int
    max_receive_count: int
    dlq_retention_days: int
    visibility_multiplier: int = 6

    @property
    def send_capability(self) -> str:
        return f"queue:send:{self.name}"

    @property
    def consume_capability(self) -> str:
        return f"queue:consume:{self.name}"


@dataclass(frozen=True)
class Wiring:
    functions: tuple[FunctionSpec, ...]
    resolvers: tuple[ResolverSpec, ...]
    queues: tuple[QueueSpec, ...]
    table: TableSpec

    def function(self, name: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def visibility_timeout_seconds(self, queue: QueueSpec) -> int:
        return self.function(queue.worker).timeout_seconds * queue.visibility_multiplier


# Capabilities (see FunctionSpec). Each names one narrow permission.
# The table, one action each, so a function gets exactly the calls its code makes.
TABLE_GET = "table:get"  # GetItem
TABLE_QUERY = "table:query"  # Query, on the table and its indexes
TABLE_PUT = "table:put"  # PutItem (and the puts of a TransactWriteItems)
TABLE_UPDATE = "table:update"  # UpdateItem
EMAIL_SEND = "email:send"  # ses:SendEmail for the configured identity only
SMS_PUBLISH = "sms:publish"  # sns:Publish to phone numbers
QUEUE_SEND = "queue:send:outbound"
QUEUE_CONSUME = "queue:consume:outbound"
AT_SECRET_READ = "secret:read:africastalking"
REPORT_TOKEN_READ = "secret:read:report-token"


DISPATCH_TIMEOUT_SECONDS = 30


def _common_environment(config: ServiceConfig) -> dict[str, str]:
    return {
        "POWERTOOLS_SERVICE_NAME": f"{config.stage}-messaging",
        "POWERTOOLS_METRICS_NAMESPACE": "Messaging",
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
        "STAGE": config.stage,
    }


def _sending_environment(config: ServiceConfig) -> dict[str, str]:
    return {
        "SENDER_EMAIL": config.sender_email,
        "ALLOWED_FROM_ADDRESSES": ",".join(config.allowed_from_addresses),
        "SES_REGION": config.ses_region or "",
        "SES_CONFIGURATION_SET": config.ses_configuration_set or "",
        "SNS_REGION": config.sns_region or "",
        "SMS_TYPE": config.sms_type,
        "SMS_SENDER_IDS": ",".join(config.sms_sender_ids),
        "AT_COUNTRY_CODES": ",".join(config.at_country_codes),
        "DEFAULT_SMS_PROVIDER": config.default_sms_provider,
        "MAX_SMS_SEGMENTS": str(config.max_sms_segments),
        "MAX_EMAIL_BODY_BYTES": str(config.max_email_body_bytes),
        "MAX_SUBJECT_CHARS": str(config.max_subject_chars),
        "IDEMPOTENCY_TTL_HOURS": str(config.idempotency_ttl_hours),
    }


def build_wiring(config: ServiceConfig) -> Wiring:
    sending = {**_common_environment(config), **_sending_environment(config)}
    api = FunctionSpec(
        name="api",
        handler="messenger.api.lambda_handler",
        description="GraphQL resolvers: sendMessage and getMessages",
        timeout_seconds=15,
        memory_mb=512,
        capabilities=frozenset(
            {TABLE_GET, TABLE_QUERY, TABLE_PUT, TABLE_UPDATE, EMAIL_SEND, SMS_PUBLISH, QUEUE_SEND}
        ),
        environment=sending,
        resource_env=(ENV_TABLE_NAME, ENV_OUTBOUND_QUEUE_URL),
    )
    dispatch = FunctionSpec(
        name="dispatch",
        handler="messenger.sending.worker.lambda_handler",
        description="Sends queued messages: Africa's Talking in batches, SES/SNS retries",
        timeout_seconds=DISPATCH_TIMEOUT_SECONDS,
        memory_mb=512,
        capabilities=frozenset(
            {TABLE_GET, TABLE_UPDATE, EMAIL_SEND, SMS_PUBLISH, QUEUE_CONSUME, AT_SECRET_READ}
        ),
        environment={
            **sending,
            "AT_SENDER_ID": config.at_sender_id or "",
            "AT_MAX_RECIPIENTS": str(config.at_max_recipients_per_request),
            "AT_BASE_URL": config.at_base_url or "",
            "AT_SECRET_MAX_AGE_SECONDS": str(config.at_secret_max_age_seconds),
            "MAX_RECEIVE_COUNT": str(config.max_receive_count),
            "RETRY_BASE_SECONDS": str(config.retry_base_seconds),
            # A claim older than the worker's timeout belongs to an attempt that is gone.
            "CLAIM_LEASE_SECONDS": str(DISPATCH_TIMEOUT_SECONDS),
        },
        resource_env=(ENV_TABLE_NAME, ENV_AT_SECRET_NAME, ENV_OUTBOUND_QUEUE_URL),
    )
    reports = FunctionSpec(
        name="delivery_reports",
        handler="messenger.delivery_reports.handler.lambda_handler",
        description="Africa's Talking delivery-report callback",
        timeout_seconds=10,
        memory_mb=256,
        capabilities=frozenset({TABLE_QUERY, TABLE_UPDATE, REPORT_TOKEN_READ}),
        environment={**_common_environment(config)},
        resource_env=(ENV_TABLE_NAME, ENV_REPORT_TOKEN_SECRET_NAME),
        function_url=True,
    )
    outbound = QueueSpec(
        name="outbound",
        worker="dispatch",
        env_var=ENV_OUTBOUND_QUEUE_URL,
        batch_size=config.worker_batch_size,
        max_batching_window_seconds=config.worker_batching_window_seconds,
        max_receive_count=config.max_receive_count,
        dlq_retention_days=14,
    )
    return Wiring(
        functions=(api, dispatch, reports),
        resolvers=(
            ResolverSpec("Mutation", "sendMessage", "api"),
            ResolverSpec("Query", "getMessages", "api"),
        ),
        queues=(outbound,),
        table=TABLE,
    )

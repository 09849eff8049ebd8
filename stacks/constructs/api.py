"""The AppSync GraphQL API: schema, API key (clients) and IAM (the service's own publish), logging, one
resolver per `wiring.ResolverSpec`, and the subscription's NONE-data-source resolvers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import CfnOutput, Expiration, Stack
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import PROJECT_ROOT, ServiceConfig
from stacks.constructs.functions import LOG_ACTIONS, LOG_RETENTION, construct_id
from stacks.nag import acknowledge
from stacks.wiring import (
    PUBLISH_FIELD,
    PUBLISH_TYPE,
    QUERY_DEPTH_LIMIT,
    SUBSCRIPTION_FIELD,
    Wiring,
    stack_key_description,
)

SCHEMA_FILE = PROJECT_ROOT / "schema.graphql"
RESOLVERS = Path(__file__).resolve().parent.parent / "resolvers"
ENVELOPE_RESOLVER = RESOLVERS / "lambda_envelope.js"
PUBLISH_RESOLVER = RESOLVERS / "publish_message_update.js"
SUBSCRIPTION_RESOLVER = RESOLVERS / "on_message_updated.js"


class GraphqlApi(Construct):
    """The API first (the functions get its URL), then `add_lambda_resolvers` once the functions exist."""

    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig) -> None:
        super().__init__(scope, id)
        prefix = config.resource_prefix()
        log_role = iam.Role(self, "LogRole", assumed_by=iam.ServicePrincipal("appsync.amazonaws.com"))
        self.api = appsync.GraphqlApi(
            self,
            "Api",
            name=f"{prefix}-api",
            definition=appsync.Definition.from_file(str(SCHEMA_FILE)),
            authorization_config=appsync.AuthorizationConfig(
                default_authorization=appsync.AuthorizationMode(
                    authorization_type=appsync.AuthorizationType.API_KEY,
                    api_key_config=appsync.ApiKeyConfig(
                        name=f"{prefix}-key",
                        # The API function recognises the stack's key by this description
                        # (messenger/clients: registered as the all-scopes client `stack`).
                        description=stack_key_description(config),
                        # A fixed date from the config: "now + n days" would change on every synth.
                        expires=Expiration.at_date(config.api_key_expires()),
                    ),
                ),
                # IAM only for the service's own publishMessageUpdate (@aws_iam in the schema).
                additional_authorization_modes=[
                    appsync.AuthorizationMode(authorization_type=appsync.AuthorizationType.IAM)
                ],
            ),
            xray_enabled=True,
            query_depth_limit=QUERY_DEPTH_LIMIT,
        )
        # Logging is set on the L1 resource: the L2 `log_config` also creates a LogRetention custom
        # resource (a Node.js Lambda with a managed-policy role) to set the retention, which the
        # log group below sets directly.
        cfn_api: appsync.CfnGraphQLApi = self.api.node.default_child
        cfn_api.log_config = appsync.CfnGraphQLApi.LogConfigProperty(
            cloud_watch_logs_role_arn=log_role.role_arn,
            field_log_level=appsync.FieldLogLevel.ERROR.value,
            exclude_verbose_content=True,
        )
        acknowledge(
            cfn_api,
            "AwsSolutions-ASC3",
            "Request and field (ERROR) logging are on; verbose content is excluded on purpose: it would "
            "copy message bodies, recipients' addresses and phone numbers into CloudWatch Logs.",
        )
        # The group AppSync writes to, created here to give it a retention period.
        log_group = logs.LogGroup(
            self, "Logs", log_group_name=f"/aws/appsync/apis/{self.api.api_id}", retention=LOG_RETENTION
        )
        log_role.attach_inline_policy(
            iam.Policy(self, "LogPolicy", statements=[
                iam.PolicyStatement(actions=list(LOG_ACTIONS), resources=[log_group.log_group_arn])
            ])  # fmt: skip
        )
        self._subscriptions()
        stack = Stack.of(self)
        CfnOutput(stack, "GraphqlUrl", value=self.api.graphql_url)
        # No output names the API key, not even its id or ARN: an AppSync key's id is the very
        # string clients send as x-api-key. `aws appsync list-api-keys --api-id <GraphqlApiId>`
        # reads it for whoever may call appsync:ListApiKeys.
        CfnOutput(stack, "GraphqlApiId", value=self.api.api_id)

    @property
    def publish_field_arn(self) -> str:
        """What `appsync:GraphQL` may be granted on: the publish mutation, nothing else."""
        return f"{self.api.arn}/types/{PUBLISH_TYPE}/fields/{PUBLISH_FIELD}"

    def _subscriptions(self) -> None:
        # Publishing runs no Lambda: a NONE data source returns the mutation's input.
        none = self.api.add_none_data_source("StatusUpdates", name="StatusUpdates")
        for type_name, field_name, source in (
            (PUBLISH_TYPE, PUBLISH_FIELD, PUBLISH_RESOLVER),
            ("Subscription", SUBSCRIPTION_FIELD, SUBSCRIPTION_RESOLVER),
        ):
            none.create_resolver(
                f"{type_name}{field_name[0].upper()}{field_name[1:]}Resolver",
                type_name=type_name,
                field_name=field_name,
                runtime=appsync.FunctionRuntime.JS_1_0_0,
                code=appsync.Code.from_inline(source.read_text()),
            )

    def add_lambda_resolvers(self, wiring: Wiring, functions: Mapping[str, lambda_.IFunction]) -> None:
        code = appsync.Code.from_inline(ENVELOPE_RESOLVER.read_text())
        data_sources: dict[str, appsync.LambdaDataSource] = {}
        for resolver in wiring.resolvers:
            if resolver.function not in data_sources:
                data_sources[resolver.function] = self._data_source(resolver.function, functions[resolver.function])
            data_sources[resolver.function].create_resolver(
                f"{resolver.type_name}{resolver.field_name[0].upper()}{resolver.field_name[1:]}Resolver",
                type_name=resolver.type_name,
                field_name=resolver.field_name,
                runtime=appsync.FunctionRuntime.JS_1_0_0,
                code=code,
            )

    def _data_source(self, name: str, function: lambda_.IFunction) -> appsync.LambdaDataSource:
        # A role that may invoke exactly this function's ARN. Handing the data source an immutable
        # view of it stops CDK's grant_invoke from adding "<arn>:*" (every version and alias).
        role = iam.Role(
            self,
            f"{construct_id(name)}InvokeRole",
            assumed_by=iam.ServicePrincipal("appsync.amazonaws.com"),
            inline_policies={"invoke": iam.PolicyDocument(statements=[
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
            ])},
        )  # fmt: skip
        return appsync.LambdaDataSource(
            self,
            f"{construct_id(name)}DataSource",
            api=self.api,
            lambda_function=function,
            name=f"{construct_id(name)}Lambda",
            service_role=role.without_policy_updates(),
        )

"""The one factory that turns every `wiring.FunctionSpec` into a Lambda function."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.bundling import ARCHITECTURE, RUNTIME
from stacks.config import ServiceConfig
from stacks.constructs.permissions import Permission
from stacks.nag import acknowledge
from stacks.wiring import FunctionSpec, Wiring

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def construct_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class MessagingFunctions(Construct):
    """Every function of the wiring: same runtime, architecture and code asset; own role and logs.

    A function's role holds exactly: writing to its own log group, X-Ray segments (added by CDK for
    active tracing) and the statements of its capabilities. No managed policies.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: ServiceConfig,
        wiring: Wiring,
        code: lambda_.Code,
        permissions: Mapping[str, Permission],
        resource_env: Mapping[str, str],
    ) -> None:
        super().__init__(scope, id)
        self._config = config
        self._code = code
        self._permissions = permissions
        self._resource_env = resource_env
        self.by_name: dict[str, lambda_.Function] = {}
        for spec in wiring.functions:
            self.by_name[spec.name] = self._function(spec)

    def function_name(self, spec: FunctionSpec) -> str:
        return f"{self._config.resource_prefix()}-{spec.name.replace('_', '-')}"

    def _function(self, spec: FunctionSpec) -> lambda_.Function:
        scope = Construct(self, construct_id(spec.name))
        name = self.function_name(spec)
        log_group = logs.LogGroup(scope, "Logs", log_group_name=f"/aws/lambda/{name}", retention=LOG_RETENTION)
        unknown = spec.capabilities - self._permissions.keys()
        if unknown:
            raise ValueError(f"{spec.name}: no IAM statements for capabilities {sorted(unknown)}")
        permissions = [self._permissions[capability] for capability in sorted(spec.capabilities)]
        statements = [iam.PolicyStatement(actions=list(LOG_ACTIONS), resources=[log_group.log_group_arn])]
        statements += [statement for permission in permissions for statement in permission.statements]
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name}: {', '.join(sorted(spec.capabilities))}",
            inline_policies={"capabilities": iam.PolicyDocument(statements=statements)},
        )
        function = lambda_.Function(
            scope,
            "Function",
            function_name=name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=self._code,
            handler=spec.handler,
            timeout=Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            reserved_concurrent_executions=spec.reserved_concurrency,
            environment={**spec.environment, **{key: self._resource_env[key] for key in spec.resource_env}},
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
        )
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5[Resource::*]",
            "xray:PutTraceSegments and xray:PutTelemetryRecords, added by CDK for active tracing, "
            "support no resource-level permissions.",
        )
        for permission in permissions:
            for finding, reason in permission.acknowledgments:
                acknowledge(role.node.default_child, finding, reason)
        if spec.function_url:
            self._add_public_url(spec, function)
        return function

    def _add_public_url(self, spec: FunctionSpec, function: lambda_.Function) -> None:
        # Africa's Talking cannot sign requests, so the URL is public; the handler accepts only
        # requests to /reports/<token> and compares the token in constant time.
        url = function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
        CfnOutput(
            Stack.of(self),
            f"{construct_id(spec.name)}FunctionUrl",
            value=url.url,
            description="Public URL; the callback URL is this + 'reports/<token>' (token in the secret)",
        )


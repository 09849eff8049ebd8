"""SNS delivery-status logging for SMS: the account-level attribute, its role and nothing wider.

SNS logs the outcome of every SMS published to a phone number only once the account's SMS attributes
(per region) name a role it may assume: `DeliveryStatusIAMRole`, and `DeliveryStatusSuccessSamplingRate`
(the share of successful deliveries logged; failures are always logged). No CloudFormation resource
sets these, so a custom resource calls SNS SetSMSAttributes on create and update. Its role may make
that one call and pass that one role to SNS; the role SNS assumes may write to the two delivery-status
log groups only.

On stack deletion the attribute is left as it is (README, "Receipts"): another stack of the same
account and region may rely on it, and resetting it would silently switch that stack's receipts off.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import ArnFormat, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct, IDependable

from stacks.config import ServiceConfig
from stacks.constructs.functions import LOG_ACTIONS, LOG_RETENTION
from stacks.nag import acknowledge

SET_SMS_ATTRIBUTES = "sns:SetSMSAttributes"


class SmsDeliveryStatus(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, log_groups: Iterable[str],
                 depends_on: Iterable[IDependable] = ()) -> None:  # fmt: skip
        """`log_groups`: the delivery-status log group names, with `{region}` and `{account}` in them."""
        super().__init__(scope, id)
        stack = Stack.of(self)
        prefix = config.resource_prefix()
        log_groups = tuple(log_groups)
        log_group_names = [name.format(region=stack.region, account=stack.account) for name in log_groups]
        # A log group's ARN, and the ARN its streams fall under (":*").
        log_group_arns = [
            arn
            for name in log_group_names
            for arn in (
                stack.format_arn(service="logs", resource="log-group", resource_name=name,
                                 arn_format=ArnFormat.COLON_RESOURCE_NAME),  # fmt: skip
                stack.format_arn(service="logs", resource="log-group", resource_name=f"{name}:*",
                                 arn_format=ArnFormat.COLON_RESOURCE_NAME),  # fmt: skip
            )
        ]
        # The role SNS assumes to write delivery-status lines. CreateLogGroup is in AWS's documented
        # minimum; the groups exist already (the stack creates them), so it only meets "already exists".
        self.delivery_status_role = iam.Role(
            self,
            "LoggingRole",
            assumed_by=iam.ServicePrincipal("sns.amazonaws.com"),
            description=f"{prefix}: SNS writes SMS delivery status to its two log groups",
            inline_policies={"delivery-status-logs": iam.PolicyDocument(statements=[
                iam.PolicyStatement(actions=["logs:CreateLogGroup", *LOG_ACTIONS], resources=log_group_arns)
            ])},
        )  # fmt: skip
        # The finding's id names the ARN as cdk-nag renders it: a value the stack does not know yet as
        # <AWS::Region>, one it knows (a stack with an environment) as itself.
        region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        for name in log_groups:
            log_group = name.format(region=region, account=account)
            arn = f"arn:<AWS::Partition>:logs:{region}:{account}:log-group:{log_group}"
            acknowledge(
                self.delivery_status_role,
                f"AwsSolutions-IAM5[Resource::{arn}:*]",
                "The streams SNS creates in this one delivery-status log group; their names are SNS's.",
            )
        provider_logs = logs.LogGroup(self, "ProviderLogs", retention=LOG_RETENTION)
        provider_role = iam.Role(
            self,
            "ProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{prefix}: sets the account's SMS delivery-status attributes",
            inline_policies={"set-sms-attributes": iam.PolicyDocument(statements=[
                iam.PolicyStatement(actions=[SET_SMS_ATTRIBUTES], resources=["*"]),
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[self.delivery_status_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "sns.amazonaws.com"}},
                ),
                iam.PolicyStatement(actions=list(LOG_ACTIONS), resources=[provider_logs.log_group_arn]),
            ])},
        )  # fmt: skip
        acknowledge(
            provider_role,
            "AwsSolutions-IAM5[Resource::*]",
            "sns:SetSMSAttributes acts on the account's SMS settings and supports no resource-level "
            "permissions; the role can make no other SNS call and pass no other role.",
        )
        call = cr.AwsSdkCall(
            service="SNS",
            action="setSMSAttributes",
            parameters={
                "attributes": {
                    "DeliveryStatusIAMRole": self.delivery_status_role.role_arn,
                    "DeliveryStatusSuccessSamplingRate": str(config.sms_delivery_sampling_percent),
                }
            },
            physical_resource_id=cr.PhysicalResourceId.of(f"{prefix}-sms-delivery-status"),
        )
        self.attributes = cr.AwsCustomResource(
            self,
            "Attributes",
            resource_type="Custom::SmsDeliveryStatus",
            on_create=call,
            on_update=call,
            role=provider_role,
            log_group=provider_logs,
            install_latest_aws_sdk=False,
            timeout=Duration.minutes(2),
        )
        for dependable in depends_on:
            self.attributes.node.add_dependency(dependable)


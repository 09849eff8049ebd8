"""The messaging service: every resource, generated from `stacks.wiring`."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from stacks import wiring as w
from stacks.bundling import lambda_code
from stacks.config import ServiceConfig
from stacks.constructs.api import GraphqlApi
from stacks.constructs.functions import MessagingFunctions
from stacks.constructs.monitoring import Monitoring
from stacks.constructs.permissions import capability_permissions
from stacks.constructs.queues import WorkQueues
from stacks.constructs.secrets import Secrets
from stacks.constructs.table import MessagesTable
from stacks.constructs.waf import ApiFirewall


class MessagingStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        wiring = w.build_wiring(config)
        table = MessagesTable(self, "Messages", config=config, spec=wiring.table).table
        secrets = Secrets(self, "Secrets", wiring=wiring)
        queues = WorkQueues(self, "Queues", config=config, wiring=wiring)
        resource_env = wiring.resource_environment(
            table.table_name, {queue.spec.name: queue.queue.queue_url for queue in queues}
        )
        functions = MessagingFunctions(
            self,
            "Functions",
            config=config,
            wiring=wiring,
            code=lambda_code(),
            permissions=capability_permissions(
                self,
                config=config,
                table=table,
                wiring=wiring,
                queues=queues,
                secrets=secrets.by_key,
            ),
            resource_env=resource_env,
        )
        for queue in queues:
            queue.connect_worker(functions.by_name[queue.spec.worker])
        api = GraphqlApi(self, "Graphql", config=config, wiring=wiring, functions=functions.by_name)
        ApiFirewall(self, "Firewall", config=config, resource_arn=api.api.arn)
        Monitoring(self, "Monitoring", config=config, queues=queues, functions=functions.by_name)
        CfnOutput(self, "TableName", value=table.table_name)
        CfnOutput(self, "AfricasTalkingSecretName", value=secrets.at_secret_name)
        CfnOutput(self, "DeliveryReportTokenSecretName", value=secrets.report_token_secret_name)

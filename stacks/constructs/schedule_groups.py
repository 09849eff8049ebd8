"""One-time schedule groups (EventBridge Scheduler), one per `wiring.ScheduleGroupSpec`.

Each group has its own role, which Scheduler assumes to deliver a schedule's payload: it may call
sqs:SendMessage on the group's queue and nothing else, and only Scheduler acting for a schedule of
this account may assume it (aws:SourceAccount). The functions that manage the group's schedules get
`schedules:manage:<group>` (stacks/constructs/permissions.py): Create/DeleteSchedule in that group
and iam:PassRole on this role only, to Scheduler only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.constructs.queues import WorkQueue
from stacks.wiring import ScheduleGroupSpec, Wiring, resource_names, schedule_target_json

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


@dataclass(frozen=True)
class ScheduleGroupResources:
    spec: ScheduleGroupSpec
    group_name: str
    group_arn: str
    role: iam.Role


class ScheduleGroups(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, wiring: Wiring,
                 queues: Mapping[str, WorkQueue]) -> None:  # fmt: skip
        super().__init__(scope, id)
        stack = Stack.of(self)
        names = resource_names(config)
        self.by_name: dict[str, ScheduleGroupResources] = {}
        for spec in wiring.schedule_groups:
            group_name = names.schedule_group(spec)
            scope_ = Construct(self, spec.name.capitalize())
            group = scheduler.CfnScheduleGroup(scope_, "Group", name=group_name)
            queue = queues[spec.queue].queue
            role = iam.Role(
                scope_,
                "Role",
                description=f"EventBridge Scheduler delivering the {group_name} schedules to {spec.queue}",
                assumed_by=iam.ServicePrincipal(
                    SCHEDULER_PRINCIPAL, conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
                ),
                inline_policies={
                    "deliver": iam.PolicyDocument(
                        statements=[iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])]
                    )
                },
            )
            self.by_name[spec.name] = ScheduleGroupResources(spec, group_name, group.attr_arn, role)
            CfnOutput(stack, f"{spec.name.capitalize()}ScheduleGroupName", value=group_name)

    def targets(self, queues: Mapping[str, WorkQueue]) -> dict[str, str]:
        """By group spec name: the JSON its env var carries, with CloudFormation references in it."""
        stack = Stack.of(self)
        return {
            name: stack.to_json_string(
                schedule_target_json(group.group_name, queues[group.spec.queue].queue.queue_arn, group.role.role_arn)
            )
            for name, group in self.by_name.items()
        }

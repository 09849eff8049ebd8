"""What runs a function besides AppSync and its queue: schedules and log subscriptions from the wiring."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as destinations
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.constructs.functions import LOG_RETENTION, construct_id
from stacks.wiring import Wiring


def _id(name: str) -> str:
    return construct_id(name.replace("-", "_"))


class Schedules(Construct):
    """An EventBridge rule per `wiring.ScheduleSpec`.

    A run that could not start is retried for at most one period: after that the next run is due and
    does the same work. The function is not retried on an error either (Lambda's asynchronous retries
    are off): the next run, one period later, is the retry.
    """

    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, wiring: Wiring,
                 functions: Mapping[str, lambda_.Function]) -> None:  # fmt: skip
        super().__init__(scope, id)
        for spec in wiring.schedules:
            period = Duration.minutes(spec.every_minutes)
            function = functions[spec.function]
            events.Rule(
                self,
                _id(spec.name),
                rule_name=f"{config.resource_prefix()}-{spec.name}",
                description=f"Runs {spec.function} every {spec.every_minutes} minutes",
                schedule=events.Schedule.rate(period),
                targets=[targets.LambdaFunction(function, retry_attempts=2, max_event_age=period)],
            )
            function.configure_async_invoke(retry_attempts=0, max_event_age=period)


class LogSubscriptions(Construct):
    """A subscription filter per `wiring.LogSubscriptionSpec`, delivering to the function directly.

    Groups the stack creates are deleted with it: they hold recipients' numbers, and a group kept
    after the stack would make the next deploy of the same stage fail on its name.
    """

    def __init__(self, scope: Construct, id: str, *, wiring: Wiring,
                 functions: Mapping[str, lambda_.IFunction]) -> None:  # fmt: skip
        super().__init__(scope, id)
        self.created_log_groups: list[logs.LogGroup] = []
        stack = Stack.of(self)
        for spec in wiring.log_subscriptions:
            scope_ = Construct(self, _id(spec.name))
            name = spec.log_group_name(region=stack.region, account=stack.account)
            if spec.create_log_group:
                log_group = logs.LogGroup(
                    scope_, "LogGroup", log_group_name=name, retention=LOG_RETENTION,
                    removal_policy=RemovalPolicy.DESTROY,
                )  # fmt: skip
                self.created_log_groups.append(log_group)
            else:
                log_group = logs.LogGroup.from_log_group_name(scope_, "LogGroup", name)
            logs.SubscriptionFilter(
                scope_,
                "Filter",
                log_group=log_group,
                destination=destinations.LambdaDestination(functions[spec.function]),
                filter_pattern=logs.FilterPattern.literal(spec.filter_pattern),
                filter_name=spec.name,
            )

"""One CloudWatch dashboard: what was sent, delivered and failed per channel, how long receipts take,
what was suppressed and swept, and what waits in the dead-letter queues."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from stacks.config import ServiceConfig
from stacks.constructs import metrics as m
from stacks.constructs.queues import WorkQueue
from stacks.wiring import CHANNELS

PERIOD = Duration.minutes(5)
WIDTH = 8


class Dashboard(Construct):
    def __init__(self, scope: Construct, id: str, *, config: ServiceConfig, queues: Iterable[WorkQueue]) -> None:
        super().__init__(scope, id)

        def per_channel(name: str, channels=CHANNELS) -> list[cloudwatch.IMetric]:
            return [m.channel_metric(config, name, channel, period=PERIOD) for channel in channels]

        def graph(title: str, metrics: list[cloudwatch.IMetric], unit: str = "Count") -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=metrics, width=WIDTH, left_y_axis=cloudwatch.YAxisProps(
                label=unit, show_units=False, min=0))  # fmt: skip

        latency = [
            m.channel_metric(config, m.RECEIPT_LATENCY, channel, period=PERIOD, statistic=statistic,
                             label=f"{channel} {statistic}")  # fmt: skip
            for channel in CHANNELS
            for statistic in ("p50", "p95")
        ]
        dead_letters = [
            queue.dlq.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum", label=queue.spec.name
            )
            for queue in queues
        ]
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=config.resource_prefix(),
            widgets=[
                [
                    graph("Messages sent", per_channel(m.MESSAGES_SENT)),
                    graph("Messages delivered", per_channel(m.MESSAGES_DELIVERED)),
                    graph("Messages failed", per_channel(m.MESSAGES_FAILED)),
                ],
                [
                    graph("Receipt latency, hand-off to final status (p50, p95)", latency, unit="Milliseconds"),
                    graph("Suppressions added, by reason", per_channel(m.SUPPRESSIONS_ADDED, m.SUPPRESSION_REASONS)),
                    graph("Closed by the sweeper", per_channel(m.SWEEPER_CLOSED)),
                ],
                [graph("Dead-letter queues (messages waiting)", dead_letters)],
            ],
        )

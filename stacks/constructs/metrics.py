"""The service's own CloudWatch metrics, as the functions emit them (messenger.core.observability).

Each is in the `Messaging` namespace with two dimensions: `channel` ("EMAIL/SES", "SMS/SNS",
"SMS/AFRICASTALKING"; for SuppressionsAdded the reason: "bounce", "complaint", "blacklisted") and
`service`, which Powertools adds to every metric ("<stage>-messaging"). A CloudWatch metric is known
by all its dimensions, so both are named here.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from stacks.config import ServiceConfig
from stacks.wiring import CHANNELS, METRICS_NAMESPACE, metrics_service

MESSAGES_SENT = "MessagesSent"
MESSAGES_DELIVERED = "MessagesDelivered"
MESSAGES_FAILED = "MessagesFailed"
RECEIPT_LATENCY = "ReceiptLatency"  # milliseconds from the hand-off to a final status
SUPPRESSIONS_ADDED = "SuppressionsAdded"  # its `channel` dimension holds the reason
SUPPRESSION_REASONS = ("bounce", "complaint", "blacklisted")
SWEEPER_CLOSED = "SweeperClosed"


def channel_metric(config: ServiceConfig, name: str, channel: str, *, period: Duration,
                   statistic: str = "Sum", label: str | None = None) -> cloudwatch.Metric:  # fmt: skip
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"channel": channel, "service": metrics_service(config)},
        statistic=statistic,
        period=period,
        label=label or channel,
    )


def all_channels_sum(config: ServiceConfig, name: str, *, period: Duration) -> cloudwatch.MathExpression:
    """The sum over every channel; a channel without data counts as 0."""
    metrics = {f"m{i}": channel_metric(config, name, channel, period=period) for i, channel in enumerate(CHANNELS)}
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({key}, 0)" for key in metrics),
        using_metrics=metrics,
        period=period,
        label=f"{name} (all channels)",
    )

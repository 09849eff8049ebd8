"""Powertools Logger, Metrics and Tracer, shared by every handler.

Logger and Metrics are cheap and created at import. The Tracer is created on the first invocation:
building it imports the X-Ray SDK, which creates its own botocore client (~0.3 s), and that cost
belongs to requests, not to every cold start of a function whose request may not need it.
"""

from __future__ import annotations

import logging
from functools import cache, wraps

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

logger = Logger()
metrics = Metrics()

# The logic logs through the standard `logging` module under "messenger.*"; give that tree the
# Powertools handler so its lines are JSON with the same correlation id and keys.
logging.getLogger("messenger")
copy_config_to_registered_loggers(source_logger=logger, include={"messenger"})


@cache
def tracer():
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=("botocore",))


def traced(handler):
    """Like `tracer.capture_lambda_handler`, with the tracer built on first use."""
    captured = None

    @wraps(handler)
    def wrapper(event, context):
        nonlocal captured
        if captured is None:
            captured = tracer().capture_lambda_handler(handler, capture_response=False)
        return captured(event, context)

    return wrapper


def count(name: str, channel: str, value: int = 1) -> None:
    """One metric with a `channel` dimension (EMAIL/SMS and provider)."""
    _emit(name, MetricUnit.Count, value, channel)


def measure(name: str, channel: str, milliseconds: float) -> None:
    _emit(name, MetricUnit.Milliseconds, milliseconds, channel)


def _emit(name: str, unit: MetricUnit, value: float, channel: str) -> None:
    if is_metrics_disabled():  # single_metric does not look at POWERTOOLS_METRICS_DISABLED itself
        return
    with single_metric(name=name, unit=unit, value=value, namespace=metrics.namespace) as metric:
        metric.add_dimension(name="channel", value=channel)

"""Powertools Logger, Metrics and Tracer, shared by every handler.

Logger and Metrics are cheap and created at import. The Tracer is created only for an invocation that
X-Ray keeps (sampled): building it imports the X-Ray SDK, which creates a botocore client of its own
(~0.3 s). Every function runs with Lambda's active tracing (stacks/constructs/functions.py): Lambda
itself records each sampled invocation's segment (initialisation, invocation, overhead) and hands the
invocation its trace header in `_X_AMZN_TRACE_ID`, with `Sampled=1` or `Sampled=0`. The SDK only adds
subsegments (the AWS calls, through its botocore patch) to sampled traces, so for an unsampled
invocation it would cost 0.3 s and record nothing: it is not loaded until a sampled invocation comes,
and then patches botocore for that instance's life (clients made earlier included: the patch is on
botocore's client class). Outside Lambda (no AWS_LAMBDA_FUNCTION_NAME: tests, the local mode) or with
POWERTOOLS_TRACE_DISABLED there is no X-Ray daemon to send to, and nothing is loaded.
"""

from __future__ import annotations

import logging
import os
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
    """Like `tracer.capture_lambda_handler`, for the invocations X-Ray samples; the others run bare."""
    captured = None

    @wraps(handler)
    def wrapper(event, context):
        nonlocal captured
        if not invocation_is_traced():
            return handler(event, context)
        if captured is None:
            captured = tracer().capture_lambda_handler(handler, capture_response=False)
        return captured(event, context)

    return wrapper


def invocation_is_traced() -> bool:
    """In Lambda, tracing not switched off, and this invocation's trace header says X-Ray keeps it."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return False
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in ("1", "true"):
        return False
    return "Sampled=1" in os.environ.get("_X_AMZN_TRACE_ID", "").split(";")


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

"""Cold start of the API handler, and the AWS calls each GraphQL operation makes.

1. Import + initialise `messenger.api` in a fresh interpreter, N times, beside a baseline
   measured the same way in the same run: `import boto3` plus one DynamoDB client.
   Target: median(handler) / median(baseline) <= 1.5.
   Also shown: what the handler defers to its first request (the X-Ray SDK behind Powertools'
   Tracer), so the figure hides nothing.
2. Run sendMessage (e-mail, SMS) and getMessages once each against moto and count the AWS calls.
   Targets: sendMessage at most 3 sequential calls, getMessages exactly 1.

Usage: .venv/bin/python bench/cold_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]

from stacks.config import load_cdk_json_config  # noqa: E402 - after the path above
from stacks.wiring import build_wiring  # noqa: E402

ENV = {
    # The API function's own environment from the wiring (settings, routers), as Lambda gives it.
    **build_wiring(load_cdk_json_config()).function("api").environment,
    "TABLE_NAME": "bench-table",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    "PYTHONPATH": f"{ROOT}:{ROOT / 'lambdas'}",
}

TIMED = """
import time
t = time.perf_counter()
{code}
print((time.perf_counter() - t) * 1000)
"""

CASES = {
    "baseline: import boto3 + one DynamoDB client": "import boto3\nboto3.client('dynamodb')",
    "API handler: import + initialise": "import messenger.api",
    "handler + what its first request adds (Tracer, DynamoDB client)": (
        "import messenger.api\nfrom messenger.core.observability import tracer\n"
        "tracer()\nfrom messenger.adapters.aws import client\nclient('dynamodb')"
    ),
}


def fresh_interpreter_ms(code: str) -> float:
    env = {**os.environ, **ENV}
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(code=code)], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def cold_starts(runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):  # interleaved, so a busy moment hurts every case alike
        for name, code in CASES.items():
            samples[name].append(fresh_interpreter_ms(code))
    return {name: statistics.median(values) for name, values in samples.items()}


@contextlib.contextmanager
def counted_api():
    """The API handler over moto, with every AWS call it makes recorded: yields (call, calls)."""
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics")
    os.environ.update({k: v for k, v in ENV.items() if k != "PYTHONPATH"})
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from tests.support import FakeLambdaContext, appsync_event, moto_service

    calls: list[str] = []
    with moto_service(env={"POWERTOOLS_LOG_LEVEL": "WARNING"}):
        from messenger.adapters import aws
        from messenger.api import lambda_handler

        original = aws.client.__wrapped__

        def counting_client(*args, **kwargs):
            made = original(*args, **kwargs)
            made.meta.events.register("before-call", lambda model, **_: calls.append(
                f"{made.meta.service_model.service_name}.{model.name}"))
            return made

        def call(parent: str, field: str, args: dict):
            calls.clear()
            answer = lambda_handler(appsync_event(parent, field, args), FakeLambdaContext())
            assert "data" in answer, answer
            return answer["data"]

        aws.client = functools.cache(counting_client)
        try:
            yield call, calls
        finally:
            aws.client = functools.cache(original)


def aws_calls_per_operation() -> dict[str, list[str]]:
    operations = {
        "sendMessage (EMAIL)": ("Mutation", "sendMessage", {"input": {
            "to": "user@example.com", "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}}),
        "sendMessage (SMS via SNS)": ("Mutation", "sendMessage", {"input": {
            "to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS"}}),
        "sendMessage (SMS via Africa's Talking: queued)": ("Mutation", "sendMessage", {"input": {
            "to": "+254711223344", "body": "Hello", "deliveryMethod": "SMS"}}),
        "getMessages": ("Query", "getMessages", {"filter": {"to": "user@example.com"}, "first": 20}),
    }
    results = {}
    with counted_api() as (call, calls):
        for name, (parent, field, args) in operations.items():
            call(parent, field, args)
            results[name] = list(calls)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs

    medians = cold_starts(runs)
    baseline = medians["baseline: import boto3 + one DynamoDB client"]
    handler = medians["API handler: import + initialise"]
    print(f"Cold start, median of {runs} fresh interpreters (ms):")
    for name, value in medians.items():
        print(f"  {name:<55} {value:8.1f}")
    ratio = handler / baseline
    print(f"  ratio handler / baseline: {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})")

    print("\nAWS calls per operation (in order; each waits for the one before):")
    targets = {"getMessages": lambda n: n == 1}
    ok = ratio <= 1.5
    for name, made in aws_calls_per_operation().items():
        check = targets.get(name, lambda n: n <= 3)
        met = check(len(made))
        ok &= met
        print(f"  {name:<48} {len(made)} calls  {' -> '.join(made)}  ({'met' if met else 'MISSED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Cold start of the API handler, and the AWS calls each GraphQL operation makes.

1. Import + initialise `messenger.api` in a fresh interpreter, N times, beside a baseline
   measured the same way in the same run: `import boto3` plus one DynamoDB client.
   Target: median(handler) / median(baseline) <= 1.5.
   Also shown: what the handler defers to its first request (the X-Ray SDK behind Powertools'
   Tracer), so the figure hides nothing.
1b. Init + first request: in fresh interpreters against a moto server, `import boto3` + one DynamoDB
   client + one GetItem (baseline) beside the API handler's import and first getMessages (one Query), as
   Lambda runs it (AWS_LAMBDA_FUNCTION_NAME, the trace header of an unsampled invocation). Target:
   <= 1.2. The same with a sampled invocation, which loads the X-Ray SDK, is shown beside it.
2. Run sendMessage (e-mail, SMS), getMessages (each filter key, a time range) and getMessage once each
   against moto and count the AWS calls. Targets: sendMessage at most 5 sequential calls (the send
   limits' one TransactWriteItems, bench/limits.py, then 4), 6 for an instance's first (it reads the
   webhook subscriptions), getMessage exactly 1 read, each getMessages page exactly 1 Query when its
   filter is a key or a time range; a send with a webhook adds one SQS call per status change.
3. A status filter over a sender's history where 1 message in 50 matches: the Queries each page takes.

Usage: .venv/bin/python bench/cold_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
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


def fresh_interpreter_ms(code: str, env: dict[str, str] | None = None, setup: str = "") -> float:
    env = {**os.environ, **ENV, **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", setup + TIMED.format(code=code)], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"timed code failed:\n{out.stderr[-3000:]}")
    return float(out.stdout.strip().splitlines()[-1])


# --- init + first request, against moto over HTTP (a server in this process), in fresh interpreters ---

FIRST_REQUEST_SETUP = """
import json, os
EVENT = json.loads(os.environ["BENCH_EVENT"])
class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]; function_version = "$LATEST"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    aws_request_id = "bench"; log_group_name = "/aws/lambda/bench"; log_stream_name = "bench"
    def get_remaining_time_in_millis(self): return 30000
"""
FIRST_REQUEST = """
from messenger.api import lambda_handler
answer = lambda_handler(EVENT, Context())
assert "data" in answer and answer["data"] is not None, answer
"""
# Lambda's trace header for one invocation: X-Ray keeps it (Sampled=1) or not (Sampled=0).
TRACE_HEADER = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled={}"


def first_requests(runs: int) -> dict[str, float]:
    """Medians (ms) of: boto3 + one client + one call, and the API handler's import + first getMessages."""
    import boto3
    from moto.server import ThreadedMotoServer

    from local.resources import create_resources, handler_environment
    from stacks.wiring import build_wiring as wiring_of

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    saved = dict(os.environ)
    try:
        host, port = server.get_host_and_port()
        aws = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench",
               "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
        os.environ.update(aws)
        config = load_cdk_json_config()
        wiring = wiring_of(config)
        resources = create_resources(config, wiring)
        item = {"PK": {"S": "RECIPIENT#bench"}, "SK": {"S": "MESSAGE#01J00000000000000000000000"}}
        boto3.client("dynamodb").put_item(TableName=resources.table_name, Item=item)
        event = {"arguments": {"filter": {"to": "user@example.com"}, "first": 20}, "identity": None,
                 "source": None, "request": {"headers": {}}, "prev": None, "stash": {},
                 "info": {"fieldName": "getMessages", "parentTypeName": "Query", "variables": {},
                          "selectionSetList": ["data", "data/id"]}}  # fmt: skip
        lambda_env = {**handler_environment(wiring, resources), **aws, "AWS_LAMBDA_FUNCTION_NAME": "dev-messaging-api",
                      "BENCH_EVENT": json.dumps(event), "POWERTOOLS_LOG_LEVEL": "ERROR"}  # fmt: skip
        lambda_env.pop("POWERTOOLS_TRACE_DISABLED", None)
        baseline_code = (f"import boto3\nboto3.client('dynamodb').get_item(TableName={resources.table_name!r}, "
                         f"Key={json.dumps(item)})")  # fmt: skip
        cases = {
            "baseline: import boto3 + one DynamoDB client + one GetItem": (baseline_code, aws, ""),
            "API handler: import + first getMessages (not sampled)": (
                FIRST_REQUEST, {**lambda_env, "_X_AMZN_TRACE_ID": TRACE_HEADER.format(0)}, FIRST_REQUEST_SETUP),
            "API handler: import + first getMessages (sampled: X-Ray SDK)": (
                FIRST_REQUEST, {**lambda_env, "_X_AMZN_TRACE_ID": TRACE_HEADER.format(1)}, FIRST_REQUEST_SETUP),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (code, env, setup) in cases.items():
                samples[name].append(fresh_interpreter_ms(code, env, setup))
        return {name: statistics.median(values) for name, values in samples.items()}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


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
    # ERROR: no GraphQL URL here, so every status publish fails (and is logged as a warning).
    with moto_service(env={"POWERTOOLS_LOG_LEVEL": "ERROR"}):
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
    email = {"input": {"to": "user@example.com", "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}}
    operations = {
        # An instance's first status change reads the webhook subscriptions item (then cached 30 s).
        FIRST_SEND: ("Mutation", "sendMessage", email),
        "sendMessage (EMAIL)": ("Mutation", "sendMessage", email),
        "sendMessage (SMS via SNS)": ("Mutation", "sendMessage", {"input": {
            "to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS"}}),
        "sendMessage (SMS via Africa's Talking: queued)": ("Mutation", "sendMessage", {"input": {
            "to": "+254711223344", "body": "Hello", "deliveryMethod": "SMS"}}),
        "getMessages": ("Query", "getMessages", {"filter": {"to": "user@example.com"}, "first": 20}),
        "getMessages (senderId)": ("Query", "getMessages", {"filter": {"senderId": "shop"}, "first": 20}),
        "getMessages (reference)": ("Query", "getMessages", {"filter": {"reference": "order-42"}, "first": 20}),
        "getMessages (senderId + time range)": ("Query", "getMessages", {"filter": {
            "senderId": "shop", "createdAfter": "2020-01-01T00:00:00.000Z",
            "createdBefore": "2100-01-01T00:00:00.000Z"}, "first": 20}),
        "getMessage": ("Query", "getMessage", None),
        # A webhook taking MESSAGE_STATUS, created through this instance (so its cache is forgotten).
        "createWebhook": ("Mutation", "createWebhook", {"input": {
            "url": "https://93.184.215.14/hook", "events": ["MESSAGE_STATUS"]}}),
        WEBHOOK_SEND: ("Mutation", "sendMessage", email),
    }
    results = {}
    with counted_api() as (call, calls):
        sent_id = None
        for name, (parent, field, args) in operations.items():
            if args is None:
                args = {"id": "MESSAGE#" + sent_id}
            elif field == "sendMessage":
                args = {"input": {**args["input"], "senderId": "shop", "reference": "order-42"}}
            data = call(parent, field, args)
            assert data is not None, name
            sent_id = sent_id or data.get("id")
            results[name] = list(calls)
        results["status filter pages"] = status_filter_reads(call, calls)
    return results


FIRST_SEND = "sendMessage (EMAIL, an instance's first)"
WEBHOOK_SEND = "sendMessage (EMAIL) with a webhook"


def status_filter_reads(call, calls, messages: int = 2000, first: int = 20) -> list[int]:
    """Queries per page of `status: [FAILED]` over a sender's history where 1 message in 50 is FAILED."""
    import boto3
    from messenger.core.clock import new_message_id
    from messenger.messages.dal import MessagesTable
    from messenger.messages.models import (
        DeliveryMethod,
        DeliveryStatus,
        Message,
        Provider,
    )

    table = MessagesTable(boto3.client("dynamodb"), os.environ["TABLE_NAME"])
    for n in range(messages):
        at = f"2026-01-01T00:{n // 60000:02d}:{n // 1000 % 60:02d}.{n % 1000:03d}Z"
        table.create(Message(
            id=new_message_id(at), to=f"user{n}@example.com", body="b", delivery_method=DeliveryMethod.EMAIL,
            delivery_status=DeliveryStatus.FAILED if n % 50 == 0 else DeliveryStatus.DELIVERED,
            provider=Provider.SES, created_at=at, updated_at=at, sender_id="bulk"))
    reads, after = [], None
    while True:
        calls.clear()
        args = {"filter": {"senderId": "bulk", "status": ["FAILED"]}, "first": first, "after": after}
        page = call("Query", "getMessages", args)
        reads.append(len(calls))
        assert len(page["data"]) == first or not page["pageInfo"]["hasNextPage"], page["pageInfo"]
        if not page["pageInfo"]["hasNextPage"]:
            return reads
        after = page["pageInfo"]["endCursor"]


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

    firsts = first_requests(runs)
    print(f"\nInit + first request, against moto over HTTP, median of {runs} fresh interpreters (ms):")
    for name, value in firsts.items():
        print(f"  {name:<62} {value:8.1f}")
    names = list(firsts)
    first_ratio = firsts[names[1]] / firsts[names[0]]
    print(f"  ratio first request (not sampled) / baseline: {first_ratio:.2f} "
          f"(target <= 1.2: {'met' if first_ratio <= 1.2 else 'MISSED'})")
    print(f"  a sampled first request also loads the X-Ray SDK: ratio {firsts[names[2]] / firsts[names[0]]:.2f}")

    print("\nAWS calls per operation (in order; each waits for the one before):")
    # A send: the limits' counters (one TransactWriteItems, bench/limits.py), the suppression check
    # (GetItem, eventually consistent: cheaper than folding it into a transaction, whose writes cost
    # double), the record, the provider, the settling write.
    # Webhooks: without one, a send makes no SQS call; the subscriptions read is once per instance per
    # webhookSubscriptionCacheSeconds (the first send shows it). With one: one SendMessage per status
    # change (PENDING, ACCEPTED) and the read again, as creating the webhook forgot the cached answer.
    targets = {name: (lambda n: n == 1) for name in (
        "getMessages", "getMessages (senderId)", "getMessages (reference)", "getMessages (senderId + time range)",
        "getMessage")}
    targets |= {FIRST_SEND: lambda n: n <= 6, "createWebhook": lambda n: n <= 2, WEBHOOK_SEND: lambda n: n <= 8}
    ok = ratio <= 1.5 and first_ratio <= 1.2
    results = aws_calls_per_operation()
    pages = results.pop("status filter pages")
    for name, made in results.items():
        check = targets.get(name, lambda n: n <= 5)
        met = check(len(made))
        ok &= met
        print(f"  {name:<48} {len(made)} calls  {' -> '.join(made)}  ({'met' if met else 'MISSED'})")
    from messenger.messages.history import MAX_QUERIES_PER_PARTITION as MAX_QUERIES

    print(f"\nStatus filter, 1 message in 50 matches (2000 messages of one sender, first 20): {len(pages)} pages,"
          f" Queries per page {pages} (bound: {MAX_QUERIES} per index partition)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

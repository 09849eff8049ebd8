"""Shared test support: the service's resources in moto, created from the wiring like the local mode."""

from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

from stacks.config import load_cdk_json_config
from stacks.wiring import build_wiring

BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def reset_caches() -> None:
    """Forget every per-execution-environment cache, as a new Lambda instance would: every `functools.cache`
    at the top of a `messenger` module imported so far (found, not listed: a new one cannot be missed)."""
    import functools

    from aws_lambda_powertools.utilities import parameters

    for name, module in list(sys.modules.items()):
        if name == "messenger" or name.startswith("messenger."):
            for value in list(vars(module).values()):
                if isinstance(value, functools._lru_cache_wrapper):
                    value.cache_clear()
    parameters.clear_caches()


@contextmanager
def moto_service(overrides: dict | None = None, env: dict | None = None):
    """moto with the table, queues, secrets and SES identities the stack would create."""
    from moto import mock_aws

    from local.resources import create_resources, handler_environment

    saved = dict(os.environ)
    os.environ.update(BASE_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    config = load_cdk_json_config(overrides=overrides)
    wiring = build_wiring(config)
    try:
        with mock_aws():
            resources = create_resources(config, wiring)
            os.environ.update(handler_environment(wiring, resources))
            os.environ.update(env or {})
            reset_caches()
            yield resources
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_caches()


def table_items(table_name: str) -> list[dict]:
    return boto3.client("dynamodb").scan(TableName=table_name)["Items"]


def empty_table(table_name: str) -> None:
    """Delete every item: a test module shares one moto, and each test starts from an empty table."""
    db = boto3.client("dynamodb")
    for item in table_items(table_name):
        db.delete_item(TableName=table_name, Key={"PK": item["PK"], "SK": item["SK"]})


class FakeLambdaContext:
    function_name = "test-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    memory_limit_in_mb = 512
    aws_request_id = "test-request"
    log_group_name = "/aws/lambda/test-function"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def appsync_event(parent: str, field: str, arguments: dict, api_key: str | None = None) -> dict:
    """As the deployed resolver sends it; the key is the stack's own (every live scope) unless given."""
    from local.resources import DEFAULT_STACK_KEY

    return {
        "arguments": arguments,
        "identity": None,
        "source": None,
        "request": {"headers": {"x-amzn-trace-id": "Root=1-test-trace", "x-api-key": api_key or DEFAULT_STACK_KEY}},
        "info": {"fieldName": field, "parentTypeName": parent, "variables": {}, "selectionSetList": []},
        "prev": None,
        "stash": {},
    }


def full_table(table_name: str):
    """One object with every domain's table operations, for tests that cross domains."""
    from messenger.sending.dal import SendingTable

    return SendingTable(boto3.client("dynamodb"), table_name)


@contextmanager
def own_environment(function: str, resources, overrides: dict | None = None):
    """Inside moto_service: the process environment of exactly one function, as Lambda would give it.

    The local mode and moto_service merge every function's variables into one process; this narrows
    them to one function's, so a handler reading a setting its wiring does not give it fails here.
    """
    from local.resources import handler_environment

    config = load_cdk_json_config(overrides=overrides)
    wiring = build_wiring(config)
    spec = wiring.function(function)
    narrowed = type(wiring)(
        functions=(spec,), resolvers=(), queues=wiring.queues, table=wiring.table, secrets=wiring.secrets,
        schedule_groups=wiring.schedule_groups,
        buckets=wiring.buckets,
    )
    saved = dict(os.environ)
    aws = {name: value for name, value in os.environ.items() if name.startswith("AWS_") or name in BASE_ENV}
    os.environ.clear()
    os.environ.update(aws)
    os.environ.update(handler_environment(narrowed, resources))
    reset_caches()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_caches()


@contextmanager
def loopback_server(handler_class: type[BaseHTTPRequestHandler]):
    """An HTTP server on 127.0.0.1 (any free port) in a thread; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def send_json(handler: BaseHTTPRequestHandler, status: int, payload) -> None:
    """Answer a request of `handler` with `payload` as JSON (keep-alive safe: with a length)."""
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def dies_at_call(monkeypatch, owner: type, method: str, call: int = 2, error: type[Exception] = RuntimeError) -> list:
    """`owner.method` raises `error` on its `call`-th call, as a function that timed out there, having run
    the calls before it; returns the second argument of every call made (a batch slice's index)."""
    real, seen = getattr(owner, method), []

    def dies(self, *args, **kwargs):
        seen.append(args[1])
        if len(seen) == call:
            raise error("the function timed out")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, dies)
    return seen

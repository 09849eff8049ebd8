"""The local mode's own boto3 clients answered by moto in this process, without a socket.

moto runs inside the local mode's process and also serves HTTP (its printed endpoint, for the AWS CLI
and the tests). The handlers' clients used to reach it over that HTTP server too: per call a new TCP
connection, an HTTP request written and parsed twice and a hop through werkzeug's thread, several times
per send. A client given to `answer_in_process` still builds, signs and serialises every request as it
would for AWS (its event hooks, the call counter and the receipt watcher included), but a request for
moto's endpoint is handed to moto's dispatcher directly, the way moto's own `mock_aws` does, under the
AWS host name moto routes on. What moto answers is the same as over HTTP: the same backends, the same code.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from urllib.parse import urlsplit

from moto.core.botocore_stubber import BotocoreStubber

_moto = BotocoreStubber()
_moto.enabled = True
# moto's DynamoDB is not safe across threads (a transaction deep-copies a table another thread is writing:
# "dictionary changed size during iteration"); DynamoDB's own calls are atomic, so each is answered alone.
# Only DynamoDB: an SQS long poll must not hold up the other calls.
_DYNAMODB = threading.Lock()


class _MotoCpu:
    """CPU time the process spent inside moto answering the handlers' in-process calls (for bench/)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.calls = 0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds
            self.calls += 1

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {"motoSeconds": self.seconds, "motoCalls": self.calls, "processSeconds": time.process_time()}


moto_cpu = _MotoCpu()


def answer_in_process(client):
    """Registers the short cut on `client` (for requests to AWS_ENDPOINT_URL) and returns it."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint:
        return client
    prefix = client.meta.service_model.endpoint_prefix
    host = f"{prefix}.{client.meta.region_name}.amazonaws.com"
    serialised = _DYNAMODB if prefix == "dynamodb" else contextlib.nullcontext()

    def send(request, **kwargs):
        if not request.url.startswith(endpoint + "/") and request.url != endpoint:
            return None
        url = urlsplit(request.url)
        request.url = f"https://{host}{url.path or '/'}" + (f"?{url.query}" if url.query else "")
        with serialised:
            started = time.thread_time()  # this thread's CPU only: waiting for the lock or the GIL is not counted
            try:
                return _moto(kwargs.get("event_name", "before-send"), request)
            finally:
                moto_cpu.add(time.thread_time() - started)

    client.meta.events.register_first("before-send", send)
    return client


def serialise_dynamodb_over_http() -> None:
    """The same one-at-a-time rule for DynamoDB requests reaching moto's HTTP server (the tests, the AWS CLI,
    the local mode's own helpers): they share the backends with the in-process calls."""
    from moto.server import DomainDispatcherApplication

    if getattr(DomainDispatcherApplication, "_dynamodb_serialised", False):
        return
    answer = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _DYNAMODB:
                return list(answer(self, environ, start_response))
        return answer(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__
    DomainDispatcherApplication._dynamodb_serialised = True

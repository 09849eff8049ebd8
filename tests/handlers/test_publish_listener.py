"""The subscriptions listener: a SigV4-signed publishMessageUpdate per status; a failure is logged
(masked, no body) and counted, never raised."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from messenger.messages import publish
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider
from messenger.messages.publish import PublishListener
from messenger.messages.status import StatusWriter


def _message(status: DeliveryStatus = DeliveryStatus.QUEUED) -> Message:
    from messenger.messages.models import MessageEvent

    return Message(
        id="01JTEST", to="+254711223344", body="Your code is 1234", delivery_method=DeliveryMethod.SMS,
        delivery_status=status, provider=Provider.AFRICASTALKING, created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z", events=(MessageEvent(status, "2026-01-01T00:00:00Z"),),
    )  # fmt: skip


@pytest.fixture
def endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    received: list[tuple[dict, dict]] = []
    answer = {"status": 200, "body": {"data": {"publishMessageUpdate": {"id": "01JTEST"}}}}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            time.sleep(answer.get("delay", 0))
            self.send_response(answer["status"])
            self.end_headers()
            self.wfile.write(json.dumps(answer["body"]).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/graphql", received, answer
    server.shutdown()


def test_publishes_the_whole_message_signed_for_appsync(endpoint):
    url, received, _ = endpoint
    assert PublishListener(url, "eu-west-1").publish(_message()) is True
    ((headers, body),) = received
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "/eu-west-1/appsync/aws4_request" in headers["authorization"]
    assert "publishMessageUpdate" in body["query"]
    assert body["variables"]["message"] == _message().to_graphql()


@pytest.mark.parametrize("status, body", [(200, {"errors": [{"errorType": "Unauthorized"}]}), (500, {})])
def test_a_failed_publish_is_logged_masked_and_counted_and_never_raises(endpoint, monkeypatch, status, body):
    url, _, answer = endpoint
    answer.update(status=status, body=body)
    counted = []
    monkeypatch.setattr(publish, "count", lambda name, channel: counted.append((name, channel)))
    from messenger.core.observability import logger

    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    assert PublishListener(url, "eu-west-1").publish(_message()) is False
    assert counted == [("PublishFailed", "SMS/AFRICASTALKING")]
    text = buffer.getvalue()
    assert "+254711223344" not in text and "Your code is 1234" not in text
    assert "+2547******44" in text


def test_an_unreachable_endpoint_does_not_fail_the_status_change(monkeypatch):
    counted = []
    monkeypatch.setattr(publish, "count", lambda name, channel: counted.append(name))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    class Repo:
        def transition(self, message, target, now, **fields):
            return _message(target)

    class Clock:
        def now(self):
            return "2026-01-01T00:00:01Z"

    writer = StatusWriter(Repo(), Clock(), (PublishListener("http://127.0.0.1:9/graphql", "eu-west-1"),))
    assert writer.move(_message(), DeliveryStatus.ACCEPTED).delivery_status is DeliveryStatus.ACCEPTED
    assert counted == ["PublishFailed"]


def test_the_first_status_of_a_message_is_published_too(endpoint):
    url, received, _ = endpoint
    PublishListener(url, "eu-west-1").recorded(_message(DeliveryStatus.PENDING))
    ((_, body),) = received
    assert body["variables"]["message"] == _message(DeliveryStatus.PENDING).to_graphql()


def test_without_a_graphql_url_nothing_is_posted_and_the_publish_counts_as_failed(endpoint, monkeypatch):
    _, received, _ = endpoint
    counted = []
    monkeypatch.setattr(publish, "count", lambda name, channel: counted.append(name))
    assert PublishListener("", "eu-west-1").publish(_message()) is False
    assert (received, counted) == ([], ["PublishFailed"])


def test_a_publish_waits_no_longer_than_its_timeout(endpoint, monkeypatch):
    url, received, answer = endpoint
    answer["delay"] = 1.5  # the endpoint answers, but late
    monkeypatch.setattr(publish, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(publish, "count", lambda name, channel: None)
    started = time.monotonic()
    assert PublishListener(url, "eu-west-1").publish(_message()) is False
    assert time.monotonic() - started < 1.2  # gave up at its timeout, not when the answer came

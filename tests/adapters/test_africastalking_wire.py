"""Our Africa's Talking client against the official SDK, both captured on one loopback server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest
from messenger.adapters.africastalking import (
    AfricasTalkingClient,
    base_url_for,
    send_form,
)
from messenger.sending.models import AtRequestError, Credentials

from tests.support import loopback_server, send_json

RECIPIENTS = ["+254711000001", "+254711000002"]
TEXT = "Your code is 1234 & more: ü €"


class Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as AT's servers do
    captured: list[dict] = []
    status = 201
    delay = 0.0
    raw_answer: bytes | None = None  # instead of the JSON answer

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        Capture.captured.append({"peer": self.client_address, "path": self.path, "headers": dict(self.headers), "form": parse_qs(body), "raw": body})
        if Capture.delay:
            threading.Event().wait(Capture.delay)
        payload = {"SMSMessageData": {"Message": "Sent to 2/2", "Recipients": [
            {"statusCode": 101, "number": n, "status": "Success", "cost": "KES 0.8000", "messageId": f"ATXid_{i}"}
            for i, n in enumerate(RECIPIENTS)]}}
        if Capture.raw_answer is not None:
            self.send_response(Capture.status)
            self.send_header("Content-Length", str(len(Capture.raw_answer)))
            self.end_headers()
            self.wfile.write(Capture.raw_answer)
            return
        send_json(self, Capture.status, payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Capture.captured, Capture.status, Capture.delay, Capture.raw_answer = [], 201, 0.0, None
    with loopback_server(Capture) as url:
        yield url


def sdk_send(base_url: str, sender_id):
    from africastalking.SMS import SMSService

    sms = SMSService("sandbox", "key-123")
    sms._baseUrl = base_url + "/version1"  # the SDK has no base-URL setting; point it at the capture
    return sms.send(TEXT, RECIPIENTS, sender_id=sender_id)


@pytest.mark.parametrize("sender_id", [None, "ACME"])
def test_our_request_matches_the_official_sdk_field_for_field(server, sender_id):
    sdk_send(server, sender_id)
    AfricasTalkingClient(server).send(Credentials("sandbox", "key-123"), RECIPIENTS, TEXT, sender_id)
    sdk, ours = Capture.captured
    assert ours["path"] == sdk["path"] == "/version1/messaging"
    assert ours["form"] == sdk["form"]
    assert ours["raw"] == sdk["raw"]  # same fields, same order, same encoding
    for header in ("apiKey", "Accept", "Content-Type"):
        assert ours["headers"][header] == sdk["headers"][header]
    assert ("from" in ours["form"]) == (sender_id is not None)
    assert ours["form"]["bulkSMSMode"] == ["1"]


def test_results_are_parsed_per_recipient(server):
    results = AfricasTalkingClient(server).send(Credentials("sandbox", "k"), RECIPIENTS, "hi", None)
    assert [(r.number, r.status_code, r.status, r.message_id, r.cost) for r in results] == [
        ("+254711000001", 101, "Success", "ATXid_0", "KES 0.8000"),
        ("+254711000002", 101, "Success", "ATXid_1", "KES 0.8000")]


@pytest.mark.parametrize("answer", [b"<html>gateway</html>", b'{"SMSMessageData": {}}', b'{"SMSMessageData": null}'])
def test_an_unreadable_answer_to_a_taken_request_is_permanent_as_it_may_have_been_sent(server, answer):
    Capture.raw_answer = answer
    with pytest.raises(AtRequestError) as error:
        AfricasTalkingClient(server).send(Credentials("sandbox", "k"), RECIPIENTS, "hi", None)
    assert (error.value.reason, error.value.transient) == ("AfricasTalking:UnreadableResponse", False)


@pytest.mark.parametrize(("status", "reason", "transient", "unauthorised", "throttled"), [
    (401, "AfricasTalking:Unauthorized", True, True, False),
    (429, "AfricasTalking:HTTP429", True, False, True),
    (500, "AfricasTalking:HTTP500", True, False, False),
    (503, "AfricasTalking:HTTP503", True, False, False),
    (400, "AfricasTalking:HTTP400", False, False, False),
    (302, "AfricasTalking:HTTP302", False, False, False),
])
def test_request_level_http_errors_are_classified(server, status, reason, transient, unauthorised, throttled):
    Capture.status = status
    with pytest.raises(AtRequestError) as error:
        AfricasTalkingClient(server).send(Credentials("sandbox", "k"), RECIPIENTS, "hi", None)
    assert (error.value.reason, error.value.transient, error.value.unauthorised, error.value.throttled) == (
        reason, transient, unauthorised, throttled)


def test_a_slow_gateway_is_a_transient_timeout(server):
    Capture.delay = 1.0
    with pytest.raises(AtRequestError) as error:
        AfricasTalkingClient(server, read_timeout=0.2).send(Credentials("sandbox", "k"), RECIPIENTS, "hi", None)
    assert error.value.transient and error.value.reason == "AfricasTalking:Timeout"


def test_a_refused_connection_is_transient_and_named_as_such_not_as_a_timeout():
    with pytest.raises(AtRequestError) as error:
        AfricasTalkingClient("http://127.0.0.1:1").send(Credentials("sandbox", "k"), RECIPIENTS, "hi", None)
    assert (error.value.reason, error.value.transient) == ("AfricasTalking:ConnectionFailed", True)


def test_one_connection_is_reused_across_a_batch(server):
    client = AfricasTalkingClient(server)
    for _ in range(3):
        client.send(Credentials("sandbox", "k"), RECIPIENTS, "hi", None)
    peers = {c["peer"] for c in Capture.captured}
    assert len(Capture.captured) == 3 and len(peers) == 1  # one TCP connection, three requests


def test_the_sandbox_host_is_used_for_the_sandbox_username():
    assert base_url_for("sandbox", None) == "https://api.sandbox.africastalking.com"
    assert base_url_for("myapp", None) == "https://api.africastalking.com"
    assert base_url_for("myapp", "http://127.0.0.1:9/") == "http://127.0.0.1:9"


def test_credentials_never_show_the_key():
    assert "secret-value" not in repr(Credentials("u", "secret-value"))
    assert send_form("u", ["+1"], "m", None) == {"username": "u", "to": "+1", "message": "m", "bulkSMSMode": 1}

"""Webhooks through the local mode: a receiver this test starts on 127.0.0.1 gets every status change,
signed (verified with the `standardwebhooks` library), retried on 500, not retried on 400; an inbound
SMS arrives as one MESSAGE_INBOUND event and a batch as one BATCH_COMPLETED once all its messages are final."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.e2e.conftest import http as post_to
from tests.e2e.conftest import wait_for

CREATE = """mutation c($input: WebhookInput!) { createWebhook(input: $input) { id url events secret disabled } }"""
DELETE = "mutation d($id: ID!) { deleteWebhook(id: $id) }"
DELIVERIES = """query q($id: ID!) { getWebhookDeliveries(webhookId: $id, first: 50) {
  data { eventId attempt httpStatus error delivered nextRetryAt at } } }"""
SEND = "mutation s($input: MessageInput!) { sendMessage(input: $input) { id deliveryStatus } }"
HISTORY = "query h($id: ID!) { getMessage(id: $id) { deliveryStatus events { status } } }"
FINAL = {"DELIVERED", "FAILED", "UNCONFIRMED"}


class Receiver:
    """Answers the n-th POST of each webhook-id with script[n] (200 past its end), and keeps what it got."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script, self.received, self.lock = list(script or []), [], threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                with outer.lock:
                    seen = sum(r["headers"].get("webhook-id") == self.headers.get("webhook-id") for r in outer.received)
                    status = outer.script[seen] if seen < len(outer.script) else 200
                    outer.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                                           "status": status})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def events(self, message_id: str) -> list[dict]:
        with self.lock:
            got = list(self.received)
        return [r for r in got if json.loads(r["body"])["data"]["id"] == message_id]


@pytest.fixture
def webhook(local_api):
    made = []

    def create(script=None, events=("MESSAGE_STATUS",)):
        receiver = Receiver(script)
        status, body = local_api.graphql(CREATE, {"input": {"url": receiver.url, "events": list(events)}})
        assert status == 200 and "errors" not in body, body
        made.append((receiver, body["data"]["createWebhook"]["id"]))
        return receiver, body["data"]["createWebhook"]

    yield create
    for receiver, webhook_id in made:
        local_api.graphql(DELETE, {"id": webhook_id})
        receiver.server.shutdown()


def send(local_api, **fields) -> str:
    status, body = local_api.graphql(SEND, {"input": {"body": "Your code is 1234", **fields}})
    assert status == 200 and "errors" not in body, body
    return body["data"]["sendMessage"]["id"]


def final_statuses(local_api, message_id: str) -> list[str]:
    def done():
        message = local_api.graphql(HISTORY, {"id": message_id})[1]["data"]["getMessage"]
        return message if message and message["deliveryStatus"] in FINAL else None

    return [e["status"] for e in wait_for(done)["events"]]


def test_every_status_change_arrives_once_signed_with_increasing_sequence_numbers(local_api, webhook):
    receiver, created = webhook()
    assert created["secret"].startswith("whsec_") and created["url"] == receiver.url
    email = send(local_api, to=f"success+{uuid.uuid4().hex[:8]}@simulator.amazonses.com", subject="Hi",
                 deliveryMethod="EMAIL")
    sms = send(local_api, to="+254711" + str(uuid.uuid4().int)[:6], deliveryMethod="SMS")
    for message_id in (email, sms):
        statuses = final_statuses(local_api, message_id)
        got = wait_for(lambda: (e := receiver.events(message_id)) and len(e) >= len(statuses) and e)
        time.sleep(1)  # nothing more may come
        got = receiver.events(message_id)
        payloads = [Webhook(created["secret"]).verify(r["body"], r["headers"]) for r in got]
        assert sorted(p["data"]["sequence"] for p in payloads) == list(range(1, len(statuses) + 1))
        by_sequence = sorted(payloads, key=lambda p: p["data"]["sequence"])
        assert [p["data"]["status"] for p in by_sequence] == statuses  # once per change, in order
        assert len({r["headers"]["webhook-id"] for r in got}) == len(got)
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY").verify(got[0]["body"], got[0]["headers"])
    assert set(statuses) & FINAL


def test_500_twice_then_200_delivers_on_the_third_attempt_and_the_send_does_not_care(local_api, webhook):
    receiver, created = webhook([500, 500])
    message_id = send(local_api, to=f"success+{uuid.uuid4().hex[:8]}@simulator.amazonses.com", subject="Hi",
                      deliveryMethod="EMAIL")
    assert final_statuses(local_api, message_id)[-1] == "DELIVERED"  # the receiver's answers change nothing

    def attempts():
        data = local_api.graphql(DELIVERIES, {"id": created["id"]})[1]["data"]["getWebhookDeliveries"]["data"]
        first = [a for a in data if a["eventId"] == f"msg_{message_id}_1"]
        return first if any(a["delivered"] for a in first) else None

    first = sorted(wait_for(attempts, timeout=30), key=lambda a: a["attempt"])
    assert [(a["attempt"], a["httpStatus"], a["delivered"]) for a in first] == [(1, 500, False), (2, 500, False), (3, 200, True)]
    assert first[0]["nextRetryAt"] and first[2]["nextRetryAt"] is None
    first_posts = [r for r in receiver.received if r["headers"]["webhook-id"] == f"msg_{message_id}_1"]
    assert [r["status"] for r in first_posts] == [500, 500, 200]  # the same webhook-id each time
    status, view = local_api.get("/local/webhooks")
    assert status == 200 and any(w["id"] == created["id"] and w["attempts"] for w in view["webhooks"])
    assert "secret" not in json.dumps(view)


def test_400_is_not_retried(local_api, webhook):
    receiver, created = webhook([400] * 5)
    message_id = send(local_api, to=f"success+{uuid.uuid4().hex[:8]}@simulator.amazonses.com", subject="Hi",
                      deliveryMethod="EMAIL")
    final_statuses(local_api, message_id)
    wait_for(lambda: len(receiver.events(message_id)) >= 3)
    time.sleep(2.5)  # longer than the local schedule's first two retries (1 s, 1 s)
    got = receiver.events(message_id)
    assert len({r["headers"]["webhook-id"] for r in got}) == len(got) == 3  # one POST per status change


def test_unsafe_urls_are_refused_at_creation(local_api):
    for url in ("http://example.com/hook", "https://10.0.0.1/hook", "https://169.254.169.254/latest",
                "https://2130706433/", "http://localhost:8080/"):
        status, body = local_api.graphql(CREATE, {"input": {"url": url, "events": ["MESSAGE_STATUS"]}})
        assert body["errors"][0]["errorType"] == "BadRequest", (url, body)


BATCH = """mutation b($input: BatchInput!) { sendBatch(input: $input) { id status total } }"""
GET_BATCH = "query g($id: ID!) { getBatch(id: $id) { status completedAt counts { status count } } }"


def test_an_inbound_sms_and_a_batch_each_arrive_once_signed(local_api, webhook):
    receiver, created = webhook(events=("MESSAGE_INBOUND", "BATCH_COMPLETED"))
    t = uuid.uuid4().hex[:8]
    phone = f"+2547{int(t, 16) % 10**8:08d}"
    payload = json.dumps({"from": phone, "to": "12345", "text": f"Where is my order {t}?", "provider": "AFRICASTALKING"})
    status, recorded = post_to(local_api.base_url + "/local/inbound", payload.encode(), {"Content-Type": "application/json"})
    assert status == 200, recorded
    rows = [{"to": f"success+{t}@simulator.amazonses.com", "deliveryMethod": "EMAIL"},
            {"to": f"+2547{(int(t, 16) + 1) % 10**8:08d}", "deliveryMethod": "SMS"}]
    status, body = local_api.graphql(BATCH, {"input": {"messages": rows, "body": f"Sale {t}", "subject": "Sale",
                                                       "reference": f"sale-{t}"}})
    assert status == 200 and "errors" not in body, body
    batch = body["data"]["sendBatch"]

    def final():
        found = local_api.graphql(GET_BATCH, {"id": batch["id"]})[1]["data"]["getBatch"]
        return found if found["status"] == "COMPLETED" else None

    done = wait_for(final, timeout=30)
    wait_for(lambda: receiver.events(recorded["messageId"]) and receiver.events(batch["id"]), timeout=15)
    time.sleep(1)  # nothing more may come
    [inbound], [completed] = receiver.events(recorded["messageId"]), receiver.events(batch["id"])
    assert {r["headers"]["webhook-id"] for r in receiver.received} <= {f"in_{recorded['messageId']}", f"batch_{batch['id']}"}
    got = Webhook(created["secret"]).verify(inbound["body"], inbound["headers"])
    assert (got["type"], got["data"]["from"], got["data"]["to"], got["data"]["body"], got["data"]["provider"]) == (
        "message.inbound", phone, "12345", f"Where is my order {t}?", "AFRICASTALKING")
    assert got["data"]["receivedAt"] and got["data"]["proxySessionId"] is None
    got = Webhook(created["secret"]).verify(completed["body"], completed["headers"])
    assert got["type"] == "batch.completed" and got["data"]["completedAt"] == done["completedAt"]
    assert (got["data"]["status"], got["data"]["total"], got["data"]["reference"]) == ("COMPLETED", 2, f"sale-{t}")
    assert got["data"]["counts"] == {c["status"]: c["count"] for c in done["counts"]}

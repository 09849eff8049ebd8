"""Clients, test keys and erasure over the local mode, as an operator and its client applications see
them: scoped keys, 401 after revocation, a rotation's grace, TEST sends that reach final statuses with
nothing in the provider outbox, and eraseRecipient on a 1,000-message history.

One local mode for the module, with a 2-second rotation grace. The 1,000 records are seeded through
the dal's item shape straight into the local mode's table (BatchWriteItem against its moto): sending
1,000 messages through the API would take minutes and prove nothing more about erasure.
"""

from __future__ import annotations

import json
import signal
import time
import uuid

import boto3
import pytest

from tests.e2e.conftest import start_local_mode, wait_for

GRACE_SECONDS = 2
CREATE = """mutation c($input: ApiClientInput!) {
  createApiClient(input: $input) { key expiresAt client { id name scopes status } }
}"""
ROTATE = "mutation r($id: ID!) { rotateApiClientKey(id: $id) { key client { id } } }"
REVOKE = "mutation r($id: ID!) { revokeApiClient(id: $id) { id status revokedAt } }"
CLIENTS = "query { getApiClients(first: 50) { data { id name scopes status } } }"
SEND = """mutation s($input: MessageInput!) {
  sendMessage(input: $input) { id to deliveryStatus failureReason clientId test }
}"""
HISTORY = """query h($to: String!) {
  getMessages(filter: {to: $to}) { data { id deliveryStatus failureReason clientId test events { status } } }
}"""
ERASE = """mutation e($to: String!) {
  eraseRecipient(to: $to) { to messages idempotencyKeys suppressions keptSuppression complete }
}"""


@pytest.fixture(scope="module")
def api():
    local = start_local_mode(LOCAL_CONFIG=json.dumps({"clientKeyGraceSeconds": GRACE_SECONDS}))
    yield local
    assert local.stop(signal.SIGINT) == 0


def call(api, query, variables=None, key=None):
    headers = {"Content-Type": "application/json", "x-api-key": key or api.api_key}
    return api.graphql(query, variables, headers)


def ok(api, query, variables=None, key=None) -> dict:
    status, body = call(api, query, variables, key)
    assert status == 200 and "errors" not in body, body
    return body["data"]


def new_client(api, name, scopes) -> dict:
    return ok(api, CREATE, {"input": {"name": name, "scopes": scopes}})["createApiClient"]


def email(to):
    return {"input": {"to": to, "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}}


def test_a_send_only_key_sends_but_cannot_read_or_administer(api):
    created = new_client(api, "shop", ["SEND"])
    assert created["client"]["scopes"] == ["SEND"] and created["key"] != api.api_key
    sent = ok(api, SEND, email(f"a{uuid.uuid4().hex[:8]}@example.com"), created["key"])["sendMessage"]
    assert sent["clientId"] == created["client"]["id"] and sent["test"] is False
    for query, variables, field, scope in ((HISTORY, {"to": "x@example.com"}, "getMessages", "READ"),
                                           (CLIENTS, None, "getApiClients", "ADMIN")):  # fmt: skip
        status, body = call(api, query, variables, created["key"])
        [error] = body["errors"]
        assert status == 200 and error["errorType"] == "Forbidden", body
        assert scope in error["message"] and field in error["message"]
    names = [c["name"] for c in ok(api, CLIENTS)["getApiClients"]["data"]]
    assert "shop" in names and "the stack's API key" in names  # the default key, registered on first use


def test_a_revoked_key_gets_401_and_a_rotated_key_keeps_working_for_the_grace(api):
    created = new_client(api, "crm", ["SEND", "READ"])
    old, client_id = created["key"], created["client"]["id"]
    new = ok(api, ROTATE, {"id": client_id})["rotateApiClientKey"]["key"]
    to = f"r{uuid.uuid4().hex[:8]}@example.com"
    for key in (old, new):
        ok(api, HISTORY, {"to": to}, key)
    time.sleep(GRACE_SECONDS + 0.2)
    status, body = call(api, HISTORY, {"to": to}, old)
    assert body["errors"][0]["errorType"] == "UnauthorizedException", body  # refused by the resolver
    ok(api, HISTORY, {"to": to}, new)

    revoked = ok(api, REVOKE, {"id": client_id})["revokeApiClient"]
    assert revoked["status"] == "REVOKED"
    for key in (old, new):
        status, body = call(api, HISTORY, {"to": to}, key)
        assert status == 401 and body["errors"][0]["errorType"] == "UnauthorizedException", body


def test_a_test_key_reaches_final_statuses_with_nothing_in_the_outbox(api):
    key = new_client(api, "ci", ["SEND", "READ", "TEST"])["key"]
    before = len(api.outbox())
    tag = uuid.uuid4().hex[:8]
    cases = {
        f"success+{tag}@simulator.amazonses.com": ("EMAIL", "DELIVERED"),
        f"bounce+{tag}@simulator.amazonses.com": ("EMAIL", "FAILED"),
        "+14155550100": ("SMS", "DELIVERED"),
        "+14155550199": ("SMS", "FAILED"),
        "+254711000123": ("SMS", "DELIVERED"),  # an Africa's Talking route: no queue, no stand-in
    }
    for to, (method, final) in cases.items():
        fields = {"subject": "Hi", "deliveryMethod": "EMAIL"} if method == "EMAIL" else {"deliveryMethod": "SMS"}
        sent = ok(api, SEND, {"input": {"to": to, "body": "Test", **fields}}, key)["sendMessage"]
        assert (sent["deliveryStatus"], sent["test"]) == (final, True), (to, sent)
        [stored] = [m for m in ok(api, HISTORY, {"to": to}, key)["getMessages"]["data"] if m["id"] == sent["id"]]
        assert [e["status"] for e in stored["events"]] == ["PENDING", "ACCEPTED", final]
    time.sleep(0.5)  # any receipt or report would have been produced by now
    assert len(api.outbox()) == before


def test_a_test_key_cannot_start_a_batch_a_verification_or_a_proxy_session_that_would_really_send(api):
    key = new_client(api, "ci-batch", ["SEND", "READ", "TEST"])["key"]
    batch = "mutation b($input: BatchInput!) { sendBatch(input: $input) { id } }"
    rows = [{"to": "success@simulator.amazonses.com", "deliveryMethod": "EMAIL"}]
    status, body = call(api, batch, {"input": {"messages": rows, "subject": "s", "body": "b"}}, key)
    assert status == 200 and body["errors"][0]["errorType"] == "BadRequest", body
    assert "TEST key" in body["errors"][0]["message"] and body["data"]["sendBatch"] is None
    for field, input_ in (("startVerification", {"to": "+14155550100", "channel": "SMS"}),
                          ("startProxySession", {"participantA": "+14155550100", "participantB": "+14155550101"})):
        kind = "VerificationInput" if field == "startVerification" else "ProxySessionInput"
        status, body = call(api, f"mutation m($input: {kind}!) {{ {field}(input: $input) {{ id }} }}", {"input": input_}, key)
        assert status == 200 and body["errors"][0]["errorType"] == "BadRequest", (field, body)
        assert "TEST key" in body["errors"][0]["message"] and body["data"][field] is None


def test_erasing_a_1000_message_history_leaves_only_the_opt_out_marker(api):
    from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider
    from messenger.messages.records import to_item
    from messenger.suppressions.dal import SuppressionsTable
    from messenger.suppressions.models import Suppression

    from stacks.config import load_cdk_json_config
    from stacks.wiring import resource_names

    to = f"+2547{uuid.uuid4().int % 10**8:08d}"
    db = boto3.client("dynamodb", endpoint_url=api.aws_endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    table = resource_names(load_cdk_json_config()).table
    now = "2026-11-23T12:00:00.000Z"
    items = [to_item(Message(id=f"01JSEED{n:019d}", to=to, body="private", delivery_method=DeliveryMethod.SMS,
                             delivery_status=DeliveryStatus.DELIVERED, provider=Provider.AFRICASTALKING,
                             created_at=now, updated_at=now, reference="r", sender_id="s")) for n in range(1000)]  # fmt: skip
    for start in range(0, len(items), 25):
        db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]})
    SuppressionsTable(db, table).add(Suppression(to, "opt-out", now))
    sent = ok(api, SEND, {"input": {"to": to, "body": "one more", "deliveryMethod": "SMS", "idempotencyKey": to}})
    wait_for(lambda: ok(api, HISTORY, {"to": to})["getMessages"]["data"])

    # A call stops between pages when its time budget is spent (complete: false); the next goes on.
    totals, calls = {"messages": 0, "idempotencyKeys": 0, "suppressions": 0}, 0
    while True:
        report = ok(api, ERASE, {"to": to})["eraseRecipient"]
        calls += 1
        totals = {name: count + report[name] for name, count in totals.items()}
        if report["complete"] or calls == 20:
            break
    assert report["complete"] and report["keptSuppression"] == "opt-out", report
    assert totals == {"messages": 1001, "idempotencyKeys": 1, "suppressions": 0}, (totals, sent)
    left = [item for item in _scan(db, table) if to in json.dumps(item)]
    assert [(i["PK"]["S"], i["reason"]["S"]) for i in left] == [("SUPPRESSION", "opt-out")]
    again = ok(api, ERASE, {"to": to})["eraseRecipient"]
    assert (again["messages"], again["idempotencyKeys"], again["suppressions"], again["complete"]) == (0, 0, 0, True)


def _scan(db, table):
    found, start = [], None
    while True:
        page = db.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        found += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found

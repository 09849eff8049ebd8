"""Two-way SMS over the local mode (issue 11): inbound from both providers' callback shapes, STOP/START/HELP,
verification codes read from the outbox only. One shared local mode (the session's), few waits.
"""

from __future__ import annotations

import json
import random
import re

import pytest

from tests.e2e.conftest import fresh_number, http, wait_for

SEND = """mutation send($input: MessageInput!) {
  sendMessage(input: $input) { id to deliveryStatus failureReason provider }
}"""
HISTORY = """query history($to: String!) {
  getMessages(filter: {to: $to}, first: 50, order: NEWEST_FIRST) {
    data { id to from body direction deliveryStatus provider providerMessageId }
  }
}"""
SUPPRESSIONS = "query { getSuppressions(first: 100) { data { to reason } } }"
SHORT_CODE = "12345"
OUR_SNS_NUMBER = "+18005550100"


def kenyan() -> str:
    return fresh_number("+2547", 8, 10_000_000)


def us_number() -> str:
    return fresh_number()


def inbound(local_api, sender: str, text: str, provider: str = "AFRICASTALKING", to: str = SHORT_CODE,
            provider_id: str | None = None) -> dict:
    payload = {"from": sender, "to": to, "text": text, "provider": provider, **({"id": provider_id} if provider_id else {})}
    status, body = http(local_api.base_url + "/local/inbound", json.dumps(payload).encode(),
                        {"Content-Type": "application/json"})
    assert status == 200, body
    return body


def history(local_api, number: str) -> list[dict]:
    status, body = local_api.graphql(HISTORY, {"to": number})
    assert status == 200 and "errors" not in body, body
    return body["data"]["getMessages"]["data"]


def send_sms(local_api, to: str, body: str) -> dict:
    status, response = local_api.graphql(SEND, {"input": {"to": to, "body": body, "deliveryMethod": "SMS"}})
    assert status == 200 and "errors" not in response, response
    return response["data"]["sendMessage"]


def suppression_of(local_api, number: str) -> str | None:
    entries = local_api.graphql(SUPPRESSIONS)[1]["data"]["getSuppressions"]["data"]
    return next((entry["reason"] for entry in entries if entry["to"] == number), None)


def sent_to(local_api, number: str) -> list[dict]:
    return [entry for entry in local_api.outbox() if entry["to"] == number]


@pytest.mark.parametrize("provider,to", [("AFRICASTALKING", SHORT_CODE), ("SNS", OUR_SNS_NUMBER)])
def test_inbound_is_recorded_once_in_the_senders_history(local_api, provider, to):
    sender = kenyan() if provider == "AFRICASTALKING" else us_number()
    provider_id = f"in-{random.getrandbits(64):x}"
    first = inbound(local_api, sender, "Hello there", provider, to, provider_id)
    repeat = inbound(local_api, sender, "Hello there", provider, to, provider_id)  # the callback, again
    assert repeat["messageId"] == first["messageId"]
    records = history(local_api, sender)
    assert len(records) == 1, records  # the record, once; nothing else in this fresh number's history
    assert records[0] == {"id": first["messageId"], "to": to, "from": sender, "body": "Hello there",
                      "direction": "INBOUND", "deliveryStatus": "DELIVERED", "provider": provider,
                      "providerMessageId": provider_id}


def test_stop_suppresses_start_lifts_and_help_answers(local_api):
    sender = kenyan()
    inbound(local_api, sender, "  stop ")
    assert suppression_of(local_api, sender) == "opt-out"
    refused = send_sms(local_api, sender, "Offer of the week")
    assert (refused["deliveryStatus"], refused["failureReason"]) == ("FAILED", "Suppressed: opt-out")

    inbound(local_api, sender, "Start")
    assert suppression_of(local_api, sender) is None
    sent = send_sms(local_api, sender, "Welcome back")
    assert sent["deliveryStatus"] == "QUEUED"

    inbound(local_api, sender, "HELP")
    bodies = wait_for(lambda: (lambda b: b if len(b) == 2 else None)([e["body"] for e in sent_to(local_api, sender)]))
    assert sorted(bodies) == sorted(["Welcome back", "Reply STOP to stop these messages, START to receive them again."])
    directions = [(m["direction"], m["body"]) for m in history(local_api, sender)]
    assert ("INBOUND", "  stop ") in directions and ("OUTBOUND", "Offer of the week") in directions


# -- verification codes -----------------------------------------------------------------------------
START = """mutation start($input: VerificationInput!) {
  startVerification(input: $input) { id to channel status expiresAt attemptsLeft sendsLeft }
}"""
CHECK = """mutation check($input: VerificationCheckInput!) {
  checkVerification(input: $input) { id status attemptsLeft }
}"""
CODE = re.compile(r"\b(\d{6}) is your verification code")


def start_verification(local_api, to: str) -> tuple[int, dict]:
    return local_api.graphql(START, {"input": {"to": to, "channel": "SMS"}})


def check(local_api, code: str, **which) -> dict:
    status, body = local_api.graphql(CHECK, {"input": {**which, "code": code}})
    assert status == 200, body
    return body


def codes_in_outbox(local_api, number: str) -> list[str]:
    return [m.group(1) for entry in sent_to(local_api, number) if (m := CODE.search(entry["body"] or ""))]


def test_a_code_from_the_outbox_approves_once_and_is_never_in_an_answer_or_a_log(local_api):
    number = kenyan()  # through Africa's Talking: the queued job carries the real text
    status, started = start_verification(local_api, number)
    assert status == 200 and "errors" not in started, started
    verification = started["data"]["startVerification"]
    assert (verification["status"], verification["attemptsLeft"], verification["sendsLeft"]) == ("PENDING", 5, 4)
    [code] = wait_for(lambda: codes_in_outbox(local_api, number))
    assert code not in json.dumps(started)
    [record] = history(local_api, number)
    assert record["body"] == "****** is your verification code. It expires in 10 minutes."

    wrong = "0" * 6 if code != "000000" else "111111"
    assert check(local_api, wrong, id=verification["id"])["data"]["checkVerification"]["status"] == "PENDING"
    approved = check(local_api, code, to=number)
    assert approved["data"]["checkVerification"] == {"id": verification["id"], "status": "APPROVED", "attemptsLeft": 3}
    again = check(local_api, code, id=verification["id"])
    assert again["data"]["checkVerification"] is None and again["errors"][0]["errorType"] == "NotFound"
    logs = "".join(local_api.stdout) + "".join(local_api.stderr)
    assert code not in logs and "verification checked" in logs


def test_five_wrong_codes_fail_the_verification(local_api):
    number = us_number()
    verification = start_verification(local_api, number)[1]["data"]["startVerification"]
    [code] = wait_for(lambda: codes_in_outbox(local_api, number))
    wrong = "0" * 6 if code != "000000" else "111111"
    statuses = [check(local_api, wrong, id=verification["id"])["data"]["checkVerification"]["status"] for _ in range(5)]
    assert statuses == ["PENDING"] * 4 + ["FAILED"]
    assert check(local_api, code, id=verification["id"])["data"]["checkVerification"]["status"] == "FAILED"


def test_an_expired_verification_answers_expired(local_api):
    import boto3

    number = us_number()
    verification = start_verification(local_api, number)[1]["data"]["startVerification"]
    [code] = wait_for(lambda: codes_in_outbox(local_api, number))
    # Ten minutes pass: the stored expiry is moved into the past (the local clock is the real one).
    dynamodb = boto3.client("dynamodb", endpoint_url=local_api.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    key = f"VERIFICATION#{verification['id']}"
    dynamodb.update_item(TableName="dev-messaging-messages", Key={"PK": {"S": key}, "SK": {"S": key}},
                         UpdateExpression="SET validUntil = :past", ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00.000Z"}})
    assert check(local_api, code, id=verification["id"])["data"]["checkVerification"]["status"] == "EXPIRED"


def test_the_sixth_start_within_the_hour_for_one_number_is_refused(local_api):
    number = us_number()
    answers = [start_verification(local_api, number)[1] for _ in range(6)]
    assert [a["data"]["startVerification"]["sendsLeft"] for a in answers[:5]] == [4, 3, 2, 1, 0]
    assert answers[5]["data"]["startVerification"] is None
    assert answers[5]["errors"][0]["errorType"] == "TooManyRequests"
    assert len(wait_for(lambda: (lambda c: c if len(c) == 5 else None)(codes_in_outbox(local_api, number)))) == 5


# -- proxy sessions ---------------------------------------------------------------------------------
ADD_NUMBER = "mutation add($n: String!) { addProxyNumber(number: $n) { number provider } }"
START_SESSION = """mutation start($input: ProxySessionInput!) {
  startProxySession(input: $input) { id participantA participantB number provider status expiresAt }
}"""
END_SESSION = "mutation end($id: ID!) { endProxySession(id: $id) { id status } }"


def gql(local_api, query: str, variables: dict) -> dict:
    status, body = local_api.graphql(query, variables)
    assert status == 200, body
    return body


def bodies_to(local_api, number: str, pool: str | None = None) -> list[str]:
    return [e["body"] for e in sent_to(local_api, number)]


def test_a_proxy_session_relays_both_ways_from_the_pool_number(local_api):
    pool = [us_number(), us_number()]
    for number in pool:
        assert gql(local_api, ADD_NUMBER, {"n": number})["data"]["addProxyNumber"]["provider"] == "SNS"
    alice, bob, carol, stranger = us_number(), us_number(), us_number(), us_number()
    first = gql(local_api, START_SESSION, {"input": {"participantA": alice, "participantB": bob}})["data"]["startProxySession"]
    second = gql(local_api, START_SESSION, {"input": {"participantA": alice, "participantB": carol,
                                                      "expiresInMinutes": 30}})["data"]["startProxySession"]
    assert first["number"] != second["number"]  # alice never gets one number in two open sessions
    assert {first["number"], second["number"]} <= set(pool)
    started = "Messaging: your conversation has started. Reply to this number to write."
    assert wait_for(lambda: bodies_to(local_api, bob)) == [started]

    inbound(local_api, alice, "Hi Bob", "SNS", first["number"])
    inbound(local_api, bob, "Hi Alice", "SNS", first["number"])
    inbound(local_api, stranger, "Anyone?", "SNS", first["number"])
    assert wait_for(lambda: (lambda b: b if "Hi Bob" in b else None)(bodies_to(local_api, bob)))
    assert wait_for(lambda: (lambda b: b if "Hi Alice" in b else None)(bodies_to(local_api, alice)))
    assert wait_for(lambda: bodies_to(local_api, stranger)) == [
        "Messaging: there is no open conversation on this number."]
    relayed = [m for m in history(local_api, bob) if m["body"] == "Hi Bob"]
    assert [(m["direction"], m["from"] if "from" in m else None) for m in relayed] == [("OUTBOUND", first["number"])]

    # The second session expires (its stored expiry is moved into the past): carol's text relays nothing.
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=local_api.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    key = {"PK": {"S": "PROXYSESSIONS"}, "SK": {"S": f"SESSION#{second['id']}"}}
    dynamodb.update_item(TableName="dev-messaging-messages", Key=key, UpdateExpression="SET validUntil = :past",
                         ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00.000Z"}})
    inbound(local_api, carol, "Still there?", "SNS", second["number"])
    assert "Still there?" not in bodies_to(local_api, alice)
    assert wait_for(lambda: (lambda b: b if len(b) == 2 else None)(bodies_to(local_api, carol)))[1] == (
        "Messaging: there is no open conversation on this number.")

    ended = gql(local_api, END_SESSION, {"id": first["id"]})["data"]["endProxySession"]
    assert ended["status"] == "CLOSED"
    assert wait_for(lambda: (lambda b: b if b[-1:] == ["Messaging: this conversation has ended."] else None)(
        bodies_to(local_api, bob)))

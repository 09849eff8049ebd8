"""Scheduled sends over the local mode: sendAt, the local firing of one-time schedules, cancelMessage.

One scheduled e-mail and one scheduled SMS are made a few seconds ahead; the SMS is cancelled at once.
The e-mail stays SCHEDULED until its time, then goes out once; the SMS never goes out.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from tests.e2e.conftest import fresh_number, wait_for

SEND = """mutation($input: MessageInput!) {
  sendMessage(input: $input) { id to deliveryStatus sendAt events { status } } }"""
CANCEL = """mutation($id: ID!) { cancelMessage(id: $id) { id deliveryStatus completedAt events { status detail } } }"""
GET = """query($id: ID!) { getMessage(id: $id) { id deliveryStatus sendAt sentAt } }"""
HISTORY = """query($to: String!) { getMessages(filter: {to: $to}) { data { id } } }"""
AHEAD_SECONDS = 5  # the first test warms the API function up, so this is time enough to cancel


def _at(seconds: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def _status(local_api, message_id: str) -> str | None:
    found = local_api.graphql(GET, {"id": message_id})[1]["data"]["getMessage"]
    return found and found["deliveryStatus"]


def _error_type(answer) -> str:
    return answer[1]["errors"][0]["errorType"]


def test_send_at_in_the_past_or_too_far_ahead_is_refused_and_nothing_is_written(local_api):
    email = f"never-{secrets.token_hex(4)}@example.com"
    for send_at in (_at(-60), _at(35 * 86_400 + 3600)):
        answer = local_api.graphql(SEND, {"input": {
            "to": email, "deliveryMethod": "EMAIL", "subject": "x", "body": "x", "sendAt": send_at}})
        assert _error_type(answer) == "BadRequest", answer
    assert local_api.graphql(HISTORY, {"to": email})[1]["data"]["getMessages"]["data"] == []
    assert _error_type(local_api.graphql(CANCEL, {"id": "01KAAAAAAAAAAAAAAAAAAAAAAA"})) == "BadRequest"


def test_a_scheduled_message_waits_for_its_time_and_a_cancelled_one_never_goes(local_api):
    email = f"later-{secrets.token_hex(4)}@example.com"
    phone = fresh_number()
    send_at = _at(AHEAD_SECONDS)
    status, answer = local_api.graphql(SEND, {"input": {
        "to": email, "deliveryMethod": "EMAIL", "subject": "Later", "body": "At five", "sendAt": send_at}})
    assert status == 200 and "errors" not in answer, [e["message"] for e in answer.get("errors", [])]
    scheduled = answer["data"]["sendMessage"]
    assert scheduled["deliveryStatus"] == "SCHEDULED" and [e["status"] for e in scheduled["events"]] == ["SCHEDULED"]
    assert dt.datetime.fromisoformat(scheduled["sendAt"]) == dt.datetime.fromisoformat(send_at)
    sms_at = _at(AHEAD_SECONDS)
    sms = local_api.graphql(SEND, {"input": {"to": phone, "deliveryMethod": "SMS", "body": "Never", "sendAt": sms_at}})[1]
    sms = sms["data"]["sendMessage"]

    cancelled = local_api.graphql(CANCEL, {"id": sms["id"]})[1]["data"]["cancelMessage"]
    assert cancelled["deliveryStatus"] == "CANCELLED" and cancelled["completedAt"]
    assert [e["status"] for e in cancelled["events"]] == ["SCHEDULED", "CANCELLED"]
    assert _error_type(local_api.graphql(CANCEL, {"id": sms["id"]})) == "BadRequest"  # final already

    # Nothing goes out before its time.
    assert _status(local_api, scheduled["id"]) == "SCHEDULED"
    assert not [e for e in local_api.outbox() if e["to"] == email]

    wait_for(lambda: _status(local_api, scheduled["id"]) in ("ACCEPTED", "DELIVERED"), timeout=AHEAD_SECONDS + 20)
    record = local_api.graphql(GET, {"id": scheduled["id"]})[1]["data"]["getMessage"]
    assert record["sentAt"] >= send_at.replace("+00:00", "Z")[:19]  # not before its time (to the second)
    assert len([e for e in local_api.outbox() if e["to"] == email]) == 1
    # The cancelled one's time has passed too (and a poll of the local scheduler since): it stayed
    # CANCELLED and was never handed to a provider.
    time.sleep(max(0.0, (dt.datetime.fromisoformat(sms_at) - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1.5)
    assert _status(local_api, sms["id"]) == "CANCELLED"
    assert not [e for e in local_api.outbox() if e["to"] == phone]
    # Cancelling what was sent is refused.
    assert _error_type(local_api.graphql(CANCEL, {"id": scheduled["id"]})) == "BadRequest"

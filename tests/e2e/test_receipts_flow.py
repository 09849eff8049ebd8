"""Delivery truth through the local mode, as a client sees it: SES's mailbox simulator and the SNS SMS
test numbers end every message in a true final status, with its times and timeline; bounces and
complaints suppress; duplicated and reordered receipts change nothing; removeSuppression lifts one."""

from __future__ import annotations

import uuid

import boto3
import pytest

from local.provider_receipts import SMS_DELIVERED_NUMBER, SMS_FAILED_NUMBER
from tests.e2e.conftest import wait_for
from tests.samples import receipts as samples

SEND = """mutation send($input: MessageInput!) {
  sendMessage(input: $input) { id to deliveryStatus failureReason providerMessageId }
}"""
HISTORY = """query history($to: String!) {
  getMessages(filter: {to: $to}, first: 20) {
    data { id deliveryStatus failureReason providerMessageId sentAt completedAt events { status at detail } }
  }
}"""
SUPPRESSIONS = """query s($first: Int, $after: String) {
  getSuppressions(first: $first, after: $after) { data { to reason messageId } pageInfo { hasNextPage endCursor } }
}"""
REMOVE = "mutation r($to: String!) { removeSuppression(to: $to) }"
FINAL = {"DELIVERED", "FAILED", "UNCONFIRMED"}


def simulator(kind: str) -> str:
    """A simulator address of its own (SES honours +labels), so tests sharing the session do not meet."""
    return f"{kind}+{uuid.uuid4().hex[:10]}@simulator.amazonses.com"


def send(local_api, to: str, method: str = "EMAIL") -> dict:
    fields = {"subject": "Hello", "deliveryMethod": "EMAIL"} if method == "EMAIL" else {"deliveryMethod": "SMS"}
    status, body = local_api.graphql(SEND, {"input": {"to": to, "body": "Your receipt", **fields}})
    assert status == 200 and "errors" not in body, body
    return body["data"]["sendMessage"]


def history(local_api, to: str) -> list[dict]:
    status, body = local_api.graphql(HISTORY, {"to": to})
    assert status == 200 and "errors" not in body, body
    return body["data"]["getMessages"]["data"]


def settled(local_api, to: str, count: int = 1) -> list[dict]:
    def done():
        messages = history(local_api, to)
        return messages if len(messages) == count and all(m["deliveryStatus"] in FINAL for m in messages) else None

    return wait_for(done, timeout=20)


def outbox_to(local_api, to: str) -> list[dict]:
    return [entry for entry in local_api.get("/local/outbox")[1]["sent"] if entry["to"] == to]


def test_an_email_to_the_success_simulator_ends_delivered_with_its_times_and_timeline(local_api):
    to = simulator("success")
    send(local_api, to)
    [message] = settled(local_api, to)
    assert message["deliveryStatus"] == "DELIVERED"
    assert message["sentAt"] and message["completedAt"] and message["sentAt"] <= message["completedAt"]
    assert [e["status"] for e in message["events"]] == ["PENDING", "ACCEPTED", "DELIVERED"]
    assert message["events"][-1]["detail"] == "Delivered"


def test_a_bounce_fails_and_suppresses_so_the_next_send_fails_with_nothing_sent(local_api):
    to = simulator("bounce")
    send(local_api, to)
    [message] = settled(local_api, to)
    assert (message["deliveryStatus"], message["failureReason"]) == ("FAILED", "Bounce: Permanent/General")
    again = send(local_api, to)
    assert (again["deliveryStatus"], again["failureReason"]) == ("FAILED", "Suppressed: bounce")
    assert again["providerMessageId"] is None
    assert len(outbox_to(local_api, to)) == 1  # only the first reached SES


def test_a_complaint_ends_delivered_and_suppresses(local_api):
    to = simulator("complaint")
    send(local_api, to)
    [message] = settled(local_api, to)
    assert message["deliveryStatus"] == "DELIVERED"
    suppressed = wait_for(lambda: send(local_api, to) if _suppressed(local_api, to) else None)
    assert suppressed["failureReason"] == "Suppressed: complaint"


def test_the_suppression_list_removal_lets_the_next_send_go_out(local_api):
    to = simulator("suppressionlist")
    send(local_api, to)
    settled(local_api, to)
    assert _suppressed(local_api, to)
    assert local_api.graphql(REMOVE, {"to": to})[1]["data"]["removeSuppression"] is True
    assert local_api.graphql(REMOVE, {"to": to})[1]["data"]["removeSuppression"] is False
    sent = send(local_api, to)
    assert sent["deliveryStatus"] == "ACCEPTED"
    assert len(outbox_to(local_api, to)) == 2


@pytest.mark.parametrize("number, status, reason", [
    (SMS_DELIVERED_NUMBER, "DELIVERED", None),
    (SMS_FAILED_NUMBER, "FAILED", "Carrier: Phone carrier has blocked this message"),
])
def test_sns_sms_to_the_test_numbers_ends_delivered_or_failed(local_api, number, status, reason):
    sent = send(local_api, number, "SMS")
    message = wait_for(lambda: next((m for m in history(local_api, number)
                                     if m["id"] == sent["id"] and m["deliveryStatus"] in FINAL), None))
    assert (message["deliveryStatus"], message["failureReason"]) == (status, reason)
    assert message["completedAt"] and message["events"][-1]["status"] == status


def test_duplicated_and_reordered_receipts_change_nothing(local_api):
    to = simulator("success")
    sent = send(local_api, to)
    [before] = settled(local_api, to)
    sqs = boto3.client("sqs", endpoint_url=local_api.aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    queue = sqs.get_queue_url(QueueName="dev-messaging-receipts")["QueueUrl"]
    for event in (samples.delivery(sent["id"], to, before["providerMessageId"]),
                  samples.bounce(sent["id"], to, ses_id=before["providerMessageId"])):
        sqs.send_message(QueueUrl=queue, MessageBody=samples.sns_notification(event))
    wait_for(lambda: _queue_empty(sqs, queue))
    [after] = history(local_api, to)
    assert after == before
    assert not _suppressed(local_api, to)  # a bounce that arrives after the delivery proves nothing


def _suppressed(local_api, to: str) -> bool:
    after = None
    while True:
        body = local_api.graphql(SUPPRESSIONS, {"first": 100, "after": after})[1]["data"]["getSuppressions"]
        if any(entry["to"] == to for entry in body["data"]):
            return True
        if not body["pageInfo"]["hasNextPage"]:
            return False
        after = body["pageInfo"]["endCursor"]


def _queue_empty(sqs, queue: str) -> bool:
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(value == "0" for value in attributes.values())

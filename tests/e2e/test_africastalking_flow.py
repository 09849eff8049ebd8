"""SMS through Africa's Talking in the local mode: API -> queue -> worker -> stand-in -> delivery reports.

All scenarios are sent at once (one module fixture) and each test then waits for its own outcome,
so the suite waits for the slowest scenario (three receives with back-off), not for their sum.
"""

from __future__ import annotations

import uuid

import pytest

from local.africastalking_standin import (
    BLACKLISTED_NUMBER,
    DELIVERY_FAILED_NUMBER,
    GATEWAY_ERROR_ONCE_NUMBER,
    HTTP_500_NUMBER,
    INVALID_NUMBER,
    OUT_OF_ORDER_REPORTS_NUMBER,
    REJECTED_BY_GATEWAY_NUMBER,
)
from stacks.config import load_cdk_json_config
from tests.e2e.conftest import fresh_number, wait_for

SEND = """mutation send($input: MessageInput!) {
  sendMessage(input: $input) { id to deliveryStatus provider }
}"""
HISTORY = """query history($to: String!) {
  getMessages(filter: {to: $to}, first: 100, order: NEWEST_FIRST) {
    data { id deliveryStatus provider providerMessageId failureReason cost }
  }
}"""
FINAL = {"DELIVERED", "FAILED"}
OUTCOME_TIMEOUT = 40  # three receives: 2 s batching window each, back-off 1 s then 2 s
RECEIVES = load_cdk_json_config().max_receive_count
# Requests to the stand-in per scenario (one recipient each): a refused or accepted text once, the
# gateway error twice (refused, then accepted), a transient failure on every receive.
AT_REQUESTS = {"normal": 1, "invalid": 1, "blacklisted": 1, "gateway_error_once": 2, "rejected_by_gateway": RECEIVES,
               "delivery_failed": 1, "out_of_order": 1, "http_500": RECEIVES}
# Delivery reports per accepted text: Sent + Success, Sent + Failed, Success + late Sent + duplicate Success.
DELIVERY_REPORTS = {"normal": 2, "gateway_error_once": 2, "delivery_failed": 2, "out_of_order": 3}
FAILURE_REASONS = {"invalid": "InvalidPhoneNumber", "blacklisted": "UserInBlacklist",
                   "rejected_by_gateway": "RejectedByGateway", "http_500": "AfricasTalking:HTTP500"}


@pytest.fixture(scope="module")
def standin_before(local_api) -> dict[str, int]:
    """The stand-in's counters before this module sends anything (the session's instance is shared)."""
    return local_api.get("/local/africastalking/stats")[1]


@pytest.fixture(scope="module")
def sent(local_api, standin_before) -> dict[str, dict]:
    numbers = {
        "normal": fresh_number("+2547", 8, 10_000_000),
        "invalid": INVALID_NUMBER,
        "blacklisted": BLACKLISTED_NUMBER,
        "gateway_error_once": GATEWAY_ERROR_ONCE_NUMBER,
        "rejected_by_gateway": REJECTED_BY_GATEWAY_NUMBER,
        "delivery_failed": DELIVERY_FAILED_NUMBER,
        "out_of_order": OUT_OF_ORDER_REPORTS_NUMBER,
        "http_500": HTTP_500_NUMBER,
    }
    messages = {}
    for scenario, number in numbers.items():
        body = f"{scenario} {uuid.uuid4().hex[:8]}"  # a text of its own: one AT request per scenario
        status, response = local_api.graphql(SEND, {"input": {"to": number, "body": body, "deliveryMethod": "SMS"}})
        assert status == 200 and "errors" not in response, (scenario, response)
        message = response["data"]["sendMessage"]
        assert (message["provider"], message["deliveryStatus"]) == ("AFRICASTALKING", "QUEUED"), scenario
        messages[scenario] = {**message, "body": body}
    return messages


def _record(local_api, message: dict) -> dict:
    status, response = local_api.graphql(HISTORY, {"to": message["to"]})
    assert status == 200 and "errors" not in response, response
    [record] = [m for m in response["data"]["getMessages"]["data"] if m["id"] == message["id"]]
    return record


def _final(local_api, message: dict) -> dict:
    return wait_for(
        lambda: (record := _record(local_api, message))["deliveryStatus"] in FINAL and record,
        timeout=OUTCOME_TIMEOUT,
    )


def test_normal_number_is_sent_once_and_delivered(local_api, sent):
    record = _final(local_api, sent["normal"])
    assert record["deliveryStatus"] == "DELIVERED"
    assert record["providerMessageId"].startswith("ATXid_") and record["cost"] == "KES 0.8000"
    [entry] = [e for e in local_api.outbox() if e["providerMessageId"] == record["providerMessageId"]]
    assert (entry["provider"], entry["channel"], entry["to"], entry["body"]) == (
        "AFRICASTALKING",
        "SMS",
        sent["normal"]["to"],
        sent["normal"]["body"],
    )


@pytest.mark.parametrize("scenario", ["invalid", "blacklisted"])
def test_permanent_refusal_fails_without_retry(local_api, sent, scenario):
    record = _final(local_api, sent[scenario])
    assert record["deliveryStatus"] == "FAILED" and record["failureReason"]
    assert record["failureReason"] == FAILURE_REASONS[scenario]
    assert record["providerMessageId"] is None


def test_gateway_error_once_is_retried_and_delivered(local_api, sent):
    record = _final(local_api, sent["gateway_error_once"])
    assert record["deliveryStatus"] == "DELIVERED"
    texts = [e for e in local_api.outbox() if e["body"] == sent["gateway_error_once"]["body"]]
    assert len(texts) == 1  # refused once, accepted once: one SMS


@pytest.mark.parametrize("scenario", ["rejected_by_gateway", "http_500"])
def test_transient_failure_on_every_attempt_fails_on_the_last_receive(local_api, sent, scenario):
    record = _final(local_api, sent[scenario])
    assert record["deliveryStatus"] == "FAILED" and record["failureReason"]
    assert record["failureReason"] == FAILURE_REASONS[scenario]
    assert not [e for e in local_api.outbox() if e["body"] == sent[scenario]["body"]]


def test_failed_delivery_report_fails_the_message(local_api, sent):
    record = _final(local_api, sent["delivery_failed"])
    assert (record["deliveryStatus"], record["failureReason"]) == ("FAILED", "DeliveryFailure")


def test_late_and_duplicate_reports_do_not_undo_delivery(local_api, sent):
    record = _final(local_api, sent["out_of_order"])
    assert record["deliveryStatus"] == "DELIVERED"
    # Success came first; wait until the late Sent and the duplicate Success have been posted too
    wait_for(lambda: local_api.get("/local/africastalking/stats")[1]["deliveryReportsPending"] == 0)
    assert _record(local_api, sent["out_of_order"])["deliveryStatus"] == "DELIVERED"


def test_standin_counts_requests_and_recipients(local_api, sent, standin_before):
    _final(local_api, sent["normal"])
    stats = local_api.get("/local/africastalking/stats")[1]
    assert stats["requests"] >= 1 and stats["recipients"] >= stats["requests"]
    for message in sent.values():  # every request made: the last receive of a retried text settles it
        _final(local_api, message)
    wait_for(lambda: local_api.get("/local/africastalking/stats")[1]["deliveryReportsPending"] == 0)
    stats = local_api.get("/local/africastalking/stats")[1]
    counted = {key: stats[key] - standin_before[key] for key in ("requests", "recipients", "deliveryReports")}
    requests = sum(AT_REQUESTS.values())
    assert counted == {"requests": requests, "recipients": requests, "deliveryReports": sum(DELIVERY_REPORTS.values())}


@pytest.mark.parametrize("scenario", ["rejected_by_gateway", "http_500"])
def test_a_job_that_failed_on_every_receive_lands_in_the_dlq(local_api, sent, scenario):
    _final(local_api, sent[scenario])
    message_id = sent[scenario]["id"]
    wait_for(lambda: any(message_id in m["body"] for m in local_api.get("/local/dlq")[1]["messages"]), timeout=20)
    [dead] = [m for m in local_api.get("/local/dlq")[1]["messages"] if message_id in m["body"]]
    assert dead["queue"].endswith("-outbound-dlq")


def test_a_duplicated_sqs_delivery_of_a_sent_message_sends_nothing_more(local_api, sent):
    import json

    import boto3

    record = _final(local_api, sent["normal"])
    requests_before = local_api.get("/local/africastalking/stats")[1]["requests"]
    sqs = boto3.client("sqs", endpoint_url=local_api.aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    [url] = [u for u in sqs.list_queues()["QueueUrls"] if u.endswith("-outbound")]
    job = json.dumps({"v": 1, "to": sent["normal"]["to"], "id": sent["normal"]["id"]}, separators=(",", ":"))
    sqs.send_message(QueueUrl=url, MessageBody=job)  # SQS at-least-once: the same job a second time
    message_id = sent["normal"]["id"]
    wait_for(lambda: any("already settled" in line and message_id in line for line in list(local_api.stdout)))
    assert local_api.get("/local/africastalking/stats")[1]["requests"] == requests_before
    assert len([e for e in local_api.outbox() if e["providerMessageId"] == record["providerMessageId"]]) == 1
    assert _record(local_api, sent["normal"])["deliveryStatus"] == "DELIVERED"

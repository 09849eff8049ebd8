"""The worker as Lambda's SQS event source mapping calls it, sending to a loopback AT server."""

import json

import boto3
import pytest

from tests.adapters.test_africastalking_wire import Capture, server  # noqa: F401 - fixture
from tests.support import FakeLambdaContext, appsync_event, moto_service


@pytest.fixture
def worker(server):  # noqa: F811
    with moto_service(overrides={"atBaseUrl": server}) as resources:
        from messenger.api import lambda_handler as api
        from messenger.sending.worker import lambda_handler as dispatch

        yield api, dispatch, resources


def sqs_event(resources, bodies, receive_count=1):
    """`bodies`: job bodies, or (body, receipt handle) pairs received from the queue."""
    pairs = [b if isinstance(b, tuple) else (b, f"rh-{i}") for i, b in enumerate(bodies)]
    return {"Records": [{
        "messageId": f"m-{i}", "receiptHandle": handle, "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)}, "messageAttributes": {},
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:outbound",
        "awsRegion": "us-east-1", "md5OfBody": ""} for i, (body, handle) in enumerate(pairs)]}


def queued_jobs(resources):
    sqs = boto3.client("sqs")
    url = resources.queues["outbound"].url
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [(m["Body"], m["ReceiptHandle"]) for m in received]


def test_queued_at_messages_are_sent_and_the_batch_reports_no_failures(worker):
    api, dispatch, resources = worker
    for number in ("+254711000001", "+254711000002"):
        result = api(appsync_event("Mutation", "sendMessage", {"input": {
            "to": number, "body": "Code 1", "deliveryMethod": "SMS"}}), FakeLambdaContext())
        assert result["data"]["deliveryStatus"] == "QUEUED"
    jobs = queued_jobs(resources)
    # The stand-in server answers for the two numbers the wire test knows.
    Capture.captured = []
    response = dispatch(sqs_event(resources, jobs), FakeLambdaContext())
    assert response == {"batchItemFailures": []}
    assert len(Capture.captured) == 1
    assert Capture.captured[0]["form"]["to"] == ["+254711000001,+254711000002"]


def test_an_unreadable_job_is_reported_as_a_failed_item(worker):
    _, dispatch, resources = worker
    response = dispatch(sqs_event(resources, ["not json", json.dumps({"v": 9})]), FakeLambdaContext())
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == ["m-0", "m-1"]


def test_a_gateway_failure_reports_only_its_items(worker):
    api, dispatch, resources = worker
    api(appsync_event("Mutation", "sendMessage", {"input": {
        "to": "+254711000001", "body": "Code 2", "deliveryMethod": "SMS"}}), FakeLambdaContext())
    jobs = queued_jobs(resources)
    Capture.status = 503
    response = dispatch(sqs_event(resources, jobs), FakeLambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}


def test_a_masked_record_is_sent_with_its_real_text_carried_by_the_job_alone(worker):
    """A verification code: the record (and so history and logs) keeps the masked text; only the job carries
    the code, and the worker sends that."""
    _, dispatch, resources = worker
    from messenger.sending.dependencies import message_service
    from messenger.sending.dal import SendingTable

    message = message_service().send({"to": "+254711000001", "body": "482913 is your code", "deliveryMethod": "SMS"},
                                      record_body="****** is your code")
    [(body, handle)] = queued_jobs(resources)
    assert json.loads(body)["text"] == "482913 is your code"
    Capture.captured = []
    assert dispatch(sqs_event(resources, [(body, handle)]), FakeLambdaContext()) == {"batchItemFailures": []}
    assert Capture.captured[0]["form"]["message"] == ["482913 is your code"]
    stored = SendingTable(boto3.client("dynamodb"), resources.table_name).get(message.to, message.id)
    assert stored.body == "****** is your code" and stored.delivery_status.value == "ACCEPTED"

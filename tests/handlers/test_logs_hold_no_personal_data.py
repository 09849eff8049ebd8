"""Every log line of full sends, on every channel and path, is free of personal data and secrets."""

import io
import json
from urllib.parse import quote_plus

import boto3
import pytest

from tests.adapters.test_africastalking_wire import Capture, server  # noqa: F401 - fixture
from tests.support import FakeLambdaContext, appsync_event, moto_service

BODY = "Secret body 4711 for Jane"
SUBJECT = "Private subject 0815"
EMAIL = "jane.private@example.com"
PHONE_SNS = "+14155550123"
PHONE_AT = "+254711000001"  # the capture server answers 101 for both
PHONE_AT_2 = "+254711000002"
PERSONAL = "Personal value 9321"  # a template's personalisation value


def sqs_event(bodies):
    return {"Records": [{"messageId": f"m-{i}", "receiptHandle": handle, "body": body,
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1"}
                        for i, (body, handle) in enumerate(bodies)]}


@pytest.fixture
def logs(server):  # noqa: F811
    with moto_service(overrides={"atBaseUrl": server}, env={"POWERTOOLS_LOG_LEVEL": "DEBUG"}) as resources:
        from messenger.api import lambda_handler as api
        from messenger.core.observability import logger
        from messenger.delivery_reports.handler import lambda_handler as reports
        from messenger.sending.worker import lambda_handler as dispatch

        def send(**input_):
            return api(appsync_event("Mutation", "sendMessage", {"input": input_}), FakeLambdaContext())

        # Every log line (Powertools' and the logic's "messenger.*" loggers share one handler).
        buffer = io.StringIO()
        previous, logger.registered_handler.stream = logger.registered_handler.stream, buffer
        secrets = boto3.client("secretsmanager")
        at_key = json.loads(secrets.get_secret_value(SecretId=resources.at_secret_name)["SecretString"])["apiKey"]
        assert send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]["deliveryStatus"] == "ACCEPTED"
        assert send(to=PHONE_SNS, body=BODY, deliveryMethod="SMS")["data"]["deliveryStatus"] == "ACCEPTED"
        assert send(to="not-an-email", body=BODY, deliveryMethod="EMAIL")["error"]["type"] == "BadRequest"
        # By template: a send, a missing value and a value of the wrong type.
        template = api(appsync_event("Mutation", "createTemplate", {"input": {
            "name": "t", "channel": "EMAIL", "subject": "Hi ((name))", "body": "Dear ((name)) ((code))"}}),
            FakeLambdaContext())["data"]
        by_template = {"to": EMAIL, "deliveryMethod": "EMAIL", "templateId": template["id"]}
        assert send(**by_template, personalisation=json.dumps({"name": PERSONAL, "code": PERSONAL}))["data"]
        assert send(**by_template, personalisation=json.dumps({"name": PERSONAL}))["error"]["type"] == "BadRequest"
        assert send(**by_template, personalisation=json.dumps({"name": {"x": PERSONAL}}))["error"]["type"] == "BadRequest"
        # A failure path: SES refuses a sender that is no longer verified.
        boto3.client("sesv2").delete_email_identity(EmailIdentity="no-reply@example.com")
        boto3.client("sesv2").delete_email_identity(EmailIdentity="example.com")
        failed = send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]
        assert failed["deliveryStatus"] == "FAILED"
        for number in (PHONE_AT, PHONE_AT_2):
            assert send(to=number, body=BODY, deliveryMethod="SMS")["data"]["deliveryStatus"] == "QUEUED"
        sqs = boto3.client("sqs")
        received = sqs.receive_message(QueueUrl=resources.queues["outbound"].url, MaxNumberOfMessages=10)["Messages"]
        Capture.captured = []
        dispatch(sqs_event([(m["Body"], m["ReceiptHandle"]) for m in received]), FakeLambdaContext())
        assert len(Capture.captured) == 1
        # The worker's retry path: AT answers 503 for a further message.
        assert send(to=PHONE_AT, body=BODY, deliveryMethod="SMS")["data"]["deliveryStatus"] == "QUEUED"
        received = sqs.receive_message(QueueUrl=resources.queues["outbound"].url, MaxNumberOfMessages=10)["Messages"]
        Capture.status = 503
        failures = dispatch(sqs_event([(m["Body"], m["ReceiptHandle"]) for m in received]), FakeLambdaContext())
        assert len(failures["batchItemFailures"]) == 1
        # A report for the accepted AT message, and one with a wrong token.
        event = {"rawPath": f"/reports/{resources.report_token}", "body": "id=ATXid_0&status=Success&phoneNumber=%2B254711000001",
                 "isBase64Encoded": False, "requestContext": {"http": {"method": "POST"}}}
        assert reports(event, FakeLambdaContext())["statusCode"] == 200
        assert reports({**event, "rawPath": "/reports/guess"}, FakeLambdaContext())["statusCode"] == 403
        logger.registered_handler.stream = previous
        yield buffer.getvalue(), [at_key, resources.report_token]


def test_the_logs_of_full_sends_hold_no_body_subject_recipient_or_secret(logs):
    text, secrets = logs
    lines = [line for line in text.splitlines() if line.startswith("{")]
    assert len(lines) >= 10  # the sends above did log
    encoded = [quote_plus(value) for value in (BODY, EMAIL, PHONE_SNS, PHONE_AT, PHONE_AT_2)]
    for forbidden in [BODY, SUBJECT, PERSONAL, EMAIL, PHONE_SNS, PHONE_AT, PHONE_AT_2, "jane.private", *encoded, *secrets]:
        assert forbidden not in text, forbidden
    assert "j***@example.com" in text and "+1415*****23" in text  # masked forms are what is logged

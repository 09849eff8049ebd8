"""Each handler calls only what its wiring capabilities allow (the stack turns those into IAM)."""

import functools
import json

import boto3
import pytest

from stacks import wiring as w
from stacks.config import load_cdk_json_config
from tests.adapters.test_africastalking_wire import Capture, server  # noqa: F401 - fixture
from tests.handlers.test_logs_hold_no_personal_data import sqs_event
from tests.support import (
    FakeLambdaContext,
    appsync_event,
    moto_service,
    own_environment,
)

# The calls each capability covers (a transaction's puts are authorised as PutItem).
ALLOWED = {
    w.TABLE_GET: {"dynamodb.GetItem"},
    w.TABLE_BATCH_GET: {"dynamodb.BatchGetItem"},
    w.TABLE_QUERY: {"dynamodb.Query"},
    w.TABLE_PUT: {"dynamodb.PutItem", "dynamodb.TransactWriteItems"},
    w.TABLE_UPDATE: {"dynamodb.UpdateItem"},
    w.TABLE_DELETE: {"dynamodb.DeleteItem"},
    w.EMAIL_SEND: {"sesv2.SendEmail"},
    w.SMS_PUBLISH: {"sns.Publish"},
    w.QUEUE_SEND: {"sqs.SendMessage"},
    w.QUEUE_CONSUME: {"sqs.ChangeMessageVisibility"},
    w.INBOUND_QUEUE_SEND: {"sqs.SendMessage"},
}


@pytest.fixture
def calls(server, monkeypatch):  # noqa: F811
    with moto_service(overrides={"atBaseUrl": server}) as resources:
        from messenger.adapters import aws

        made: list[str] = []
        make = aws.client.__wrapped__

        def counted(*args, **kwargs):
            client = make(*args, **kwargs)
            service = client.meta.service_model.service_name
            client.meta.events.register("before-call", lambda model, **_: made.append(f"{service}.{model.name}"))
            return client

        monkeypatch.setattr(aws, "client", functools.cache(counted))
        yield made, resources


def allowed_for(function: str) -> set[str]:
    capabilities = w.build_wiring(load_cdk_json_config()).function(function).capabilities
    return set().union(*(ALLOWED.get(c, set()) for c in capabilities))


def test_every_handler_stays_within_its_capabilities(calls, server):  # noqa: F811
    """Each phase runs with only its own function's environment: its settings suffice too."""
    made, resources = calls
    at = {"atBaseUrl": server}
    from messenger.api import lambda_handler as api
    from messenger.delivery_reports.handler import lambda_handler as reports
    from messenger.sending.worker import lambda_handler as dispatch

    def send(**input_):
        return api(appsync_event("Mutation", "sendMessage", {"input": input_}), FakeLambdaContext())

    by_function = {}
    with own_environment("api", resources, at):
        send(to="user@example.com", subject="s", body="b", deliveryMethod="EMAIL", idempotencyKey="k")
        send(to="user@example.com", subject="s", body="b", deliveryMethod="EMAIL", idempotencyKey="k")
        send(to="+14155550123", body="b", deliveryMethod="SMS")
        send(to="+254711000001", body="b", deliveryMethod="SMS")
        api(appsync_event("Query", "getMessages", {"filter": {"to": "user@example.com"}}), FakeLambdaContext())
        _templates_round(api)
        started = api(appsync_event("Mutation", "startVerification", {"input": {"to": "+14155550123", "channel": "SMS"}}),
                      FakeLambdaContext())["data"]
        api(appsync_event("Mutation", "startVerification", {"input": {"to": "+14155550123", "channel": "SMS"}}),
            FakeLambdaContext())  # a new code on the pending verification
        checked = api(appsync_event("Mutation", "checkVerification", {"input": {"to": "+14155550123", "code": "00000"}}),
                      FakeLambdaContext())["data"]
        assert (checked["id"], checked["status"]) == (started["id"], "PENDING")
        for field, arguments in (("addProxyNumber", {"number": "+14155550111"}),
                                 ("startProxySession", {"input": {"participantA": "+14155550123", "participantB": "+14155550124"}}),
                                 ("removeProxyNumber", {"number": "+14155550188"})):
            assert "data" in api(appsync_event("Mutation", field, arguments), FakeLambdaContext())
        assert "data" in api(appsync_event("Query", "getProxySessions", {"first": 5}), FakeLambdaContext())
        assert "data" in api(appsync_event("Query", "getProxyNumbers", {}), FakeLambdaContext())
        by_function["api"], made[:] = set(made), []

    sqs = boto3.client("sqs")
    [job] = sqs.receive_message(QueueUrl=resources.queues["outbound"].url)["Messages"]
    Capture.captured = []
    with own_environment("dispatch", resources, at):
        dispatch(sqs_event([(job["Body"], job["ReceiptHandle"])] * 2), FakeLambdaContext())  # and its duplicate
    by_function["dispatch"], made[:] = set(made), []

    event = {"rawPath": f"/reports/{resources.report_token}", "isBase64Encoded": False,
             "body": "id=ATXid_0&status=Success&phoneNumber=%2B254711000001", "requestContext": {"http": {"method": "POST"}}}
    with own_environment("delivery_reports", resources, at):
        assert reports(event, FakeLambdaContext())["body"] == "updated"
    form = "from=%2B254711000001&to=12345&text=HELP&date=2026-11-23+10%3A00%3A00&id=ATSMS_1"
    with own_environment("delivery_reports", resources, at):
        assert reports({**event, "rawPath": f"/inbound/{resources.report_token}", "body": form},
                       FakeLambdaContext())["statusCode"] == 200
        assert reports({**event, "rawPath": f"/opt-out/{resources.report_token}",
                        "body": "senderId=B&phoneNumber=%2B254711000002"}, FakeLambdaContext())["statusCode"] == 200
    by_function["delivery_reports"], made[:] = set(made), []

    from messenger.inbound.handler import lambda_handler as inbound

    received = sqs.receive_message(QueueUrl=resources.queues["inbound"].url, MaxNumberOfMessages=10)["Messages"]
    sns_help = json.dumps({"Type": "Notification", "Message": json.dumps({
        "originationNumber": "+14155550123", "destinationNumber": "+18005550100", "messageBody": "help",
        "inboundMessageId": "e-1"})})
    sns_start = sns_help.replace("help", "START").replace("e-1", "e-2")
    sns_relay = sns_help.replace("help", "hello").replace("e-1", "e-3").replace("+18005550100", "+14155550111")
    bodies = [(m["Body"], m["ReceiptHandle"]) for m in received] + [(sns_help, "h1"), (sns_start, "h2"),
                                                                     (sns_relay, "h3")]
    with own_environment("inbound", resources, at):
        assert inbound(sqs_event(bodies), FakeLambdaContext())["batchItemFailures"] == []
    by_function["inbound"] = set(made)

    for function, used in by_function.items():
        assert used, function
        assert used <= allowed_for(function), (function, used - allowed_for(function))
    assert "dynamodb.BatchGetItem" in by_function["api"]  # the pinned template version
    assert "dynamodb.GetItem" in by_function["dispatch"]  # the duplicate found the message settled
    assert {"sns.Publish", "sqs.SendMessage", "dynamodb.TransactWriteItems", "dynamodb.DeleteItem"} <= by_function["inbound"]


def _templates_round(api) -> None:
    """Every templates field and a send by template, with the api function's own environment."""
    def call(parent, field, arguments):
        answer = api(appsync_event(parent, field, arguments), FakeLambdaContext())
        assert "data" in answer, answer
        return answer["data"]

    body = {"name": "t", "channel": "SMS", "body": "Code ((code))"}
    template = call("Mutation", "createTemplate", {"input": body})
    call("Mutation", "updateTemplate", {"id": template["id"], "input": body})
    call("Query", "getTemplates", {"first": 5})
    call("Query", "previewTemplate", {"id": template["id"], "version": 1, "personalisation": '{"code": 1}'})
    from messenger.templates.dependencies import template_service

    template_service()._cache.forget(template["id"])  # a cold pinned read: one BatchGetItem
    call("Mutation", "sendMessage", {"input": {"to": "+14155550123", "deliveryMethod": "SMS", "templateId": template["id"],
                                               "templateVersion": 1, "personalisation": '{"code": 1}'}})
    call("Mutation", "archiveTemplate", {"id": template["id"]})

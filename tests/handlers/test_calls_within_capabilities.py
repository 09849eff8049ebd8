"""Each handler calls only what its wiring capabilities allow (the stack turns those into IAM)."""

import datetime as dt
import functools

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
    w.TABLE_BATCH_WRITE: {"dynamodb.BatchWriteItem"},
    "bucket:read:uploads": {"s3.GetObject"},
    # A pre-signed URL is signed locally with the function's credentials; S3 checks PutObject when it is used.
    "bucket:write:uploads": set(),
    w.TABLE_UPDATE: {"dynamodb.UpdateItem"},
    w.TABLE_DELETE: {"dynamodb.DeleteItem"},
    w.TABLE_BATCH_WRITE: {"dynamodb.BatchWriteItem"},
    w.API_KEYS: {"appsync.CreateApiKey", "appsync.ListApiKeys", "appsync.UpdateApiKey", "appsync.DeleteApiKey"},
    w.EMAIL_SEND: {"sesv2.SendEmail"},
    w.SMS_PUBLISH: {"sns.Publish"},
    w.QUEUE_SEND: {"sqs.SendMessage", "sqs.SendMessageBatch"},
    w.QUEUE_CONSUME: {"sqs.ChangeMessageVisibility"},
    "schedules:manage:sends": {"scheduler.CreateSchedule", "scheduler.DeleteSchedule"},
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
        _clients_round(api)
        later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
        scheduled = send(to="user@example.com", subject="s", body="b", deliveryMethod="EMAIL", sendAt=later)["data"]
        api(appsync_event("Mutation", "cancelMessage", {"id": scheduled["id"]}), FakeLambdaContext())
        upload = _batches_round(api)
        by_function["api"], made[:] = set(made), []

    sqs = boto3.client("sqs")
    boto3.client("s3").put_object(Bucket=resources.buckets["uploads"], Key=f"uploads/{upload['batchId']}.csv",
                                  Body=b"to,code\n+254711000009,7\n")
    notices = sqs.receive_message(QueueUrl=resources.queues["uploads"].url, MaxNumberOfMessages=10)["Messages"]
    made[:] = []
    with own_environment("batch_uploads", resources, at):
        from messenger.batches.worker import lambda_handler as uploads

        assert uploads(sqs_event([(n["Body"], n["ReceiptHandle"]) for n in notices]),
                       FakeLambdaContext()) == {"batchItemFailures": []}
        by_function["batch_uploads"], made[:] = set(made), []
    queued = []
    while batch := sqs.receive_message(QueueUrl=resources.queues["outbound"].url, MaxNumberOfMessages=10).get("Messages"):
        queued += batch
    # The dispatch phase below takes the single Africa's Talking send's job; the batches' were fanned out.
    _single_send_job = [m for m in queued if "+254711000001" in m["Body"]]

    [job] = _single_send_job
    Capture.captured = []
    with own_environment("dispatch", resources, at):
        dispatch(sqs_event([(job["Body"], job["ReceiptHandle"])] * 2), FakeLambdaContext())  # and its duplicate
    by_function["dispatch"], made[:] = set(made), []

    event = {"rawPath": f"/reports/{resources.report_token}", "isBase64Encoded": False,
             "body": "id=ATXid_0&status=Success&phoneNumber=%2B254711000001", "requestContext": {"http": {"method": "POST"}}}
    with own_environment("delivery_reports", resources, at):
        assert reports(event, FakeLambdaContext())["body"] == "updated"
    by_function["delivery_reports"] = set(made)

    for function, used in by_function.items():
        assert used, function
        assert used <= allowed_for(function), (function, used - allowed_for(function))
    assert "dynamodb.BatchGetItem" in by_function["api"]  # the pinned template version
    assert {"dynamodb.BatchWriteItem", "appsync.CreateApiKey", "appsync.ListApiKeys"} <= by_function["api"]
    assert {"scheduler.CreateSchedule", "scheduler.DeleteSchedule"} <= by_function["api"]  # sendAt, cancelMessage
    assert "dynamodb.GetItem" in by_function["dispatch"]  # the duplicate found the message settled
    assert {"dynamodb.BatchWriteItem", "sqs.SendMessageBatch"} <= by_function["api"] & by_function["batch_uploads"]
    assert "s3.GetObject" in by_function["batch_uploads"]


def _batches_round(api) -> dict:
    """sendBatch, getBatch, getBatches and createBatchUpload with the api function's own environment."""
    def call(parent, field, arguments):
        answer = api(appsync_event(parent, field, arguments), FakeLambdaContext())
        assert "data" in answer, answer
        return answer["data"]

    batch = call("Mutation", "sendBatch", {"input": {"body": "Code ((code))", "messages": [
        {"to": "+254711000007", "deliveryMethod": "SMS", "personalisation": '{"code": 1}'}], "idempotencyKey": "b"}})
    call("Mutation", "sendBatch", {"input": {"body": "Code ((code))", "messages": [
        {"to": "+254711000007", "deliveryMethod": "SMS", "personalisation": '{"code": 1}'}], "idempotencyKey": "b"}})
    call("Query", "getBatch", {"id": batch["id"]})
    call("Query", "getBatches", {"first": 5})
    return call("Mutation", "createBatchUpload", {"input": {"body": "Code ((code))"}})


def _clients_round(api) -> None:
    """Every clients field and an erasure, with the api function's own environment."""
    def call(parent, field, arguments):
        answer = api(appsync_event(parent, field, arguments), FakeLambdaContext())
        assert "data" in answer, answer
        return answer["data"]

    created = call("Mutation", "createApiClient", {"input": {"name": "c", "scopes": ["SEND"]}})
    call("Query", "getApiClients", {})
    call("Mutation", "rotateApiClientKey", {"id": created["client"]["id"]})
    call("Mutation", "revokeApiClient", {"id": created["client"]["id"]})
    erased = call("Mutation", "eraseRecipient", {"to": "user@example.com"})
    assert (erased["messages"], erased["idempotencyKeys"]) == (1, 1)


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

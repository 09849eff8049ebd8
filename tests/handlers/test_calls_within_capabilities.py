"""Each handler calls only what its wiring capabilities allow (the stack turns those into IAM)."""

import datetime as dt
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

# The calls each capability covers (a transaction's puts and updates are authorised as PutItem and
# UpdateItem). SQS sends are checked per queue: (call, queue name).
ALLOWED = {
    w.TABLE_GET: {"dynamodb.GetItem"},
    w.TABLE_BATCH_GET: {"dynamodb.BatchGetItem"},
    w.TABLE_QUERY: {"dynamodb.Query"},
    w.TABLE_PUT: {"dynamodb.PutItem", "dynamodb.TransactWriteItems"},
    w.TABLE_BATCH_WRITE: {"dynamodb.BatchWriteItem"},
    "bucket:read:uploads": {"s3.GetObject"},
    # A pre-signed URL is signed locally with the function's credentials; S3 checks PutObject when it is used.
    "bucket:write:uploads": set(),
    w.TABLE_UPDATE: {"dynamodb.UpdateItem", "dynamodb.TransactWriteItems"},
    w.TABLE_DELETE: {"dynamodb.DeleteItem"},
    w.TABLE_BATCH_WRITE: {"dynamodb.BatchWriteItem"},
    w.API_KEYS: {"appsync.CreateApiKey", "appsync.ListApiKeys", "appsync.UpdateApiKey", "appsync.DeleteApiKey"},
    w.EMAIL_SEND: {"sesv2.SendEmail"},
    w.SMS_PUBLISH: {"sns.Publish"},
    w.QUEUE_SEND: {"sqs.SendMessage outbound", "sqs.SendMessageBatch outbound"},
    w.QUEUE_CONSUME: {"sqs.ChangeMessageVisibility outbound"},
    "schedules:manage:sends": {"scheduler.CreateSchedule", "scheduler.DeleteSchedule"},
    "schedules:manage:batches": {"scheduler.CreateSchedule", "scheduler.DeleteSchedule"},
    "queue:send:uploads": {"sqs.SendMessage uploads"},
    w.WEBHOOK_EVENT_SEND: {"sqs.SendMessage webhooks"},
    "queue:send-dlq:webhooks": {"sqs.SendMessage webhooks-dlq"},
    w.INBOUND_QUEUE_SEND: {"sqs.SendMessage inbound"},
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
            if service == "sqs":  # which queue: "sqs.SendMessage webhooks-dlq"
                client.meta.events.register("provide-client-params.sqs", lambda params, model, **_: made.append(
                    f"sqs.{model.name} {queue_names.get(params.get('QueueUrl'), '?')}"))
            return client

        queue_names = {q.url: name for name, q in resources.queues.items()}
        queue_names |= {q.dlq_url: f"{name}-dlq" for name, q in resources.queues.items()}

        monkeypatch.setattr(aws, "client", functools.cache(counted))
        yield made, resources


def allowed_for(function: str) -> set[str]:
    capabilities = w.build_wiring(load_cdk_json_config()).function(function).capabilities
    return set().union(*(ALLOWED.get(c, set()) for c in capabilities))


def test_every_handler_stays_within_its_capabilities(calls, server, monkeypatch):  # noqa: F811
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
        webhook_id = _webhooks_round(api)  # first: every status change below is then a webhook event
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
        rejected = api(appsync_event("Mutation", "createBatchUpload", {"input": {"body": "Code ((code))"}}),
                       FakeLambdaContext())["data"]  # its file has a bad row: FAILED, announced by the worker
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
    for batch_id in (upload["batchId"], upload["scheduled"]):
        boto3.client("s3").put_object(Bucket=resources.buckets["uploads"], Key=f"uploads/{batch_id}.csv",
                                      Body=b"to,code\n+254711000009,7\n")
    boto3.client("s3").put_object(Bucket=resources.buckets["uploads"], Key=f"uploads/{rejected['batchId']}.csv",
                                  Body=b"to,code\nnot a number,7\n")
    notices = []
    while found := sqs.receive_message(QueueUrl=resources.queues["uploads"].url, MaxNumberOfMessages=10).get("Messages"):
        notices += found
    from messenger.batches.jobs import CANCEL, job_text

    notices.append({"Body": job_text(upload["cancelled"], CANCEL), "ReceiptHandle": "r"})
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

    by_function["webhooks"] = _webhooks_worker_round(resources, webhook_id, made, monkeypatch)

    for function, used in by_function.items():
        used = {call for call in used if not call.startswith("sqs.") or " " in call}  # the per-queue form only
        assert used, function
        assert (function, used - allowed_for(function)) == (function, set())
    for writer in ("api", "dispatch", "delivery_reports"):  # every status writer enqueued webhook events
        assert "sqs.SendMessage webhooks" in by_function[writer], writer
    assert {"sqs.SendMessage webhooks", "sqs.SendMessage webhooks-dlq"} <= by_function["webhooks"]
    assert "dynamodb.BatchGetItem" in by_function["api"]  # the pinned template version
    assert {"dynamodb.BatchWriteItem", "appsync.CreateApiKey", "appsync.ListApiKeys"} <= by_function["api"]
    assert {"scheduler.CreateSchedule", "scheduler.DeleteSchedule"} <= by_function["api"]  # sendAt, cancelMessage
    assert "dynamodb.GetItem" in by_function["dispatch"]  # the duplicate found the message settled
    assert {"dynamodb.BatchWriteItem", "sqs.SendMessageBatch"} <= by_function["api"] & by_function["batch_uploads"]
    assert "s3.GetObject" in by_function["batch_uploads"]
    assert "sqs.SendMessage webhooks" in by_function["batch_uploads"]  # BATCH_COMPLETED of the FAILED upload
    assert "sqs.SendMessage webhooks" in by_function["inbound"]  # MESSAGE_INBOUND
    assert {"sns.Publish", "sqs.SendMessage outbound", "dynamodb.TransactWriteItems", "dynamodb.DeleteItem"} <= by_function["inbound"]


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
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    scheduled = call("Mutation", "sendBatch", {"input": {"body": "Hi", "sendAt": later, "messages": [
        {"to": "+254711000008", "deliveryMethod": "SMS"}]}})
    assert call("Mutation", "cancelBatch", {"id": scheduled["id"]})["status"] == "CANCELLED"
    upload = call("Mutation", "createBatchUpload", {"input": {"body": "Code ((code))"}})
    later_upload = call("Mutation", "createBatchUpload", {"input": {"body": "Code ((code))", "sendAt": later}})
    return {**upload, "scheduled": later_upload["batchId"], "cancelled": scheduled["id"]}


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


def _webhooks_round(api) -> str:
    """Every webhooks field with the api function's own environment; the webhook stays."""
    def call(parent, field, arguments):
        answer = api(appsync_event(parent, field, arguments), FakeLambdaContext())
        assert answer.get("data") is not None, answer
        return answer["data"]

    gone = call("Mutation", "createWebhook", {"input": {"url": "https://93.184.215.14/a", "events": ["MESSAGE_STATUS"]}})
    call("Mutation", "deleteWebhook", {"id": gone["id"]})
    webhook = call("Mutation", "createWebhook", {"input": {"url": "https://93.184.215.14/b", "events": [
        "MESSAGE_STATUS", "MESSAGE_INBOUND", "BATCH_COMPLETED"]}})
    call("Mutation", "rotateWebhookSecret", {"id": webhook["id"]})
    call("Mutation", "enableWebhook", {"id": webhook["id"]})
    call("Query", "getWebhooks", {})
    call("Query", "getWebhookDeliveries", {"webhookId": webhook["id"], "first": 5})
    return webhook["id"]


def _webhooks_worker_round(resources, webhook_id: str, made: list, monkeypatch) -> set[str]:
    """The webhooks worker with its own environment: fan-out, a 500 (retried), a 200, an exhausted copy."""
    import json

    from messenger.adapters import webhook_http
    from messenger.webhooks.models import Outcome
    from messenger.webhooks.worker import lambda_handler as worker

    answers = iter([500, 200, 500])  # the two copies: retried, delivered; the exhausted copy: parked
    monkeypatch.setattr(webhook_http, "post", lambda *args: Outcome(http_status=next(answers)))
    url = resources.queues["webhooks"].url
    sqs = boto3.client("sqs")
    events = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    exhausted = json.dumps({"kind": "delivery", "webhook_id": webhook_id, "event_id": "e", "event_type": "MESSAGE_STATUS",
                            "payload": {}, "attempt": 7})
    made[:] = []
    with own_environment("webhooks", resources):
        assert worker(sqs_event([(m["Body"], m["ReceiptHandle"]) for m in events[:2]]), FakeLambdaContext()) == {
            "batchItemFailures": []}
        visible = []  # every message still visible: the events not taken above, and the copies
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            visible += batch
        # The copies the fan-out queued (one delivery per webhook and event), not the events left unread.
        copies = [m for m in visible if json.loads(m["Body"])["kind"] == "delivery"]
        assert len(copies) == 2
        bodies = [(m["Body"], m["ReceiptHandle"]) for m in copies] + [(exhausted, "rh-x")]
        assert worker(sqs_event(bodies), FakeLambdaContext()) == {"batchItemFailures": []}
    return set(made)

"""The local mode's parts in-process: resolver events and envelopes, the environment merge, the SQS
poller against moto (partial failures, redrive to the DLQ), and the Africa's Talking stand-in.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import replace
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from local.africastalking_standin import (
    BLACKLISTED_NUMBER,
    DELIVERY_FAILED_NUMBER,
    GATEWAY_ERROR_ONCE_NUMBER,
    HANG_NUMBER,
    HTTP_500_NUMBER,
    INVALID_NUMBER,
    OUT_OF_ORDER_REPORTS_NUMBER,
    AfricasTalkingStandIn,
    StandInSettings,
)
from local.appsync import AppSyncApi
from local.http import LocalHttpServer, Request, text_response
from local.outbox import Outbox
from local.resources import LocalQueue, LocalResources, handler_environment
from local.sqs_poller import SqsPoller, peek_dead_letters
from stacks.config import PROJECT_ROOT, load_cdk_json_config
from stacks.wiring import build_wiring
from tests.e2e.conftest import http, wait_for

REGION = "us-east-1"
WIRING = build_wiring(load_cdk_json_config())


class FakeFunction:
    """Stands in for a LambdaFunction: records events, answers with `result` (or raises it)."""

    def __init__(self, name: str, result=None) -> None:
        self.spec = SimpleNamespace(name=name)
        self.result = result
        self.events: list[dict] = []

    def invoke(self, event: dict):
        self.events.append(json.loads(json.dumps(event)))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result(event) if callable(self.result) else self.result


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


# --- AppSync emulation -------------------------------------------------------------------------

def _api(result) -> tuple[AppSyncApi, FakeFunction]:
    function = FakeFunction("api", result)
    return AppSyncApi(PROJECT_ROOT / "schema.graphql", WIRING, {"api": function}), function


def test_resolver_event_is_the_direct_lambda_shape_with_the_trace_id_and_key_headers():
    api, function = _api({"data": None})
    query = """query q($f: MessageFilter!) { getMessages(filter: $f, order: NEWEST_FIRST) {
        data { ...m } pageInfo { hasNextPage } } }
        fragment m on Message { id deliveryStatus }"""
    api.execute(query, {"f": {"to": "a@example.org"}}, None, trace_id="Root=1-abc-def", api_key="da2-k")
    [event] = function.events
    assert event == {
        "arguments": {"filter": {"to": "a@example.org"}, "order": "NEWEST_FIRST"},
        "identity": None,
        "source": None,
        "request": {"headers": {"x-amzn-trace-id": "Root=1-abc-def", "x-api-key": "da2-k"}},
        "info": {
            "fieldName": "getMessages",
            "parentTypeName": "Query",
            "variables": {"f": {"to": "a@example.org"}},
            "selectionSetList": ["data", "data/id", "data/deliveryStatus", "pageInfo", "pageInfo/hasNextPage"],
        },
        "prev": None,
        "stash": {},
    }


def test_error_envelope_becomes_an_appsync_error_entry():
    api, _ = _api({"error": {"type": "BadRequest", "message": "to: not valid", "info": {"field": "to"}}})
    body = api.execute('mutation { sendMessage(input: {to: "x", body: "b", deliveryMethod: SMS}) { id } }', None, None)
    assert body == {
        "data": {"sendMessage": None},
        "errors": [{
            "path": ["sendMessage"], "data": None, "errorType": "BadRequest", "errorInfo": {"field": "to"},
            "locations": [{"line": 1, "column": 12, "sourceName": None}], "message": "to: not valid",
        }],
    }  # fmt: skip


@pytest.mark.parametrize("result", [RuntimeError("table dev-messaging-messages: boom"), None, ""])
def test_raising_or_empty_handler_is_an_internal_error_without_details(result):
    api, _ = _api(result)
    body = api.execute('mutation { sendMessage(input: {to: "x", body: "b", deliveryMethod: SMS}) { id } }', None, None)
    [error] = body["errors"]
    assert (error["errorType"], error["message"], error["errorInfo"]) == ("InternalError", "Internal error", None)


def test_empty_error_object_is_still_an_error_as_in_js():
    api, _ = _api({"error": {}, "data": {"id": "1"}})
    body = api.execute('mutation { sendMessage(input: {to: "x", body: "b", deliveryMethod: SMS}) { id } }', None, None)
    assert body["data"] == {"sendMessage": None} and len(body["errors"]) == 1


# --- environment -------------------------------------------------------------------------------

def _resources() -> LocalResources:
    queue = LocalQueue("q", "http://queue", "arn:q", "q-dlq", "http://dlq")
    webhooks = LocalQueue("w", "http://webhooks", "arn:w", "w-dlq", "http://webhooks-dlq")
    inbound = LocalQueue("i", "http://inbound", "arn:i", "i-dlq", "http://inbound-dlq")
    uploads = LocalQueue("u", "http://uploads", "arn:u", "u-dlq", "http://uploads-dlq")
    return LocalResources("table", {"outbound": queue, "webhooks": webhooks, "inbound": inbound, "uploads": uploads},
                          "at-secret", "token-secret", "token",
                          api_id="api",
                          schedule_groups={"sends": "g", "batches": "b"},
                          schedule_targets={"sends": '{"group":"g","queueArn":"arn:q","roleArn":"arn:r"}',
                                            "batches": '{"group":"b","queueArn":"arn:u","roleArn":"arn:rb"}'})  # fmt: skip


def test_handler_environment_fills_resource_names():
    env = handler_environment(WIRING, _resources())
    assert (env["TABLE_NAME"], env["OUTBOUND_QUEUE_URL"]) == ("table", "http://queue")
    assert (env["AT_SECRET_NAME"], env["REPORT_TOKEN_SECRET_NAME"]) == ("at-secret", "token-secret")
    assert json.loads(env["SEND_SCHEDULES"]) == {"group": "g", "queueArn": "arn:q", "roleArn": "arn:r"}
    assert json.loads(env["BATCH_SCHEDULES"]) == {"group": "b", "queueArn": "arn:u", "roleArn": "arn:rb"}
    assert env["BATCH_JOBS_QUEUE_URL"] == "http://uploads"


def test_a_one_time_schedule_is_due_at_its_at_time_in_its_time_zone():
    import datetime as dt

    from local.one_time_schedules import due_time

    utc = due_time({"ScheduleExpression": "at(2026-11-23T12:00:05)", "ScheduleExpressionTimezone": "UTC"})
    nairobi = due_time({"ScheduleExpression": "at(2026-11-23T15:00:05)", "ScheduleExpressionTimezone": "Africa/Nairobi"})
    assert utc == nairobi == dt.datetime(2026, 11, 23, 12, 0, 5, tzinfo=dt.timezone.utc)
    assert due_time({"ScheduleExpression": "rate(5 minutes)"}) is None


def test_functions_disagreeing_on_a_variable_fail_loudly():
    api, *others = WIRING.functions
    clash = replace(WIRING, functions=(replace(api, environment={**api.environment, "STAGE": "other"}), *others))
    with pytest.raises(RuntimeError, match="STAGE"):
        handler_environment(clash, _resources())


# --- SQS poller ----------------------------------------------------------------------------------

def _queue(sqs, max_receive_count: int) -> LocalQueue:
    dlq_url = sqs.create_queue(QueueName="test-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    url = sqs.create_queue(QueueName="test", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": policy})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return LocalQueue("test", url, arn, "test-dlq", dlq_url)


def _run_poller(queue: LocalQueue, worker: FakeFunction, until, batch_size: int = 10) -> None:
    spec = replace(WIRING.queues[0], batch_size=batch_size, max_batching_window_seconds=0)
    poller = SqsPoller(spec, queue, worker, REGION)
    poller.start()
    try:
        wait_for(until, timeout=15)
    finally:
        poller.stop()
        poller.join(5)


def _count(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_poller_deletes_all_but_the_reported_failures_and_builds_lambda_records(aws):
    sqs = boto3.client("sqs")
    queue = _queue(sqs, max_receive_count=100)
    for n in range(3):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"job {n}",
                         MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})  # fmt: skip

    def fail_job_1_once(event):
        return {"batchItemFailures": [
            {"itemIdentifier": r["messageId"]} for r in event["Records"]
            if r["body"] == "job 1" and r["attributes"]["ApproximateReceiveCount"] == "1"
        ]}  # fmt: skip

    worker = FakeFunction("dispatch", fail_job_1_once)
    _run_poller(queue, worker, until=lambda: _count(sqs, queue.url) == 0, batch_size=3)
    delivered = [(r["body"], r["attributes"]["ApproximateReceiveCount"]) for e in worker.events for r in e["Records"]]
    assert sorted(delivered) == [("job 0", "1"), ("job 1", "1"), ("job 1", "2"), ("job 2", "1")]
    record = worker.events[0]["Records"][0]
    assert set(record) == {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
                           "eventSource", "eventSourceARN", "awsRegion"}  # fmt: skip
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", queue.arn, REGION)
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "test", "stringListValues": [], "binaryListValues": [], "dataType": "String"
    }


def test_raising_worker_deletes_nothing_and_moto_redrives_to_the_dlq_after_max_receives(aws):
    sqs = boto3.client("sqs")
    queue = _queue(sqs, max_receive_count=2)
    sqs.send_message(QueueUrl=queue.url, MessageBody="poison")
    worker = FakeFunction("dispatch", RuntimeError("crash"))
    _run_poller(queue, worker, until=lambda: peek_dead_letters([queue], REGION))
    assert [e["Records"][0]["attributes"]["ApproximateReceiveCount"] for e in worker.events] == ["1", "2"]
    for _ in range(2):  # looking does not take the message away
        [dead] = peek_dead_letters([queue], REGION)
        assert (dead["queue"], dead["body"], dead["attributes"]["ApproximateReceiveCount"]) == ("test-dlq", "poison", "2")
    assert _count(sqs, queue.url) == 0


# --- Africa's Talking stand-in -----------------------------------------------------------------

class _Callback:
    """Receives the stand-in's delivery reports."""

    def __init__(self) -> None:
        self.reports: list[dict[str, str]] = []
        self.server = LocalHttpServer(0, 65_536)
        self.server.add_post("/reports/t", self._receive)
        self.server.start()

    def _receive(self, request: Request):
        self.reports.append({k: v[0] for k, v in urllib.parse.parse_qs(request.body.decode()).items()})
        return text_response(200, "ok")

    def statuses(self, message_id: str) -> list[str]:
        return [r["status"] for r in self.reports if r["id"] == message_id]


@pytest.fixture
def standin(aws):
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="at", SecretString=json.dumps({"username": "sandbox", "apiKey": "key-1"}))
    callback = _Callback()
    outbox = Outbox()
    settings = StandInSettings("at", f"{callback.server.base_url}/reports/t", report_delay_seconds=0.02, hang_seconds=0.3)
    stand_in = AfricasTalkingStandIn(settings, outbox, REGION)
    stand_in.start()
    yield SimpleNamespace(url=stand_in.url + "/version1/messaging", callback=callback, outbox=outbox,
                          secrets=secrets, stand_in=stand_in)  # fmt: skip
    stand_in.stop()
    callback.server.stop()


def _send(url: str, to: list[str], message: str = "hi", key: str = "key-1", accept_json: bool = True):
    form = urllib.parse.urlencode({"username": "sandbox", "to": ",".join(to), "message": message, "bulkSMSMode": 1})
    headers = {"apiKey": key, "Content-Type": "application/x-www-form-urlencoded"}
    if accept_json:
        headers["Accept"] = "application/json"
    return http(url, form.encode(), headers)


def test_standin_answers_per_recipient_like_africastalking(standin):
    status, body = _send(standin.url, ["+254711000001", INVALID_NUMBER, BLACKLISTED_NUMBER])
    assert status == 201
    data = body["SMSMessageData"]
    assert data["Message"] == "Sent to 1/3 Total Cost: KES 0.8000"
    ok, invalid, blacklisted = data["Recipients"]
    assert (ok["statusCode"], ok["status"], ok["cost"]) == (101, "Success", "KES 0.8000")
    assert ok["messageId"].startswith("ATXid_") and len(ok["messageId"]) == 6 + 32
    assert (invalid["statusCode"], invalid["status"], invalid["messageId"], invalid["cost"]) == (403, "InvalidPhoneNumber", "None", "0")
    assert (blacklisted["statusCode"], blacklisted["status"]) == (406, "UserInBlacklist")
    assert [(e["provider"], e["to"]) for e in standin.outbox.entries()] == [("AFRICASTALKING", "+254711000001")]


def test_standin_checks_credentials_against_the_current_secret(standin):
    assert _send(standin.url, ["+254711000001"], key="wrong") == (401, "The supplied authentication is invalid")
    standin.secrets.put_secret_value(SecretId="at", SecretString=json.dumps({"username": "sandbox", "apiKey": "key-2"}))
    assert _send(standin.url, ["+254711000001"], key="key-1")[0] == 401
    assert _send(standin.url, ["+254711000001"], key="key-2")[0] == 201


def test_standin_answers_xml_without_accept_json(standin):
    status, body = _send(standin.url, ["+254711000001"], accept_json=False)
    assert status == 201 and "<SMSMessageData>" in body and "<statusCode>101</statusCode>" in body


def test_gateway_error_number_fails_once_per_text(standin):
    codes = [_send(standin.url, [GATEWAY_ERROR_ONCE_NUMBER], text)[1]["SMSMessageData"]["Recipients"][0]["statusCode"]
             for text in ("a", "a", "b")]  # fmt: skip
    assert codes == [501, 101, 501]


def test_request_level_failures(standin):
    assert _send(standin.url, ["+254711000001", HTTP_500_NUMBER])[0] == 500
    started = time.monotonic()
    assert _send(standin.url, [HANG_NUMBER])[0] == 504
    assert time.monotonic() - started >= 0.3
    assert standin.outbox.entries() == []


def test_delivery_reports_follow_each_number_script(standin):
    _, body = _send(standin.url, ["+254711000001", DELIVERY_FAILED_NUMBER, OUT_OF_ORDER_REPORTS_NUMBER])
    normal, failed, out_of_order = (r["messageId"] for r in body["SMSMessageData"]["Recipients"])
    # Set by the stand-in once each report it scheduled (7, all during the send) has been posted and answered.
    assert standin.stand_in.wait_for_reports(timeout=10)
    assert len(standin.callback.reports) == 7
    assert standin.callback.statuses(normal) == ["Sent", "Success"]
    assert standin.callback.statuses(failed) == ["Sent", "Failed"]
    assert standin.callback.statuses(out_of_order) == ["Success", "Sent", "Success"]
    [failure] = [r for r in standin.callback.reports if r["status"] == "Failed"]
    assert failure == {"id": failed, "status": "Failed", "phoneNumber": DELIVERY_FAILED_NUMBER,
                       "networkCode": "99999", "failureReason": "DeliveryFailure", "retryCount": "0"}  # fmt: skip
    assert standin.stand_in.stats() == {"requests": 1, "recipients": 3, "deliveryReports": 7, "deliveryReportsPending": 0}


_active: list[int] = []
_release = threading.Event()


def held_handler(event, context):
    """A handler for the test below: notes how many invocations run at once; the first waits for `_release`."""
    _active.append(1)
    running = len(_active)
    _release.wait(10)
    _active.pop()
    return {"running": running}


class _WatchedLock:
    """The function's own lock, counting the invocations that have asked for it."""

    def __init__(self, lock) -> None:
        self._lock = lock
        self.asked = 0
        self._changed = threading.Condition()

    def __enter__(self):
        with self._changed:
            self.asked += 1
            self._changed.notify_all()
        return self._lock.__enter__()

    def __exit__(self, *exc):
        return self._lock.__exit__(*exc)

    def wait_for_asked(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.asked >= count, 10)


def test_concurrent_invocations_of_one_function_never_overlap():
    from local.lambda_runtime import LambdaFunction

    spec = replace(WIRING.functions[0], handler=f"{__name__}.held_handler")
    function = LambdaFunction(spec, REGION)
    lock = function._lock = _WatchedLock(function._lock)
    _release.clear()
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(function.invoke({}))) for _ in range(8)]
    for thread in threads:
        thread.start()
    # The first invocation is held inside the handler until all eight have asked for the lock: every
    # other one is then queued behind it, and would be counted as running beside it if the lock let it in.
    assert lock.wait_for_asked(8)
    _release.set()
    for thread in threads:
        thread.join()
    assert results == [{"running": 1}] * 8

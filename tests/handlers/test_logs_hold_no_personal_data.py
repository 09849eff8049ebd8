"""Every logging path of the three functions holds no body, subject, recipient or secret.

PATHS lists the ways through the handlers that log: sends on every channel, client and internal
errors, the worker's retries, permanent failures, crash-window takeovers and lost claims, delivery
reports. Each runs against moto and a scripted Africa's Talking on loopback, its log lines are read
from the Powertools handler's stream, and the forbidden values are searched in them (plain and
URL-encoded). The last test keeps PATHS complete: every `log.<level>(` / `logger.<level>(` call in
lambdas/ (found by AST) must have been executed by some path, so a new log line needs a new path.
"""

from __future__ import annotations

import ast
import io
import json
import logging
import os
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote_plus

import boto3
import pytest

from tests.support import (
    FakeLambdaContext,
    appsync_event,
    loopback_server,
    moto_service,
    send_json,
    table_items,
)

BODY = "Secret body 4711 for Jane"
SUBJECT = "Private subject 0815"
EMAIL = "jane.private@example.com"
PHONE_SNS = "+14155550123"
PHONE_AT = "+254711000001"
PHONE_AT_2 = "+254711000002"
PERSONAL = "Personal value 9321"  # a template's personalisation value
FORBIDDEN = [BODY, SUBJECT, PERSONAL, EMAIL, PHONE_SNS, PHONE_AT, PHONE_AT_2, "jane.private"]
LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}


def sqs_event(bodies, receive_count: int = 1):
    return {"Records": [{"messageId": f"m-{i}", "receiptHandle": handle, "body": body,
                         "attributes": {"ApproximateReceiveCount": str(receive_count)}, "messageAttributes": {},
                         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1"}
                        for i, (body, handle) in enumerate(bodies)]}


class ScriptedAt(BaseHTTPRequestHandler):
    """Africa's Talking, scripted: `statuses` (HTTP, one per request, then 201) and per-number codes."""

    protocol_version = "HTTP/1.1"
    statuses: list[int] = []
    codes: dict[str, int] = {}
    ids = iter(())

    def do_POST(self):  # noqa: N802 - the http.server API
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        status = ScriptedAt.statuses.pop(0) if ScriptedAt.statuses else 201
        recipients = []
        for number in form["to"][0].split(","):
            code = ScriptedAt.codes.get(number, 101)
            recipients.append({"statusCode": code, "number": number, "status": "Success" if code == 101 else "Failed",
                               "cost": "KES 0.8000", "messageId": f"ATXid_{next(ScriptedAt.ids)}" if code == 101 else "None"})
        send_json(self, status, {"SMSMessageData": {"Message": "Sent", "Recipients": recipients}})

    def log_message(self, *args):
        pass


class ShortOfTime(FakeLambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 1_000


@dataclass
class World:
    """One path's service: the handlers, moto behind them, the scripted AT in front of the worker."""

    resources: object
    monkeypatch: pytest.MonkeyPatch
    api: Callable = field(init=False)
    dispatch_handler: Callable = field(init=False)
    reports_handler: Callable = field(init=False)

    def __post_init__(self):
        from messenger.api import lambda_handler as api
        from messenger.delivery_reports.handler import lambda_handler as reports
        from messenger.sending.worker import lambda_handler as dispatch

        self.api, self.dispatch_handler, self.reports_handler = api, dispatch, reports

    def send(self, **input_) -> dict:
        return self.api(appsync_event("Mutation", "sendMessage", {"input": input_}), FakeLambdaContext())

    def send_at(self, to=PHONE_AT) -> dict:
        result = self.send(to=to, body=BODY, deliveryMethod="SMS")["data"]
        assert result["deliveryStatus"] == "QUEUED"
        return result

    @property
    def queue_url(self) -> str:
        return self.resources.queues["outbound"].url

    def jobs(self) -> list[tuple[str, str]]:
        received = boto3.client("sqs").receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [(m["Body"], m["ReceiptHandle"]) for m in received.get("Messages", [])]

    def dispatch(self, jobs=None, receive_count=1, context=None) -> dict:
        event = sqs_event(self.jobs() if jobs is None else jobs, receive_count)
        return self.dispatch_handler(event, context or FakeLambdaContext())

    def record(self, message: dict):
        from messenger.messages.dal import MessagesTable

        return MessagesTable(boto3.client("dynamodb"), self.resources.table_name).get(message["to"], message["id"])

    def report(self, form: dict, token: str | None = None) -> dict:
        body = "&".join(f"{key}={quote_plus(value)}" for key, value in form.items())
        event = {"rawPath": f"/reports/{token or self.resources.report_token}", "body": body,
                 "isBase64Encoded": False, "requestContext": {"http": {"method": "POST"}}}
        return self.reports_handler(event, FakeLambdaContext())

    def accepted_at_message(self):
        message = self.send_at()
        self.dispatch()
        stored = self.record(message)
        assert stored.delivery_status.value == "ACCEPTED"
        return stored


PATHS: dict[str, Callable[[World], None]] = {}
SENT_CODES: list[str] = []  # verification codes a path sent: searched in its logs like a secret


def path(function):
    PATHS[function.__name__] = function
    return function


# -- the api function ----------------------------------------------------------------------------
@path
def email_accepted(world):
    assert world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]["deliveryStatus"] == "ACCEPTED"


@path
def sms_through_sns_accepted(world):
    assert world.send(to=PHONE_SNS, body=BODY, deliveryMethod="SMS")["data"]["deliveryStatus"] == "ACCEPTED"


@path
def client_mistake(world):
    assert world.send(to="not-an-email", body=BODY, deliveryMethod="EMAIL")["error"]["type"] == "BadRequest"


@path
def internal_error(world):
    boto3.client("dynamodb").delete_table(TableName=world.resources.table_name)
    assert world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["error"]["type"] == "InternalError"


@path
def email_refused_by_ses(world):
    for identity in ("no-reply@example.com", "example.com"):
        boto3.client("sesv2").delete_email_identity(EmailIdentity=identity)
    assert world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]["deliveryStatus"] == "FAILED"


@path
def idempotent_replay(world):
    first = world.send(to=EMAIL, body=BODY, deliveryMethod="EMAIL", idempotencyKey="order-42")["data"]
    assert world.send(to=EMAIL, body=BODY, deliveryMethod="EMAIL", idempotencyKey="order-42")["data"]["id"] == first["id"]


@path
def throttled_send_queued_for_retry(world):
    from messenger.adapters.ses import SesEmailChannel
    from messenger.core.errors import ProviderError

    def throttled(self, message):
        raise ProviderError("SES:TooManyRequestsException", transient=True)

    world.monkeypatch.setattr(SesEmailChannel, "send", throttled)
    assert world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]["deliveryStatus"] == "QUEUED"


@path
def queue_unavailable(world):
    boto3.client("sqs").delete_queue(QueueUrl=world.queue_url)
    assert world.send(to=PHONE_AT, body=BODY, deliveryMethod="SMS")["data"]["deliveryStatus"] == "FAILED"


# -- the dispatch worker -------------------------------------------------------------------------
@path
def worker_sends_a_batch(world):
    first, second = world.send_at(PHONE_AT), world.send_at(PHONE_AT_2)
    assert world.dispatch()["batchItemFailures"] == []
    assert {world.record(m).delivery_status.value for m in (first, second)} == {"ACCEPTED"}


@path
def worker_retries_a_transient_failure(world):
    world.send_at()
    ScriptedAt.statuses = [503]
    assert len(world.dispatch()["batchItemFailures"]) == 1


@path
def worker_fails_on_the_last_receive(world):
    message = world.send_at()
    ScriptedAt.statuses = [503]
    world.dispatch(receive_count=3)
    assert world.record(message).delivery_status.value == "FAILED"


@path
def worker_permanent_refusal_of_a_number(world):
    message = world.send_at()
    ScriptedAt.codes = {PHONE_AT: 403}
    assert world.dispatch()["batchItemFailures"] == []
    assert world.record(message).failure_reason == "InvalidPhoneNumber"


@path
def worker_insufficient_balance(world):
    message = world.send_at()
    ScriptedAt.codes = {PHONE_AT: 405}
    world.dispatch()
    assert world.record(message).failure_reason == "InsufficientBalance"


@path
def worker_credentials_refused_then_reread(world):
    message = world.send_at()
    ScriptedAt.statuses = [401]
    world.dispatch()
    assert world.record(message).delivery_status.value == "ACCEPTED"


@path
def worker_credentials_unavailable(world):
    world.send_at()
    boto3.client("secretsmanager").delete_secret(SecretId=world.resources.at_secret_name, ForceDeleteWithoutRecovery=True)
    assert len(world.dispatch()["batchItemFailures"]) == 1


@path
def worker_unreadable_job(world):
    assert len(world.dispatch(jobs=[(f"not a job for {PHONE_AT}", "rh-1")])["batchItemFailures"]) == 1


@path
def worker_job_without_a_record(world):
    job = json.dumps({"v": 1, "to": PHONE_AT, "id": "01G8NBDZ6YMH5SCEQ1BGR3QTWG"})
    assert world.dispatch(jobs=[(job, "rh-1")])["batchItemFailures"] == []


@path
def worker_job_already_settled(world):
    message = world.send_at()
    jobs = world.jobs()
    world.dispatch(jobs=jobs)
    assert world.dispatch(jobs=jobs)["batchItemFailures"] == []  # a redelivered copy
    assert world.record(message).delivery_status.value == "ACCEPTED"


@path
def worker_takes_over_a_stale_claim(world):
    from messenger.sending.dal import SendingTable

    message = world.send_at()
    table = SendingTable(boto3.client("dynamodb"), world.resources.table_name)
    old = "2000-01-01T00:00:00.000Z"
    assert table.claim(message["to"], message["id"], "an-attempt-that-died", old, old).granted
    world.dispatch()
    assert world.record(message).delivery_status.value == "ACCEPTED"


@path
def worker_cannot_claim(world):
    world.send_at()
    jobs = world.jobs()
    boto3.client("dynamodb").delete_table(TableName=world.resources.table_name)
    assert len(world.dispatch(jobs=jobs)["batchItemFailures"]) == 1


@path
def worker_unexpected_error_in_a_request(world):
    from messenger.adapters.africastalking import AfricasTalkingClient

    def broken(self, credentials, recipients, message, sender_id):
        raise KeyError("SMSMessageData")  # a bug; an exception's own text is logged as it is (see docs/testing.md)

    world.send_at()
    world.monkeypatch.setattr(AfricasTalkingClient, "send", broken)
    assert len(world.dispatch()["batchItemFailures"]) == 1


@path
def worker_out_of_time(world):
    world.send_at()
    assert len(world.dispatch(context=ShortOfTime())["batchItemFailures"]) == 1


@path
def worker_loses_its_claim_mid_send(world):
    from messenger.adapters.africastalking import AfricasTalkingClient

    message = world.send_at()
    send = AfricasTalkingClient.send

    def then_another_attempt_claims(self, *args):
        results = send(self, *args)
        boto3.client("dynamodb").update_item(
            TableName=world.resources.table_name,
            Key={"PK": {"S": f"MESSAGE#{message['to']}"}, "SK": {"S": f"MESSAGE#{message['id']}"}},
            UpdateExpression="SET claimToken = :other", ExpressionAttributeValues={":other": {"S": "another"}})
        return results

    world.monkeypatch.setattr(AfricasTalkingClient, "send", then_another_attempt_claims)
    world.dispatch()
    assert world.record(message).delivery_status.value == "QUEUED"


@path
def worker_cannot_delay_a_retry(world):
    world.send_at()
    jobs = world.jobs()
    boto3.client("sqs").delete_queue(QueueUrl=world.queue_url)
    ScriptedAt.statuses = [503]
    assert len(world.dispatch(jobs=jobs)["batchItemFailures"]) == 1


@path
def worker_throttled_by_the_provider(world):
    message = world.send_at()
    ScriptedAt.statuses = [429]
    assert world.dispatch()["batchItemFailures"] == []  # requeued as a fresh job, not retried
    assert world.record(message).delivery_status.value == "QUEUED"


@path
def worker_cannot_requeue_a_throttled_message(world):
    world.send_at()
    jobs = world.jobs()
    boto3.client("sqs").delete_queue(QueueUrl=world.queue_url)
    ScriptedAt.statuses = [429]
    assert len(world.dispatch(jobs=jobs)["batchItemFailures"]) == 1


@path
def worker_pacing_counter_unavailable(world):
    from messenger.sending.dal import SendingTable

    def broken(self, key, second, limit):
        raise ConnectionError("table unreachable")

    message = world.send_at()
    world.monkeypatch.setattr(SendingTable, "take", broken)
    world.dispatch()
    assert world.record(message).delivery_status.value == "ACCEPTED"


# -- scheduled sends ---------------------------------------------------------------------------------
def _later(seconds: int = 3600) -> str:
    import datetime as dt

    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)).isoformat()


@path
def scheduled_send_made_again_and_cancelled(world):
    from messenger.scheduling.dependencies import scheduled_sends

    message = world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL", sendAt=_later())["data"]
    assert message["deliveryStatus"] == "SCHEDULED"
    scheduled_sends().schedule(world.record(message))  # made again: the schedule is already there
    cancelled = world.api(appsync_event("Mutation", "cancelMessage", {"id": message["id"]}), FakeLambdaContext())
    assert cancelled["data"]["deliveryStatus"] == "CANCELLED"


@path
def scheduled_send_whose_schedule_cannot_be_made_or_deleted(world):
    from messenger.adapters.scheduler import EventBridgeScheduler

    kept = world.send(to=PHONE_SNS, body=BODY, deliveryMethod="SMS", sendAt=_later())["data"]

    def down(self, *args):
        raise ConnectionError("scheduler unreachable")

    world.monkeypatch.setattr(EventBridgeScheduler, "create", down)
    world.monkeypatch.setattr(EventBridgeScheduler, "delete", down)
    failed = world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL", sendAt=_later())["data"]
    assert failed["deliveryStatus"] == "FAILED"
    cancelled = world.api(appsync_event("Mutation", "cancelMessage", {"id": kept["id"]}), FakeLambdaContext())
    assert cancelled["data"]["deliveryStatus"] == "CANCELLED"


# -- the delivery-report function ----------------------------------------------------------------
@path
def report_applied(world):
    message = world.accepted_at_message()
    form = {"id": message.provider_message_id, "status": "Failed", "phoneNumber": PHONE_AT, "failureReason": "DeliveryFailure"}
    assert world.report(form)["body"] == "updated"


@path
def report_that_changes_nothing(world):
    message = world.accepted_at_message()
    assert world.report({"id": message.provider_message_id, "status": "Sent", "phoneNumber": PHONE_AT})["body"] == "unchanged"


@path
def report_for_an_unknown_message(world):
    assert world.report({"id": "ATXid_unknown", "status": "Success", "phoneNumber": PHONE_AT_2})["body"] == "unknown"


@path
def report_with_a_wrong_token(world):
    assert world.report({"id": "ATXid_1", "status": "Success", "phoneNumber": PHONE_AT}, token="guess")["statusCode"] == 403


# -- templates ---------------------------------------------------------------------------------------
@path
def template_sends_and_refusals(world):
    template = world.api(appsync_event("Mutation", "createTemplate", {"input": {
        "name": "t", "channel": "EMAIL", "subject": "Hi ((name))", "body": "Dear ((name)) ((code))"}}),
        FakeLambdaContext())["data"]
    by_template = {"to": EMAIL, "deliveryMethod": "EMAIL", "templateId": template["id"]}
    assert world.send(**by_template, personalisation=json.dumps({"name": PERSONAL, "code": PERSONAL}))["data"]
    assert world.send(**by_template, personalisation=json.dumps({"name": PERSONAL}))["error"]["type"] == "BadRequest"
    assert world.send(**by_template, personalisation=json.dumps({"name": {"x": PERSONAL}}))["error"]["type"] == "BadRequest"


# -- receipts, suppressions and the sweeper ----------------------------------------------------------
def receipts_handler():
    from messenger.receipts.handler import lambda_handler

    return lambda_handler


@path
def receipts_applied_repeated_and_unknown(world):
    from tests.samples import receipts as samples

    sent = world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]
    bounce = samples.sns_notification(samples.bounce(sent["id"], EMAIL, ses_id=sent["providerMessageId"]))
    unknown = samples.sns_notification(samples.delivery("01G8NBDZ6YMH5SCEQ1BGR3QTWG", EMAIL, "ses-unknown"))
    records = [{"messageId": f"r{i}", "body": body} for i, body in enumerate((bounce, bounce, unknown, "not json"))]
    answer = receipts_handler()({"Records": records}, FakeLambdaContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "r3"}]}  # only the unreadable one comes back
    assert world.record(sent).failure_reason == "Bounce: Permanent/General"


@path
def sms_receipts_from_the_delivery_logs(world):
    from tests.samples import receipts as samples

    sent = world.send(to=PHONE_SNS, body=BODY, deliveryMethod="SMS")["data"]
    event = samples.logs_event([samples.sms_record(sent["providerMessageId"], PHONE_SNS, "FAILURE", "Unknown error"),
                                {"notification": {}, "status": "SUCCESS"}])
    receipts_handler()(event, FakeLambdaContext())
    assert world.record(sent).delivery_status.value == "FAILED"


@path
def sweeper_closes_a_stale_message(world):
    from messenger.sweeper.handler import lambda_handler as sweeper

    sent = world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]
    boto3.client("dynamodb").update_item(
        TableName=world.resources.table_name,
        Key={"PK": {"S": f"MESSAGE#{EMAIL}"}, "SK": {"S": f"MESSAGE#{sent['id']}"}},
        UpdateExpression="SET updatedAt = :old", ExpressionAttributeValues={":old": {"S": "2000-01-01T00:00:00.000Z"}})
    assert sweeper({}, FakeLambdaContext())["closed"] == {"EMAIL/SES": 1}
    assert world.record(sent).delivery_status.value == "UNCONFIRMED"


@path
def a_status_listener_fails(world):
    from messenger.messages.metrics import MetricListener

    def broken(self, message):
        raise RuntimeError("metrics down")

    world.monkeypatch.setattr(MetricListener, "moved", broken)
    assert world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]["deliveryStatus"] == "ACCEPTED"


# -- webhooks ----------------------------------------------------------------------------------------
def webhooks_worker(world, bodies: list[str]) -> dict:
    from messenger.webhooks.worker import lambda_handler

    return lambda_handler(sqs_event([(body, f"rh-{i}") for i, body in enumerate(bodies)]), FakeLambdaContext())


def webhook_queue_bodies(world) -> list[str]:
    url = world.resources.queues["webhooks"].url
    received = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in received]


def create_webhook(world) -> str:
    created = world.api(appsync_event("Mutation", "createWebhook", {"input": {
        "url": "https://93.184.215.14/hook", "events": ["MESSAGE_STATUS"]}}), FakeLambdaContext())
    return created["data"]["id"]


@path
def webhook_attempts_fail_disable_the_webhook_and_events_for_a_deleted_one_are_dropped(world):
    """Status events (holding the recipient) fanned out, POSTed, answered 500 by a webhook failing for
    more than a day (so disabled), then one for a deleted webhook, and an unreadable queue message."""
    from messenger.adapters import webhook_http
    from messenger.webhooks.models import Outcome

    world.monkeypatch.setattr(webhook_http, "post", lambda *args: Outcome(http_status=500))
    webhook_id = create_webhook(world)
    world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")
    assert webhooks_worker(world, webhook_queue_bodies(world))["batchItemFailures"] == []  # the fan-out
    boto3.client("dynamodb").update_item(
        TableName=world.resources.table_name, Key={"PK": {"S": "WEBHOOK"}, "SK": {"S": f"WEBHOOK#{webhook_id}"}},
        UpdateExpression="SET failingSince = :old", ExpressionAttributeValues={":old": {"S": "2000-01-01T00:00:00.000Z"}})
    copies = webhook_queue_bodies(world)
    assert copies and webhooks_worker(world, copies[:1])["batchItemFailures"] == []  # 500, then disabled
    listed = world.api(appsync_event("Query", "getWebhooks", {}), FakeLambdaContext())["data"]
    assert [w["disabled"] for w in listed] == [True]
    world.api(appsync_event("Mutation", "deleteWebhook", {"id": webhook_id}), FakeLambdaContext())
    assert webhooks_worker(world, copies[1:2] + [f"not a webhook event for {EMAIL}"])["batchItemFailures"] == [
        {"itemIdentifier": "m-1"}]


@path
def webhook_event_not_enqueued(world):
    create_webhook(world)
    boto3.client("sqs").delete_queue(QueueUrl=world.resources.queues["webhooks"].url)
    assert world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")["data"]["deliveryStatus"] == "ACCEPTED"


# -- clients and erasure ---------------------------------------------------------------------------
# Keys a path was given: no log may hold them (run_path adds them to the run's secrets).
ISSUED_KEYS: list[str] = []


@path
def clients_managed_and_a_test_send(world):
    def call(parent, field, arguments, key=None):
        answer = world.api(appsync_event(parent, field, arguments, key), FakeLambdaContext())
        assert "data" in answer, answer
        return answer["data"]

    created = call("Mutation", "createApiClient", {"input": {"name": "ci", "scopes": ["SEND", "TEST"]}})
    rotated = call("Mutation", "rotateApiClientKey", {"id": created["client"]["id"]})
    ISSUED_KEYS.extend([created["key"], rotated["key"]])
    sent = call("Mutation", "sendMessage", {"input": {"to": EMAIL, "subject": SUBJECT, "body": BODY,
                                                      "deliveryMethod": "EMAIL"}}, rotated["key"])  # fmt: skip
    assert (sent["test"], sent["deliveryStatus"]) == (True, "DELIVERED")
    assert call("Mutation", "revokeApiClient", {"id": created["client"]["id"]})["status"] == "REVOKED"


@path
def recipient_erased_over_two_calls(world):
    from messenger.erasure import dal

    world.monkeypatch.setattr(dal, "PAGE", 1)
    world.monkeypatch.setattr("messenger.erasure.logic.BUDGET_SECONDS", 0)
    for _ in range(2):
        world.send(to=EMAIL, subject=SUBJECT, body=BODY, deliveryMethod="EMAIL")
    erase = appsync_event("Mutation", "eraseRecipient", {"to": EMAIL})
    assert world.api(erase, FakeLambdaContext())["data"]["complete"] is False
    world.monkeypatch.setattr("messenger.erasure.logic.BUDGET_SECONDS", 10)
    assert world.api(erase, FakeLambdaContext())["data"]["complete"] is True
# -- inbound SMS (two-way) ------------------------------------------------------------------------
def inbound_queue_bodies(world) -> list[tuple[str, str]]:
    received = boto3.client("sqs").receive_message(QueueUrl=world.resources.queues["inbound"].url, MaxNumberOfMessages=10)
    return [(m["Body"], m["ReceiptHandle"]) for m in received.get("Messages", [])]


def at_callback(world, kind: str, form: dict) -> dict:
    body = "&".join(f"{key}={quote_plus(value)}" for key, value in form.items())
    event = {"rawPath": f"/{kind}/{world.resources.report_token}", "body": body,
             "isBase64Encoded": False, "requestContext": {"http": {"method": "POST"}}}
    return world.reports_handler(event, FakeLambdaContext())


@path
def inbound_sms_answered_and_repeated(world):
    from messenger.inbound.handler import lambda_handler as inbound

    form = {"from": PHONE_AT, "to": "12345", "text": "HELP", "date": "2026-11-23 10:00:00", "id": "ATSMS_1"}
    assert at_callback(world, "inbound", form)["statusCode"] == 200
    assert at_callback(world, "inbound", {**form, "text": BODY})["statusCode"] == 200  # the same id, again
    result = inbound(sqs_event(inbound_queue_bodies(world)), FakeLambdaContext())
    assert result["batchItemFailures"] == []
    assert len(world.jobs()) == 1  # one HELP answer, queued for Africa's Talking


@path
def opt_out_notice(world):
    from messenger.inbound.handler import lambda_handler as inbound

    assert at_callback(world, "opt-out", {"senderId": "Brand", "phoneNumber": PHONE_AT})["statusCode"] == 200
    assert inbound(sqs_event(inbound_queue_bodies(world)), FakeLambdaContext())["batchItemFailures"] == []


@path
def verification_started_and_checked(world):
    def call(field, input_):
        return world.api(appsync_event("Mutation", field, {"input": input_}), FakeLambdaContext())

    started = call("startVerification", {"to": PHONE_SNS, "channel": "SMS"})["data"]
    assert started["status"] == "PENDING"
    from moto.sns.models import sns_backends

    texts = [text for backend in sns_backends["123456789012"].values() for _, text in backend.sms_messages.values()]
    SENT_CODES.extend(text.split(" ")[0] for text in texts if "verification code" in text)
    assert SENT_CODES
    assert call("checkVerification", {"id": started["id"], "code": "0000000"})["data"]["status"] == "PENDING"


@path
def proxy_session_relays_and_answers_a_stranger(world):
    from messenger.inbound.handler import lambda_handler as inbound

    def call(parent, field, arguments):
        answer = world.api(appsync_event(parent, field, arguments), FakeLambdaContext())
        assert "data" in answer, answer
        return answer["data"]

    pool = "+14155550111"
    call("Mutation", "addProxyNumber", {"number": pool})
    session = call("Mutation", "startProxySession", {"input": {"participantA": PHONE_SNS, "participantB": "+14155550124"}})

    def sns(sender, text, pid):
        return json.dumps({"Type": "Notification", "Message": json.dumps({
            "originationNumber": sender, "destinationNumber": pool, "messageBody": text, "inboundMessageId": pid})})

    result = inbound(sqs_event([(sns(PHONE_SNS, BODY, "p-1"), "h1"), (sns("+14155550125", BODY, "p-2"), "h2")]),
                     FakeLambdaContext())
    assert result["batchItemFailures"] == []
    assert call("Mutation", "endProxySession", {"id": session["id"]})["status"] == "CLOSED"


# -- running a path --------------------------------------------------------------------------------
@dataclass
class Run:
    text: str
    sites: set[tuple[str, int]]
    secrets: list[str]


SITES_BY_PATH: dict[str, set[tuple[str, int]]] = {}


# -- batches ---------------------------------------------------------------------------------------
def _batch_call(world, field: str, input_: dict) -> dict:
    return world.api(appsync_event("Mutation", field, {"input": input_}), FakeLambdaContext())


def _upload_notice(world, key: str) -> dict:
    notice = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": quote_plus(key)}}}]}
    return sqs_event([(json.dumps(notice), "h-1")])


def _upload(world, text: str | None, input_: dict | None = None) -> dict:
    from messenger.batches.worker import lambda_handler as uploads

    batch_id = _batch_call(world, "createBatchUpload", input_ or {"body": BODY + " ((name))"})["data"]["batchId"]
    key = f"uploads/{batch_id}.csv"
    if text is not None:
        boto3.client("s3").put_object(Bucket=world.resources.buckets["uploads"], Key=key, Body=text.encode())
    return uploads(_upload_notice(world, key), FakeLambdaContext())


@path
def batch_sent(world):
    rows = [{"to": EMAIL, "deliveryMethod": "EMAIL", "personalisation": json.dumps({"name": PERSONAL})},
            {"to": PHONE_AT, "deliveryMethod": "SMS", "personalisation": json.dumps({"name": PERSONAL})}]
    answer = _batch_call(world, "sendBatch", {"messages": rows, "body": BODY + " ((name))", "subject": SUBJECT})
    assert answer["data"]["status"] == "SENDING"
    bad = _batch_call(world, "sendBatch", {"messages": [{**rows[0], "to": PHONE_AT_2}], "body": BODY})
    assert bad["error"]["type"] == "BadRequest"


@path
def batch_uploaded(world):
    assert _upload(world, f"to,name\n{PHONE_AT},{PERSONAL}\n{EMAIL},{PERSONAL}\n") == {"batchItemFailures": []}


@path
def batch_upload_rejected(world):
    assert _upload(world, f"to,name\n{PHONE_AT},{PERSONAL}\n{PHONE_AT_2}x,{PERSONAL}\n") == {"batchItemFailures": []}


@path
def batch_upload_unknown_or_missing(world):
    from messenger.batches.worker import lambda_handler as uploads

    assert uploads(_upload_notice(world, "uploads/01ARZ3NDEKTSV4RRFFQ69G5FAV.csv"), FakeLambdaContext()) == {
        "batchItemFailures": []}
    assert _upload(world, None)["batchItemFailures"] == [{"itemIdentifier": "m-0"}]  # announced, not there


def _batch_job(world, batch_id: str, kind: str, later: str | None = None) -> dict:
    """The batch worker given one batch job; `later`: the worker's clock moved to then."""
    from messenger.batches.dependencies import batch_jobs
    from messenger.batches.jobs import job_text
    from messenger.batches.worker import lambda_handler as worker
    from tests.fakes import FixedClock

    if later is not None:
        world.monkeypatch.setattr(batch_jobs(), "_clock", FixedClock(later))
    return worker(sqs_event([(job_text(batch_id, kind), "h-1")]), FakeLambdaContext())


@path
def batch_scheduled_fired_and_cancelled(world):
    from messenger.batches import logic
    from messenger.scheduling.logic import Schedules

    rows = [{"to": EMAIL, "deliveryMethod": "EMAIL"}, {"to": PHONE_AT, "deliveryMethod": "SMS"}]
    fired = _batch_call(world, "sendBatch", {"messages": rows, "body": BODY, "sendAt": _later()})["data"]
    assert fired["status"] == "SCHEDULED"
    assert _batch_job(world, fired["id"], "fire", _later(7200)) == {"batchItemFailures": []}  # released
    world.monkeypatch.setattr(logic, "CANCEL_IN_REQUEST_ROWS", 0)  # its messages by a cancel job

    def unavailable(self, name):
        raise ConnectionError("scheduler unavailable")

    world.monkeypatch.setattr(Schedules, "cancel", unavailable)
    cancelled = _batch_call(world, "sendBatch", {"messages": rows, "body": BODY, "sendAt": _later()})["data"]
    answer = world.api(appsync_event("Mutation", "cancelBatch", {"id": cancelled["id"]}), FakeLambdaContext())
    assert answer["data"]["status"] == "CANCELLED"
    assert _batch_job(world, cancelled["id"], "cancel") == {"batchItemFailures": []}
    assert _batch_job(world, cancelled["id"], "check") == {"batchItemFailures": []}  # final: ignored
    world.monkeypatch.setattr(logic, "CANCEL_IN_REQUEST_ROWS", 1000)
    small = _batch_call(world, "sendBatch", {"messages": rows, "body": BODY, "sendAt": _later()})["data"]
    answer = world.api(appsync_event("Mutation", "cancelBatch", {"id": small["id"]}), FakeLambdaContext())
    assert answer["data"]["status"] == "CANCELLED"


@path
def batch_interrupted_or_over_quota(world):
    from messenger.batches.dal import BatchesTable
    from messenger.limits.logic import Limiter
    from messenger.limits.models import LimitExceeded

    rows = [{"to": EMAIL, "deliveryMethod": "EMAIL"}, {"to": PHONE_AT, "deliveryMethod": "SMS"}]

    def dies(self, *args, **kwargs):
        raise ConnectionError("the request died")

    with world.monkeypatch.context() as patch:
        patch.setattr(BatchesTable, "commit_slice", dies)
        assert _batch_call(world, "sendBatch", {"messages": rows, "body": BODY})["error"]["type"] == "InternalError"
    [batch_id] = [i["id"]["S"] for i in table_items(world.resources.table_name) if i["PK"]["S"].startswith("BATCH#")]
    assert _batch_job(world, batch_id, "check", _later(120)) == {"batchItemFailures": []}

    def full(self, client_id, rows):
        raise LimitExceeded("Limit exceeded: at most 1 messages per day for this client")

    world.monkeypatch.setattr(Limiter, "admit_upload", full)
    assert _upload(world, f"to,name\n{PHONE_AT},{PERSONAL}\n") == {"batchItemFailures": []}


@pytest.fixture(scope="module")
def at_url():
    with loopback_server(ScriptedAt) as url:
        yield url


def run_path(name: str, at_url: str) -> Run:
    """Run one path in a service of its own; return its log text and the log calls it executed."""
    ScriptedAt.statuses, ScriptedAt.codes, ScriptedAt.ids = [], {}, iter(range(1, 1_000))
    SENT_CODES.clear()
    sites: set[tuple[str, int]] = set()
    make_record = logging.getLogRecordFactory()

    def recording(*args, **kwargs):
        record = make_record(*args, **kwargs)
        sites.add((os.path.realpath(record.pathname), record.lineno))
        return record

    with moto_service(overrides={"atBaseUrl": at_url}, env={"POWERTOOLS_LOG_LEVEL": "DEBUG"}) as resources, \
            pytest.MonkeyPatch.context() as monkeypatch:
        from messenger.core.observability import logger

        secrets = boto3.client("secretsmanager")
        at_key = json.loads(secrets.get_secret_value(SecretId=resources.at_secret_name)["SecretString"])["apiKey"]
        buffer = io.StringIO()
        monkeypatch.setattr(logger.registered_handler, "stream", buffer)
        logging.setLogRecordFactory(recording)
        try:
            PATHS[name](World(resources, monkeypatch))
        finally:
            logging.setLogRecordFactory(make_record)
    SITES_BY_PATH[name] = sites
    from local.resources import DEFAULT_STACK_KEY

    return Run(buffer.getvalue(), sites, [at_key, resources.report_token, DEFAULT_STACK_KEY, *ISSUED_KEYS, *SENT_CODES])


@pytest.mark.parametrize("name", list(PATHS))
def test_the_logs_of_each_path_hold_no_body_subject_recipient_or_secret(name, at_url):
    run = run_path(name, at_url)
    assert [line for line in run.text.splitlines() if line.startswith("{")], "the path logged nothing"
    for forbidden in FORBIDDEN + [quote_plus(value) for value in FORBIDDEN] + run.secrets:
        assert forbidden not in run.text, forbidden


def test_recipients_are_logged_in_their_masked_form(at_url):
    assert "j***@example.com" in run_path("email_accepted", at_url).text
    assert "+1415*****23" in run_path("sms_through_sns_accepted", at_url).text


def log_call_sites(root: Path = LAMBDAS) -> dict[tuple[str, int], int]:
    """Every `log.<level>(...)` / `logger.<level>(...)` call under `root`: (file, first line) -> last line."""
    sites = {}
    for source in sorted(Path(os.path.realpath(root)).rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ("log", "logger")):
                sites[(str(source), node.lineno)] = node.end_lineno
    return sites


@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ, reason="mutmut rewrites lambdas/: its copies are no call sites")
def test_every_log_call_in_lambdas_is_run_by_a_path(at_url):
    for name in PATHS:
        if name not in SITES_BY_PATH:  # not run yet in this session (e.g. a -k selection)
            run_path(name, at_url)
    executed = set().union(*SITES_BY_PATH.values())
    sites = log_call_sites()
    assert len(sites) >= 20  # the scan found the code
    missing = [f"{Path(file).relative_to(os.path.realpath(LAMBDAS))}:{first}" for (file, first), last in sites.items()
               if not any(f == file and first <= line <= last for f, line in executed)]
    assert missing == [], f"log calls no path runs (add a path to PATHS): {missing}"

"""The status writers' webhook events through the API handler over moto: no webhook, no SQS call (and
one read of the subscriptions item per cache period); a webhook created here, one event per change."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support import FakeLambdaContext, appsync_event, moto_service

CREATE = {"input": {"url": "http://127.0.0.1:9/hook", "events": ["MESSAGE_STATUS"]}}
EMAIL = {"input": {"to": "jane@example.com", "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}}


@pytest.fixture
def api():
    """(call, calls): the API handler, and the SQS SendMessage / subscriptions reads it made."""
    with moto_service(overrides={"webhookAllowLoopback": True}) as resources:
        from messenger.adapters.aws import client
        from messenger.api import lambda_handler

        calls: list[str] = []
        client("sqs").meta.events.register(
            "provide-client-params.sqs.SendMessage",
            lambda params, **_: calls.append("SendMessage " + params["QueueUrl"]))
        client("dynamodb").meta.events.register(
            "provide-client-params.dynamodb.GetItem",
            lambda params, **_: calls.append("GetItem " + params["Key"]["SK"]["S"].split("#")[0]))

        def call(parent: str, field: str, arguments: dict):
            answer = lambda_handler(appsync_event(parent, field, arguments), FakeLambdaContext())
            assert "errors" not in answer and answer.get("data") is not None, answer
            return answer["data"]

        yield call, calls, resources


def webhook_events(resources) -> list[dict]:
    sqs = boto3.client("sqs")
    url = resources.queues["webhooks"].url
    got = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        got += [json.loads(m["Body"]) for m in batch]
    return got


def test_without_a_webhook_a_send_makes_no_sqs_call_and_the_check_is_read_once_per_period(api):
    call, calls, resources = api
    for _ in range(3):
        call("Mutation", "sendMessage", EMAIL)
    assert not [c for c in calls if c.startswith("SendMessage")]
    assert calls.count("GetItem SUBSCRIPTIONS") == 1  # cached for webhookSubscriptionCacheSeconds (30 s)
    assert webhook_events(resources) == []


def test_a_webhook_created_here_gets_one_event_per_status_change_from_the_next_send(api):
    call, calls, resources = api
    call("Mutation", "sendMessage", EMAIL)  # fills the cache with "no webhook"
    created = call("Mutation", "createWebhook", CREATE)
    calls.clear()
    message = call("Mutation", "sendMessage", EMAIL)
    history = call("Query", "getMessage", {"id": message["id"]})
    statuses = [e["status"] for e in history["events"]]
    assert len(statuses) >= 2  # e.g. PENDING, ACCEPTED
    webhooks_queue = resources.queues["webhooks"].url
    assert calls.count(f"SendMessage {webhooks_queue}") == len(statuses)  # one per change, nothing more
    assert calls.count("GetItem SUBSCRIPTIONS") == 1  # creating the webhook forgot the cached answer
    events = [e for e in webhook_events(resources) if e["payload"]["data"]["id"] == message["id"]]
    assert [e["payload"]["data"]["sequence"] for e in events] == list(range(1, len(statuses) + 1))
    assert [e["payload"]["data"]["status"] for e in events] == statuses
    assert {e["eventId"] for e in events} == {f"msg_{message['id']}_{n}" for n in range(1, len(statuses) + 1)}

    call("Mutation", "deleteWebhook", {"id": created["id"]})
    calls.clear()
    call("Mutation", "sendMessage", EMAIL)
    assert not [c for c in calls if c.startswith("SendMessage")]  # deleted: nothing enqueued again

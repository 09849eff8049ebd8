"""A webhook belongs to the API client that created it: it receives that client's messages only, and
only that client lists, rotates, enables, deletes it or reads its deliveries."""

from __future__ import annotations

import boto3
import pytest

from messenger.webhooks.delivery import Deliverer
from messenger.webhooks.service import NotFound, Webhooks
from tests.support import moto_service

HOOK = {"input": {"url": "https://hooks.example.com/h", "events": ["MESSAGE_STATUS"]}}


class Queue:
    def __init__(self) -> None:
        self.sent = []

    def send(self, body, delay_seconds=0):
        self.sent.append(body)

    def park(self, body):
        pass


@pytest.fixture
def service():
    with moto_service() as resources:
        from messenger.webhooks.dal import WebhooksTable

        table = WebhooksTable(boto3.client("dynamodb"), resources.table_name)
        yield table, Webhooks(table, allow_loopback=False, grace_seconds=0, resolve=lambda h, p: ["93.184.215.14"])


def test_a_client_sees_and_manages_only_its_own_webhooks(service):
    _, webhooks = service
    mine, theirs = webhooks.create(HOOK, "client-a"), webhooks.create(HOOK, "client-b")
    assert [w["id"] for w in webhooks.list("client-a")] == [mine["id"]]
    assert {w["id"] for w in webhooks.list()} == {mine["id"], theirs["id"]}  # no caller: the operator's view
    for call in (webhooks.rotate, webhooks.enable):
        with pytest.raises(NotFound):
            call({"id": theirs["id"]}, "client-a")
    with pytest.raises(NotFound):
        webhooks.deliveries({"webhookId": theirs["id"]}, "client-a")
    assert webhooks.delete({"id": theirs["id"]}, "client-a") is False
    assert [w["id"] for w in webhooks.list("client-b")] == [theirs["id"]]  # still there
    assert webhooks.rotate({"id": mine["id"]}, "client-a")["secret"].startswith("whsec_")
    assert webhooks.delete({"id": mine["id"]}, "client-a") is True


def test_an_event_is_fanned_out_only_to_the_webhooks_of_its_messages_client(service):
    table, webhooks = service
    a, b = webhooks.create(HOOK, "client-a"), webhooks.create(HOOK, "client-b")
    queue = Queue()
    deliverer = Deliverer(table, queue, lambda *args: None, schedule=[5], allow_loopback=False, timeout_seconds=5,
                          disable_after_seconds=86_400, resolve=lambda h, p: ["93.184.215.14"])
    payload = {"type": "MESSAGE_STATUS", "data": {"id": "01KAQZ3X8J0000000000000000", "status": "DELIVERED"}}
    assert deliverer.fan_out("msg_1_1", "MESSAGE_STATUS", payload, "client-a") == 1
    [body] = queue.sent  # the whole event, as it will be signed and posted
    assert (body["webhook_id"], body["event_id"], body["event_type"], body["payload"]) == (
        a["id"], "msg_1_1", "MESSAGE_STATUS", payload)
    queue.sent.clear()
    assert deliverer.fan_out("msg_2_1", "MESSAGE_STATUS", {"data": {}}, "client-c") == 0
    assert deliverer.fan_out("msg_3_1", "MESSAGE_STATUS", {"data": {}}, "client-b") == 1
    assert [body["webhook_id"] for body in queue.sent] == [b["id"]]

"""The webhooks API's decisions over the real table (moto): what create refuses and why, the secret
shown once, rotation's grace, which changes invalidate the subscriptions, and paging deliveries."""

from __future__ import annotations

import base64

import boto3
import pytest
from messenger.core.errors import BadRequest
from messenger.webhooks.dal import WebhooksTable
from messenger.webhooks.models import Attempt
from messenger.webhooks.service import MAX_WEBHOOKS, InboundNeedsRead, NotFound, Webhooks


NOW = 1795435200.0  # 2026-11-23T12:00:00Z
URL = "https://hooks.example.com/h"
PUBLIC = ["93.184.215.14"]


@pytest.fixture
def world(empty_moto_table):
    table = WebhooksTable(boto3.client("dynamodb"), empty_moto_table)
    changes = []
    webhooks = Webhooks(table, allow_loopback=False, grace_seconds=3600, resolve=lambda host, port: PUBLIC,
                        now=lambda: NOW, on_change=lambda: changes.append(1))
    return table, webhooks, changes


def _hook(**fields) -> dict:
    return {"input": {"url": URL, "events": ["MESSAGE_STATUS"]} | fields}


def _refused(call, *args) -> str:
    with pytest.raises(BadRequest) as caught:
        call(*args)
    return str(caught.value)


def test_create_answers_the_webhook_with_its_secret_once_and_announces_the_change(world):
    table, webhooks, changes = world
    created = webhooks.create(_hook(events=["MESSAGE_STATUS", "BATCH_COMPLETED", "MESSAGE_STATUS"], description="ops"))
    assert created["secret"].startswith("whsec_")
    assert {k: v for k, v in created.items() if k not in ("id", "secret")} == {
        "url": URL, "events": ["MESSAGE_STATUS", "BATCH_COMPLETED"], "description": "ops",
        "createdAt": "2026-11-23T12:00:00.000Z", "failingSince": None, "disabled": False, "disabledAt": None}
    assert changes == [1]
    listed = webhooks.list()
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    assert table.get(created["id"]).secret == created["secret"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"url": "http://hooks.example.com/h"}, "url: only https:// URLs are accepted"),
    ({"events": []}, "events: name at least one event"),
    ({"events": ["MESSAGE_STATUS", "EVERYTHING"]}, "events: unknown event"),
    ({"description": "d" * 201}, "description: at most 200 characters"),
])
def test_a_bad_webhook_is_refused_by_name_with_nothing_stored(world, fields, message):
    _, webhooks, changes = world
    assert _refused(webhooks.create, _hook(**fields)) == message
    assert webhooks.list() == [] and changes == []


def test_a_description_of_exactly_the_limit_and_an_empty_one(world):
    _, webhooks, _ = world
    assert webhooks.create(_hook(description="d" * 200))["description"] == "d" * 200
    assert webhooks.create(_hook(description=""))["description"] is None


def test_a_url_that_resolves_to_a_private_address_is_refused_with_the_reason(world):
    table, _, _ = world
    private = Webhooks(table, allow_loopback=False, grace_seconds=0, resolve=lambda host, port: ["10.0.0.7"])
    assert _refused(private.create, _hook()) == (
        "url: host resolves to a private, loopback, link-local or metadata address")


def test_inbound_sms_events_need_read(world):
    _, webhooks, _ = world
    assert webhooks.create(_hook(events=["MESSAGE_INBOUND"]))["events"] == ["MESSAGE_INBOUND"]  # the operator
    with pytest.raises(InboundNeedsRead):
        webhooks.create(_hook(events=["MESSAGE_INBOUND"]), "shop", reads_history=False)
    assert webhooks.create(_hook(events=["MESSAGE_INBOUND"]), "shop", reads_history=True)["events"] == ["MESSAGE_INBOUND"]


def test_at_most_twenty_webhooks(world):
    _, webhooks, _ = world
    for _ in range(MAX_WEBHOOKS):
        webhooks.create(_hook())
    assert _refused(webhooks.create, _hook()) == "url: at most 20 webhooks"
    assert len(webhooks.list()) == MAX_WEBHOOKS


def test_rotation_keeps_the_old_secret_signing_for_the_grace_and_changes_no_subscription(world):
    table, webhooks, changes = world
    created = webhooks.create(_hook())
    rotated = webhooks.rotate({"id": created["id"]})
    stored = table.get(created["id"])
    assert rotated["secret"] != created["secret"] and stored.secret == rotated["secret"]
    assert (stored.previous_secret, stored.previous_secret_until) == (created["secret"], "2026-11-23T13:00:00.000Z")
    assert changes == [1]


def test_unknown_webhooks_are_not_found_and_deleting_one_is_false(world):
    _, webhooks, changes = world
    calls = [(webhooks.rotate, {"id": "nope"}), (webhooks.enable, {"id": "nope"}), (webhooks.rotate, {}),
             (webhooks.enable, {}), (webhooks.deliveries, {"webhookId": "nope"}), (webhooks.deliveries, {})]
    for call, arguments in calls:
        with pytest.raises(NotFound) as caught:
            call(arguments)
        assert str(caught.value) == "no such webhook"
    assert webhooks.delete({"id": "nope"}) is False and changes == []


def test_delete_and_enable_announce_the_change(world):
    _, webhooks, changes = world
    created = webhooks.create(_hook())
    assert webhooks.enable({"id": created["id"]})["disabled"] is False
    assert webhooks.delete({"id": created["id"]}) is True
    assert changes == [1, 1, 1] and webhooks.list() == []


def _attempts(table, webhook_id: str, n: int) -> list[str]:
    ids = [f"01ARZ3NDEKTSV4RRFFQ69G5{i:03d}" for i in range(n)]
    for i, attempt_id in enumerate(ids):
        table.record(Attempt(webhook_id, f"msg_{i}_1", "MESSAGE_STATUS", 1, f"2026-11-23T12:00:{i:02d}.000Z",
                             http_status=200, delivered=True), attempt_id)
    return ids


def test_deliveries_page_newest_first_with_a_cursor(world):
    table, webhooks, _ = world
    hook = webhooks.create(_hook())["id"]
    ids = _attempts(table, hook, 5)
    first = webhooks.deliveries({"webhookId": hook, "first": 2})
    assert [a["eventId"] for a in first["data"]] == ["msg_4_1", "msg_3_1"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert base64.urlsafe_b64decode(first["pageInfo"]["endCursor"]).decode() == f"{hook}:{ids[3]}"
    rest = webhooks.deliveries({"webhookId": hook, "first": 10, "after": first["pageInfo"]["endCursor"]})
    assert [a["eventId"] for a in rest["data"]] == ["msg_2_1", "msg_1_1", "msg_0_1"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert len(webhooks.deliveries({"webhookId": hook})["data"]) == 5
    assert len(webhooks.deliveries({"webhookId": hook, "first": 100})["data"]) == 5


def test_a_page_that_ends_at_the_oldest_attempt_says_there_is_no_next_page(world):
    table, webhooks, _ = world
    hook = webhooks.create(_hook())["id"]
    _attempts(table, hook, 4)
    first = webhooks.deliveries({"webhookId": hook, "first": 2})
    assert first["pageInfo"]["hasNextPage"] is True
    rest = webhooks.deliveries({"webhookId": hook, "first": 2, "after": first["pageInfo"]["endCursor"]})
    assert [a["eventId"] for a in rest["data"]] == ["msg_1_1", "msg_0_1"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert webhooks.deliveries({"webhookId": hook, "first": 4})["pageInfo"]["hasNextPage"] is False


def test_a_webhook_without_deliveries_has_an_empty_page(world):
    _, webhooks, _ = world
    hook = webhooks.create(_hook())["id"]
    assert webhooks.deliveries({"webhookId": hook}) == {"data": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


@pytest.mark.parametrize(("arguments", "message"), [
    ({"first": 0}, "first: must be between 1 and 100"),
    ({"first": 101}, "first: must be between 1 and 100"),
    ({"first": -1}, "first: must be between 1 and 100"),
    ({"first": True}, "first: must be between 1 and 100"),
    ({"after": "%%%"}, "after: not a valid cursor"),
    ({"after": base64.urlsafe_b64encode(b"other:01ARZ3NDEKTSV4RRFFQ69G5000").decode()}, "after: not a valid cursor"),
    ({"after": "short"}, "after: not a valid cursor"),
])
def test_bad_delivery_paging_is_refused_by_name(world, arguments, message):
    _, webhooks, _ = world
    hook = webhooks.create(_hook())["id"]
    assert _refused(webhooks.deliveries, {"webhookId": hook} | arguments) == message


def test_a_cursor_of_one_webhook_is_refused_for_another(world):
    table, webhooks, _ = world
    one, other = webhooks.create(_hook())["id"], webhooks.create(_hook())["id"]
    _attempts(table, one, 3)
    cursor = webhooks.deliveries({"webhookId": one, "first": 1})["pageInfo"]["endCursor"]
    assert _refused(webhooks.deliveries, {"webhookId": other, "after": cursor}) == "after: not a valid cursor"

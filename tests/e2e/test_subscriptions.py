"""onMessageUpdated over the local mode, spoken to by a real third-party AppSync client: gql's
AppSyncWebsocketsTransport (AppSync's real-time dialect of `graphql-ws`) with API-key authentication."""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import pytest
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportError, TransportQueryError

from tests.e2e.conftest import http

SUBSCRIPTION = gql("subscription($to: String) { onMessageUpdated(to: $to) { id to deliveryStatus provider } }")
SEND = "mutation($i: MessageInput!) { sendMessage(input: $i) { id deliveryStatus } }"
PUBLISH = "mutation($m: MessageUpdateInput!) { publishMessageUpdate(message: $m) { id } }"


def _transport(local_api, key: str) -> AppSyncWebsocketsTransport:
    host = urllib.parse.urlsplit(local_api.url).netloc
    ws_url = local_api.url.replace("http://", "ws://")
    return AppSyncWebsocketsTransport(url=ws_url, auth=AppSyncApiKeyAuthentication(host=host, api_key=key))


def _send(local_api, to: str) -> str:
    status, body = local_api.graphql(SEND, {"i": {"to": to, "body": "Your code is 1234", "deliveryMethod": "SMS"}})
    assert status == 200 and "errors" not in body, body
    return body["data"]["sendMessage"]["id"]


async def _collect(local_api, to: str, other: str, until: str = "DELIVERED") -> tuple[str, str, list[dict]]:
    loop = asyncio.get_running_loop()
    async with Client(transport=_transport(local_api, local_api.api_key)) as session:
        received: list[dict] = []
        subscribed = asyncio.Event()

        async def listen() -> None:
            generator = session.subscribe(SUBSCRIPTION, variable_values={"to": to})
            subscribed.set()
            async for result in generator:
                received.append(result["onMessageUpdated"])
                if result["onMessageUpdated"]["deliveryStatus"] == until:
                    return

        task = asyncio.ensure_future(listen())
        await subscribed.wait()
        await asyncio.sleep(0.5)  # the start_ack has come back
        other_id = await loop.run_in_executor(None, _send, local_api, other)
        mine = await loop.run_in_executor(None, _send, local_api, to)
        await asyncio.wait_for(task, 30)
        await asyncio.sleep(0.5)  # anything for the other recipient would have arrived by now
    return mine, other_id, received


def test_a_subscriber_filtered_on_to_sees_queued_accepted_delivered_and_nothing_else(local_api):
    mine, other_id, received = asyncio.run(_collect(local_api, "+254711000201", "+254711000202"))
    assert [r["deliveryStatus"] for r in received] == ["QUEUED", "ACCEPTED", "DELIVERED"]
    assert {r["id"] for r in received} == {mine} and other_id != mine
    # Only the selected fields, as AppSync sends them.
    assert all(set(r) == {"id", "to", "deliveryStatus", "provider"} for r in received)
    assert {r["provider"] for r in received} == {"AFRICASTALKING"} and {r["to"] for r in received} == {"+254711000201"}


def test_a_wrong_key_is_refused(local_api):
    async def connect() -> None:
        async with Client(transport=_transport(local_api, "da2-wrong-key")) as session:
            async for _ in session.subscribe(SUBSCRIPTION, variable_values={"to": "+254711000203"}):
                break

    with pytest.raises(TransportError, match="UnauthorizedException"):
        asyncio.run(connect())


def test_a_subscription_without_arguments_is_refused_with_a_clear_error(local_api):
    async def subscribe() -> None:
        async with Client(transport=_transport(local_api, local_api.api_key)) as session:
            async for _ in session.subscribe(gql("subscription { onMessageUpdated { id } }")):
                break

    with pytest.raises(TransportQueryError, match="needs at least one argument: id, to, senderId, reference"):
        asyncio.run(subscribe())


def test_clients_cannot_call_the_publish_mutation_with_the_api_key(local_api):
    status, body = local_api.graphql(PUBLISH, {"m": {
        "id": "x", "to": "+254711000204", "body": "b", "deliveryMethod": "SMS", "deliveryStatus": "DELIVERED",
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "events": []}})  # fmt: skip
    assert status == 200
    assert body["data"] == {"publishMessageUpdate": None}
    (error,) = body["errors"]
    assert error["errorType"] == "Unauthorized"
    assert error["message"] == "Not Authorized to access publishMessageUpdate on type Mutation"


def test_a_forged_signature_is_refused(local_api):
    body = json.dumps({"query": PUBLISH, "variables": {}}).encode()
    forged = {"Content-Type": "application/json", "X-Amz-Date": "20260101T000000Z", "Authorization": (
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/appsync/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)}  # fmt: skip
    status, answer = http(local_api.url, body, forged)
    assert status == 401 and answer["errors"][0]["errorType"] == "UnauthorizedException"

"""The local mode's own contract: API key, AppSync-shaped errors, limits, dev routes, loopback, signals."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import graphql
import pytest

from local.appsync import AWS_DECLARATIONS, MAX_REQUEST_BYTES, QUERY_DEPTH_LIMIT
from stacks.config import PROJECT_ROOT
from tests.e2e.conftest import http, start_local_mode

SEND = """mutation send($input: MessageInput!) {
  sendMessage(input: $input) { id to deliveryStatus }
}"""
HISTORY = """query history($to: String!) {
  getMessages(filter: {to: $to}) { data { id } pageInfo { hasNextPage endCursor } }
}"""


def _unique_email() -> str:
    return f"runner-{uuid.uuid4().hex[:12]}@example.org"


def _introspection_of_depth(depth: int) -> str:
    """__schema(1) types(2) fields(3) type(4), then ofType levels, then name."""
    inner = "name"
    for _ in range(depth - 5):
        inner = f"ofType {{ {inner} }}"
    return f"{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}"


def test_missing_api_key_is_rejected_with_401_before_any_resolver(local_api):
    status, body = local_api.graphql(SEND, {"input": {}}, headers={"Content-Type": "application/json"})
    assert status == 401
    assert body == {
        "errors": [{"errorType": "UnauthorizedException", "message": "Valid authorization header not provided."}]
    }


def test_wrong_api_key_is_rejected_with_401(local_api):
    status, body = local_api.graphql(SEND, {"input": {}}, headers={"x-api-key": "da2-not-the-key"})
    assert status == 401
    assert body == {
        "errors": [{"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}]
    }


def test_health_is_ok(local_api):
    assert local_api.get("/local/health") == (200, {"status": "ok"})


def test_outbox_lists_each_send_with_the_documented_fields(local_api):
    to = _unique_email()
    status, body = local_api.graphql(SEND, {"input": {"to": to, "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}})
    assert status == 200 and body["data"]["sendMessage"]["deliveryStatus"] == "ACCEPTED", body
    [entry] = [e for e in local_api.outbox() if e["to"] == to]
    assert set(entry) == {"channel", "provider", "to", "from", "subject", "body", "providerMessageId", "sentAt"}
    assert (entry["channel"], entry["provider"], entry["subject"]) == ("EMAIL", "SES", "Hi")
    assert "Hello" in entry["body"] and entry["providerMessageId"] and entry["sentAt"].endswith("Z")


def test_dead_letter_listing_shows_exactly_what_sits_in_the_dlq(local_api):
    status, body = local_api.get("/local/dlq")
    assert status == 200 and isinstance(body["messages"], list)

    sqs = boto3.client("sqs", endpoint_url=local_api.aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    [dlq_url] = [url for url in sqs.list_queues()["QueueUrls"] if url.endswith("-outbound-dlq")]
    text = f"dead letter {uuid.uuid4().hex}"
    attributes = {"kind": {"DataType": "String", "StringValue": "probe"}}
    message_id = sqs.send_message(QueueUrl=dlq_url, MessageBody=text, MessageAttributes=attributes)["MessageId"]

    status, body = local_api.get("/local/dlq")
    assert status == 200
    [entry] = [m for m in body["messages"] if m["body"] == text]
    assert entry == {
        "queue": dlq_url.rsplit("/", 1)[1],
        "messageId": message_id,
        "body": text,
        "attributes": {"ApproximateReceiveCount": "0", "SentTimestamp": entry["attributes"]["SentTimestamp"]},
        "messageAttributes": {"kind": {"dataType": "String", "stringValue": "probe"}},
    }
    assert entry["attributes"]["SentTimestamp"].isdigit()


def test_listens_on_loopback_only(local_api):
    printed = {urlsplit(url) for url in (local_api.base_url, local_api.standin_url, local_api.aws_endpoint)}
    assert {url.hostname for url in printed} == {"127.0.0.1"}
    port = int(local_api.base_url.rsplit(":", 1)[1])
    ports = {url.port for url in printed}
    # Every socket the process listens on is bound to 127.0.0.1, whatever this machine's interfaces.
    listening = _listening_sockets(local_api.process.pid)
    assert ports <= {p for _, p in listening}, listening
    assert {address for address, _ in listening} == {"127.0.0.1"}, listening
    for each in ports:
        socket.create_connection(("127.0.0.1", each), timeout=2).close()
    for address in _non_loopback_addresses():  # none on some CI runners: the checks above still hold
        for each in ports:
            with pytest.raises(OSError):
                socket.create_connection((address, each), timeout=2).close()
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()


def test_unknown_enum_value_is_a_validation_error_and_nothing_is_written(local_api):
    to = _unique_email()
    status, body = local_api.graphql(SEND, {"input": {"to": to, "body": "Hello", "deliveryMethod": "FAX"}})
    assert status == 200
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] is None and "errorType" not in error
    assert "FAX" in error["message"]
    assert local_api.graphql(HISTORY, {"to": to})[1]["data"]["getMessages"]["data"] == []
    assert not [e for e in local_api.outbox() if e["to"] == to]


def test_query_deeper_than_the_limit_is_rejected(local_api):
    status, body = local_api.graphql(_introspection_of_depth(QUERY_DEPTH_LIMIT + 1))
    assert status == 200 and body["data"] is None
    [error] = body["errors"]
    assert error["path"] is None and f"maximum query depth of {QUERY_DEPTH_LIMIT}" in error["message"]


def test_query_at_the_depth_limit_runs(local_api):
    status, body = local_api.graphql(_introspection_of_depth(QUERY_DEPTH_LIMIT))
    assert status == 200 and "errors" not in body and body["data"]["__schema"]["types"]
    schema = graphql.build_schema(AWS_DECLARATIONS + (PROJECT_ROOT / "schema.graphql").read_text())
    assert len(body["data"]["__schema"]["types"]) == len(schema.type_map)  # every type, introspection's too


def test_request_body_over_the_limit_is_rejected_with_413(local_api):
    padding = "x" * MAX_REQUEST_BYTES
    status, body = local_api.graphql(SEND, {"input": {"to": _unique_email(), "body": padding, "deliveryMethod": "EMAIL"}})
    assert status == 413
    assert body["errors"][0]["errorType"] == "PayloadTooLargeException"
    assert len(body["errors"]) == 1, body


def test_syntax_error_is_reported_without_running_a_resolver(local_api):
    status, body = local_api.graphql("mutation { sendMessage(input: ")
    assert status == 200 and body["data"] is None
    assert body["errors"][0]["path"] is None and "Syntax Error" in body["errors"][0]["message"]
    assert len(body["errors"]) == 1, body


def test_sigterm_stops_a_second_instance_with_exit_0():
    api = start_local_mode()
    assert api.get("/local/health") == (200, {"status": "ok"})
    assert api.stop(signal.SIGTERM) == 0


def test_health_needs_no_api_key_but_graphql_get_is_refused(local_api):
    assert http(local_api.base_url + "/local/health")[0] == 200
    assert http(local_api.url)[0] == 405


def test_delivery_report_route_is_the_function_url_and_refuses_a_wrong_token(local_api):
    status, body = http(local_api.base_url + "/local/delivery-reports/reports/not-the-token", b"id=x&status=Sent")
    assert (status, body) == (403, "Forbidden")


def _non_loopback_addresses() -> list[str]:
    """This machine's own addresses other than loopback (IPv4 and IPv6; link-local left out)."""
    candidates: set[str] = set()
    try:
        candidates.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None))
    except OSError:
        pass
    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))  # UDP connect picks a route; nothing is sent
                candidates.add(probe.getsockname()[0])
        except OSError:
            pass
    addresses = [ipaddress.ip_address(a.split("%")[0]) for a in candidates]
    return sorted(str(a) for a in addresses if not (a.is_loopback or a.is_unspecified or a.is_link_local))


def _listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket `pid` listens on: from /proc on Linux, from lsof elsewhere."""
    if not Path(f"/proc/{pid}/fd").is_dir():
        return _listening_sockets_from_lsof(pid)
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    listening = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            local, state, inode = (line.split()[i] for i in (1, 3, 9))
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                raw = b"".join(bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, len(address), 8))
                listening.add((str(ipaddress.ip_address(raw)), int(port, 16)))
    assert listening, f"found no listening socket of process {pid} in /proc"
    return listening


def _listening_sockets_from_lsof(pid: int) -> set[tuple[str, int]]:
    if shutil.which("lsof") is None:
        pytest.fail("cannot see which addresses the local mode listens on: no /proc and no lsof")
    done = subprocess.run(["lsof", "-nP", "-a", "-p", str(pid), "-iTCP", "-sTCP:LISTEN", "-Fn"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    listening = set()
    for line in done.stdout.splitlines():
        if line.startswith("n"):
            address, port = line[1:].rsplit(":", 1)
            listening.add((address.strip("[]").replace("*", "0.0.0.0"), int(port)))
    assert listening, f"lsof found no listening socket of process {pid}"
    return listening


def test_many_clients_connecting_at_once_are_all_served(local_api):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(lambda _: local_api.get("/local/health")[0], range(40)))
    assert statuses == [200] * 40

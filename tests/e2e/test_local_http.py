"""The local HTTP server (local/http.py): routes, HTTP/1.1 keep-alive, limits, errors, and WebSocket
upgrades on the same port as plain requests.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading

import aiohttp
import pytest

from local.http import LocalHttpServer, Request, WebSocket, json_response, text_response


@pytest.fixture
def server():
    server = LocalHttpServer(0, max_body_bytes=1024)
    yield server
    server.stop()


def _echo(request: Request):
    return json_response(200, {"method": request.method, "path": request.path, "query": request.query,
                               "body": None if request.body is None else request.body.decode()})  # fmt: skip


def _request(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None):
    connection.request(method, path, body=body)
    response = connection.getresponse()
    return response.status, response.read()


def test_one_connection_carries_many_requests(server):
    server.add_get("/a", _echo)
    server.add_post("/b", _echo)
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    status, _ = _request(connection, "GET", "/a?x=1")
    first_socket = connection.sock
    assert status == 200 and first_socket is not None
    status, body = _request(connection, "POST", "/b", b"hello")
    assert status == 200 and json.loads(body) == {"method": "POST", "path": "/b", "query": "", "body": "hello"}
    assert connection.sock is first_socket  # HTTP/1.1 keep-alive: the same connection, not a new one
    connection.close()


def test_routes_by_method_prefix_and_any_method(server):
    server.add_route("*", "/any", _echo)
    server.add_prefix("/under/", _echo)
    server.add_get("/get-only", _echo)
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    assert _request(connection, "DELETE", "/any")[0] == 200
    status, body = _request(connection, "PUT", "/under/a%2Fb?q=1", b"x")
    assert status == 200 and json.loads(body)["path"] == "/under/a%2Fb"  # as sent, not decoded
    assert _request(connection, "GET", "/under")[0] == 404
    assert _request(connection, "POST", "/get-only") == (404, b'{"message": "Not Found"}')
    with pytest.raises(ValueError):
        server.add_get("/get-only", _echo)


def test_a_body_over_the_limit_reaches_the_handler_as_none_and_the_connection_survives(server):
    server.add_post("/b", _echo)
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    status, body = _request(connection, "POST", "/b", b"x" * 5000)
    assert status == 200 and json.loads(body)["body"] is None
    assert json.loads(_request(connection, "POST", "/b", b"small")[1])["body"] == "small"


def test_expect_100_continue_is_answered_before_the_body_is_sent(server):
    server.add_post("/b", _echo)
    server.start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        client.sendall(b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert client.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        client.sendall(b"hello")
        assert b'"body": "hello"' in client.recv(1000)


def test_an_unhandled_error_is_a_500_and_the_server_keeps_serving(server, caplog):
    def boom(request: Request):
        raise RuntimeError("boom")

    server.add_prefix("/boom", boom)
    server.add_get("/ok", lambda _: text_response(200, "ok"))
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    status, body = _request(connection, "GET", "/boom/secret-token")
    assert status == 500 and json.loads(body)["errors"][0]["errorType"] == "InternalFailure"
    assert _request(connection, "GET", "/ok") == (200, b"ok")
    assert "/boom/..." in caplog.text and "secret-token" not in caplog.text  # the route, never the path


def test_websocket_upgrade_on_the_same_port_as_http(server):
    closed = threading.Event()

    def echo(request: Request, ws: WebSocket) -> None:
        while (message := ws.receive()) is not None:
            ws.send(f"echo {message}" if isinstance(message, str) else message)
        closed.set()

    server.add_get("/plain", lambda _: text_response(200, "plain"))
    server.add_websocket("/ws", echo, protocols=("graphql-ws",))
    server.start()

    async def talk() -> tuple[int, str, list]:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.base_url}/plain") as response:
                plain = (response.status, await response.text())
            async with session.ws_connect(f"{server.base_url}/ws", protocols=("graphql-ws",)) as ws:
                await ws.send_str("hi")
                text = await ws.receive_str(timeout=5)
                await ws.send_bytes(b"\x00\x01")
                data = await ws.receive_bytes(timeout=5)
                return plain, ws.protocol, [text, data]

    plain, protocol, messages = asyncio.run(talk())
    assert plain == (200, "plain")
    assert protocol == "graphql-ws"
    assert messages == ["echo hi", b"\x00\x01"]
    assert closed.wait(5)  # the client's close reached the handler as the end of its messages


def test_stop_closes_open_websockets(server):
    connected, ended = threading.Event(), threading.Event()

    def hold(request: Request, ws: WebSocket) -> None:
        connected.set()
        if ws.receive() is None:
            ended.set()

    server.add_websocket("/ws", hold)
    server.start()

    async def connect_and_wait_for_close() -> aiohttp.WSMsgType:
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as session, session.ws_connect(f"{server.base_url}/ws") as ws:
            await loop.run_in_executor(None, connected.wait, 5)
            await loop.run_in_executor(None, server.stop)
            return (await ws.receive(timeout=5)).type

    assert asyncio.run(connect_and_wait_for_close()) in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ended.wait(5)

"""The little HTTP plumbing both local servers share: parse a request, hand it to an app, write the reply.

Servers bind to 127.0.0.1 only; an app is a callable `app(Request) -> Response`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
log = logging.getLogger(__name__)


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ","
    body: bytes | None  # None when the body exceeds the server's limit (it is read and dropped)
    client_ip: str


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


def text_response(status: int, text: str) -> Response:
    return Response(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})


App = Callable[[Request], Response]


class LocalHttpServer(ThreadingHTTPServer):
    """A threaded server on 127.0.0.1; `app` may be attached after binding (the port is known at once)."""

    daemon_threads = True
    # socketserver's default backlog is 5: twenty clients connecting at once would be reset.
    request_queue_size = 128

    def __init__(self, port: int, max_body_bytes: int, app: App | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._thread: threading.Thread | None = None
        super().__init__((LOOPBACK, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name=f"http-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(5)
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: LocalHttpServer
    server_version = "local-messaging"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        length = int(headers.get("content-length") or 0)
        body: bytes | None
        if length > self.server.max_body_bytes:
            body = None
            while length > 0:  # drained, not kept: a client still writing would otherwise see a reset
                chunk = self.rfile.read(min(65_536, length))
                if not chunk:
                    break
                length -= len(chunk)
        else:
            body = self.rfile.read(length) if length else b""
        request = Request(self.command, url.path, url.query, headers, body, self.client_address[0])
        try:
            response = self.server.app(request) if self.server.app else text_response(503, "starting")
        except Exception:  # noqa: BLE001 - a dev server answers 500 and keeps serving
            log.exception("unhandled error serving %s %s", self.command, url.path)
            response = json_response(500, {"errors": [{"errorType": "InternalFailure", "message": "Internal error"}]})
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silent: a request line can carry a secret (the delivery-report token is in its path)."""

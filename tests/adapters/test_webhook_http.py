"""The webhook worker's HTTP client against a real server on loopback: it connects to the address it is
given (never resolving the name again), follows no redirect, and turns failures into outcomes."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler

from messenger.adapters.webhook_http import post
from tests.support import loopback_server

SEEN: list[tuple[str, str, str | None]] = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers["Content-Length"]))
        SEEN.append((self.path, self.headers["Host"], self.headers.get("webhook-id")))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
        else:
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_is_an_answer_and_is_not_followed_and_the_pinned_address_is_used():
    SEEN.clear()
    with loopback_server(Receiver) as base:
        port = int(base.rsplit(":", 1)[1])
        # The name would not resolve: the client must connect to the address checked, sending the name as Host.
        url = f"http://hooks.invalid:{port}/moved"
        outcome = post(url, "hooks.invalid", "127.0.0.1", port, b"{}", {"webhook-id": "msg_1"}, 5)
        assert (outcome.http_status, outcome.delivered, outcome.retryable) == (302, False, False)
        assert SEEN == [("/moved", f"hooks.invalid:{port}", "msg_1")]  # /elsewhere never asked for
        ok = post(f"http://hooks.invalid:{port}/hook?a=1", "hooks.invalid", "127.0.0.1", port, b"{}", {}, 5)
        assert ok.delivered and SEEN[-1][0] == "/hook?a=1"


def test_a_refused_connection_and_a_silent_receiver_are_retryable_outcomes():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    refused = post(f"http://h.invalid:{port}/", "h.invalid", "127.0.0.1", port, b"{}", {}, 2)
    assert refused.error.startswith("Connection") and refused.retryable

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        port = silent.getsockname()[1]
        timed_out = post(f"http://h.invalid:{port}/", "h.invalid", "127.0.0.1", port, b"{}", {}, 0.3)
        assert timed_out.error == "Timeout" and timed_out.retryable
    finally:
        for connection, _ in accepted:
            connection.close()
        silent.close()

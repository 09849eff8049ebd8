"""The webhook worker's HTTP client: one POST to an address already checked, short timeouts, no redirects.

It connects to the IP address `webhooks/safety.py` approved (never resolving the name again), sends the
host name as Host and as TLS SNI, and verifies the certificate for that name. http.client follows no
redirect: a 3xx is an answer like any other. The response body is never read beyond the status line.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from messenger.webhooks.models import Outcome


class _PinnedHttps(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHttp(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, host: str, address: str, port: int, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHttps if parts.scheme == "https" else _PinnedHttp
    connection = kind(host, address, port, timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except TimeoutError:
        return Outcome(error="Timeout")
    except ssl.SSLError as error:
        return Outcome(error=f"TLS: {type(error).__name__}")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(error=f"Connection: {type(error).__name__}")
    finally:
        connection.close()
    return Outcome(http_status=status)

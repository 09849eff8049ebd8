"""The handlers' calls to the local GraphQL endpoint, answered in the same process.

Every status change publishes `publishMessageUpdate` with a SigV4-signed POST (messenger.adapters.appsync).
Sent over a socket to this very process, each one cost a TCP connection, an HTTP round trip and a hop
through the server's thread pool, several times per send. Here a request for the endpoint's own URL is
handed to the endpoint directly: the same bytes, the same headers (Host as urllib would add it), the same
signature check and the same answers, HTTP errors included. Any other URL goes out over the network.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import Message
from urllib.parse import urlsplit

from local.http import LOOPBACK, Request, Response


class _Answer(io.BytesIO):
    """What urlopen returns, as far as a caller reading a body uses it."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.body)
        self.status = response.status
        self.headers = _headers(response)


def _headers(response: Response) -> Message:
    headers = Message()
    for name, value in response.headers.items():
        headers[name] = value
    return headers


class InProcessEndpoint:
    """A drop-in for urllib's urlopen that answers `url` with `serve` (the endpoint's route handler)."""

    def __init__(self, url: str, serve: Callable[[Request], Response], fallback=urllib.request.urlopen) -> None:
        self._url = url
        self._serve = serve
        self._fallback = fallback

    def __call__(self, request, data=None, timeout=None, **kwargs):
        if not isinstance(request, urllib.request.Request) or request.full_url != self._url or data is not None:
            return self._fallback(request, data, timeout, **kwargs) if timeout else self._fallback(request, data, **kwargs)
        url = urlsplit(request.full_url)
        headers = {name.lower(): value for name, value in request.header_items()}
        headers.setdefault("host", url.netloc)
        body = request.data if isinstance(request.data, bytes) else b""
        response = self._serve(Request(request.get_method(), url.path, url.query, headers, body, LOOPBACK))
        if response.status >= 400:
            raise urllib.error.HTTPError(self._url, response.status, "", _headers(response), io.BytesIO(response.body))
        return _Answer(response)


def route_handlers_in_process(url: str, serve: Callable[[Request], Response]) -> None:
    """Every handler's AppSync call to `url` from now on is answered in-process."""
    from messenger.adapters import appsync

    appsync.urlopen = InProcessEndpoint(url, serve, appsync.urlopen)

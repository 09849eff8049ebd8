"""The GraphQL request a resolver call belongs to.

AppSync calls the Lambda once per field, so the aliases of one request (`a: sendMessage(...) b:
sendMessage(...)`) arrive as separate invocations, possibly on separate instances. What they share
is the request's X-Ray trace header, which the resolver forwards (stacks/resolvers/lambda_envelope.js):
its `Root` identifies the request. The API handler binds it for the duration of one call.
"""

from __future__ import annotations

from contextvars import ContextVar

_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
MAX_REQUEST_ID_LENGTH = 128


def request_id_of(event: dict) -> str | None:
    """The trace header's Root (`Root=1-5f..-..;Parent=..;Sampled=1`), or None when absent."""
    headers = (event.get("request") or {}).get("headers") or {}
    header = headers.get("x-amzn-trace-id")
    if not isinstance(header, str):
        return None
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "Root" and 0 < len(value) <= MAX_REQUEST_ID_LENGTH:
            return value
    return None


def bind(event: dict):
    """Bind the event's request id; returns the token `unbind` takes."""
    return _REQUEST_ID.set(request_id_of(event))


def unbind(token) -> None:
    _REQUEST_ID.reset(token)


def current_request_id() -> str | None:
    return _REQUEST_ID.get()

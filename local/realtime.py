"""AppSync's real-time WebSocket protocol on the local endpoint's own URL, upgraded.

`ws://127.0.0.1:<LOCAL_PORT>/graphql?header=<base64 JSON {"host", "x-api-key"}>&payload=e30=`,
subprotocol `graphql-ws` (AppSync's dialect, not the graphql-ws library's):

  client connection_init            -> connection_ack {connectionTimeoutMs}, then `ka` every KA_SECONDS
  client start {id, payload: {data: "<JSON query, variables>", extensions: {authorization: {...}}}}
                                    -> start_ack {id}, then `data` {id, payload: {data}} per matching publish
                                    -> or error {id, payload: {errors: [...]}} (refused subscription)
  client stop {id}                  -> complete {id}

A missing or wrong x-api-key (in `header`, or in a start's authorization) is answered with
connection_error / error carrying AppSync's UnauthorizedException, and the connection is closed.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from local.http import Request, WebSocket
from local.subscriptions import SubscriptionHub, SubscriptionRefused

PROTOCOL = "graphql-ws"
KA_SECONDS = 10.0  # AppSync sends `ka` about every minute; sooner here, the client does not mind
CONNECTION_TIMEOUT_MS = 300_000
NO_KEY = "Valid authorization header not provided."
WRONG_KEY = "You are not authorized to make this call."
log = logging.getLogger(__name__)


def _unauthorized(message: str) -> dict[str, Any]:
    return {"errorType": "UnauthorizedException", "message": message, "errorCode": 401}


def header_of(request: Request) -> dict[str, Any]:
    """The `header` query parameter's JSON (base64, standard or URL-safe); {} when absent or unreadable."""
    values = parse_qs(request.query).get("header")
    if not values:
        return {}
    raw = values[0] + "=" * (-len(values[0]) % 4)
    try:
        decoded = json.loads(base64.b64decode(raw.replace("-", "+").replace("_", "/")))
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


@dataclass
class RealtimeEndpoint:
    api_key: str
    hub: SubscriptionHub
    accepts: Callable[[str], bool] | None = None  # as GraphqlEndpoint.accepts

    def key_error(self, authorization: Any) -> str | None:
        key = authorization.get("x-api-key") if isinstance(authorization, dict) else None
        if not isinstance(key, str) or not key.strip():
            return NO_KEY
        if self.accepts is not None:
            return None if self.accepts(key.strip()) else WRONG_KEY
        return None if hmac.compare_digest(key.strip().encode(), self.api_key.encode()) else WRONG_KEY

    def handle(self, request: Request, ws: WebSocket) -> None:
        lock = threading.Lock()

        def send(message: dict[str, Any]) -> None:
            with lock:
                ws.send(json.dumps(message, separators=(",", ":")))

        handles: dict[str, int] = {}
        try:
            self._serve(request, ws, send, handles)
        finally:
            for handle in handles.values():
                self.hub.unsubscribe(handle)

    def _serve(self, request: Request, ws: WebSocket, send, handles: dict[str, int]) -> None:
        problem = self.key_error(header_of(request))
        acknowledged = False
        while True:
            try:
                raw = ws.receive(timeout=KA_SECONDS)
            except TimeoutError:
                if acknowledged:
                    send({"type": "ka"})
                continue
            if raw is None:
                return
            try:
                message = json.loads(raw)
                kind = message.get("type")
            except (ValueError, AttributeError):
                send({"type": "error", "payload": {"errors": [{"errorType": "MalformedMessage", "message": "Not JSON"}]}})
                continue
            if kind == "connection_init":
                if problem:
                    send({"type": "connection_error", "payload": {"errors": [_unauthorized(problem)]}})
                    ws.close()
                    return
                acknowledged = True
                send({"type": "connection_ack", "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS}})
                send({"type": "ka"})
            elif not acknowledged:
                send({"type": "error", "payload": {"errors": [{"errorType": "ProtocolError",
                                                               "message": "connection_init first"}]}})  # fmt: skip
            elif kind == "start":
                self._start(message, send, handles)
            elif kind == "stop":
                handle = handles.pop(str(message.get("id")), None)
                if handle is not None:
                    self.hub.unsubscribe(handle)
                send({"type": "complete", "id": message.get("id")})

    def _start(self, message: dict[str, Any], send, handles: dict[str, int]) -> None:
        sub_id = str(message.get("id") or "")
        payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
        extensions = payload.get("extensions") if isinstance(payload.get("extensions"), dict) else {}
        problem = self.key_error(extensions.get("authorization"))
        if problem:
            send({"type": "error", "id": sub_id, "payload": {"errors": [_unauthorized(problem)]}})
            return
        if not sub_id or sub_id in handles:
            send({"type": "error", "id": sub_id, "payload": {"errors": [{"errorType": "DuplicatedOperation",
                                                                         "message": "Missing or repeated id"}]}})  # fmt: skip
            return
        try:
            request = json.loads(payload.get("data") or "")
            query = request["query"]
            variables = request.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            send({"type": "error", "id": sub_id, "payload": {"errors": [{"errorType": "BadRequest",
                                                                         "message": "Unable to parse GraphQL query."}]}})  # fmt: skip
            return

        def deliver(data: dict[str, Any]) -> None:
            send({"type": "data", "id": sub_id, "payload": data})

        try:
            handles[sub_id] = self.hub.subscribe(query, variables, request.get("operationName"), deliver)
        except SubscriptionRefused as refused:
            send({"type": "error", "id": sub_id, "payload": {"errors": refused.errors}})
            return
        send({"type": "start_ack", "id": sub_id})

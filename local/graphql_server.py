"""The local GraphQL endpoint: `POST /graphql` behind an API key (or, for the IAM-only publish
mutation, a SigV4 signature made with the handlers' credentials: local/iam.py), the real-time
WebSocket protocol on the same URL upgraded (local/realtime.py), and `GET /local/health`.

CORS as AppSync answers it: any origin may call /graphql (the key is what protects it). A preflight
(OPTIONS) gets 200 with no body, the methods and headers a client may send (x-api-key among them) and
a 48-hour max-age; every other answer, errors included, carries `Access-Control-Allow-Origin: *` and
the response headers a script may read.

/local/* needs no API key: the server listens on 127.0.0.1 only and these routes exist for the
developer and the tests. The other /local/* routes are registered by the components they describe.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from local import iam
from local.appsync import API_KEY, AWS_IAM, MAX_REQUEST_BYTES, AppSyncApi
from local.http import LocalHttpServer, Request, Response, json_response
from local.realtime import PROTOCOL, RealtimeEndpoint

GRAPHQL_PATH = "/graphql"
HEALTH_PATH = "/local/health"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId,x-amzn-ErrorType,x-amz-user-agent,x-amzn-ErrorMessage,Date",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    "Access-Control-Allow-Headers": (
        "authorization,content-type,x-amz-date,x-amz-security-token,x-amz-user-agent,x-api-key,x-amzn-trace-id"
    ),
    "Access-Control-Max-Age": "172800",
}


@dataclass
class GraphqlEndpoint:
    api_key: str
    appsync: AppSyncApi
    # (access key, secret key) a publish must be signed with: the handlers' own.
    iam_credentials: tuple[str, str] | None = None
    realtime: RealtimeEndpoint | None = None
    # Whether a key is one of the API's (local/api_keys.py: moto's AppSync keys, created at runtime
    # too); None: only `api_key`.
    accepts: Callable[[str], bool] | None = None

    def add_routes(self, server: LocalHttpServer) -> None:
        server.add_route("*", GRAPHQL_PATH, self._handle)
        if self.realtime is not None:
            server.add_websocket(GRAPHQL_PATH, self.realtime.handle, protocols=(PROTOCOL,))
        # The server starts after everything else, so any answer here means all is up.
        server.add_get(HEALTH_PATH, lambda _: json_response(200, {"status": "ok"}))

    def _handle(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(200, b"", dict(PREFLIGHT_HEADERS))
        if request.method != "POST":
            response = _appsync_error(405, "MalformedHttpRequestException", "Only POST is supported locally.")
        else:
            response = self._graphql(request)
        response.headers.update(CORS_HEADERS)
        return response

    def _accepts(self, key: str) -> bool:
        if self.accepts is not None:
            return self.accepts(key)
        return hmac.compare_digest(key.encode(), self.api_key.encode())

    def _authorize(self, request: Request) -> tuple[str | None, Response | None]:
        """(the auth mode, or the 401 answer)."""
        if iam.is_sigv4(request):
            if self.iam_credentials and iam.signed_by(request, *self.iam_credentials):
                return AWS_IAM, None
            return None, _appsync_error(401, "UnauthorizedException", "You are not authorized to make this call.")
        key = request.headers.get("x-api-key", "").strip()
        if not key:
            return None, _appsync_error(401, "UnauthorizedException", "Valid authorization header not provided.")
        if not self._accepts(key):
            return None, _appsync_error(401, "UnauthorizedException", "You are not authorized to make this call.")
        return API_KEY, None

    def _graphql(self, request: Request) -> Response:
        auth, refused = self._authorize(request)
        if refused is not None:
            return refused
        if request.body is None:
            return _appsync_error(
                413, "PayloadTooLargeException", f"Request body exceeds the limit of {MAX_REQUEST_BYTES} bytes."
            )
        if not request.body.strip():
            return _appsync_error(400, "MalformedHttpRequestException", "Request body is empty.")
        try:
            payload = json.loads(request.body)
        except ValueError:
            payload = None
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("query"), str)
            and isinstance(payload.get("variables") or {}, dict)
            and isinstance(payload.get("operationName") or "", str)
        ):
            return _appsync_error(400, "MalformedHttpRequestException", "Unable to parse GraphQL query.")
        body = self.appsync.execute(
            payload["query"],
            payload.get("variables"),
            payload.get("operationName"),
            trace_id=request.headers.get("x-amzn-trace-id"),
            auth=auth or API_KEY,
            api_key=request.headers.get("x-api-key", "").strip() or None if auth == API_KEY else None,
        )
        return json_response(200, body, {"x-amzn-RequestId": str(uuid.uuid4())})


def _appsync_error(status: int, error_type: str, message: str) -> Response:
    return json_response(status, {"errors": [{"errorType": error_type, "message": message}]})

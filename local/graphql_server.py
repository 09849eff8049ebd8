"""The local endpoint: `POST /graphql` behind an API key, plus the loopback-only /local/* dev routes.

/local/* needs no API key: the server listens on 127.0.0.1 only and these routes exist for the
developer and the tests (outbox, DLQ, stand-in statistics), plus the delivery-report function URL.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.appsync import MAX_REQUEST_BYTES, AppSyncApi
from local.function_url import invoke_function_url
from local.http import Request, Response, json_response
from local.lambda_runtime import LambdaFunction

DELIVERY_REPORTS_PREFIX = "/local/delivery-reports"


@dataclass
class LocalRoutes:
    api_key: str
    appsync: AppSyncApi
    delivery_reports: LambdaFunction
    domain: str
    dev_routes: dict[str, Callable[[], Any]]  # GET /local/<name> -> JSON payload

    def __call__(self, request: Request) -> Response:
        if request.path == "/graphql":
            if request.method != "POST":
                return _appsync_error(405, "MalformedHttpRequestException", "Only POST is supported locally.")
            return self._graphql(request)
        if request.path.startswith(DELIVERY_REPORTS_PREFIX + "/"):
            raw_path = request.path[len(DELIVERY_REPORTS_PREFIX) :]
            return invoke_function_url(self.delivery_reports, request, raw_path, self.domain)
        route = self.dev_routes.get(request.path)
        if route is None or request.method != "GET":
            return json_response(404, {"message": "Not Found"})
        return json_response(200, route())

    def _graphql(self, request: Request) -> Response:
        key = request.headers.get("x-api-key", "").strip()
        if not key:
            return _appsync_error(401, "UnauthorizedException", "Valid authorization header not provided.")
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return _appsync_error(401, "UnauthorizedException", "You are not authorized to make this call.")
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
        )
        return json_response(200, body, {"x-amzn-RequestId": str(uuid.uuid4())})


def _appsync_error(status: int, error_type: str, message: str) -> Response:
    return json_response(status, {"errors": [{"errorType": error_type, "message": message}]})

"""A Lambda Function URL in front of a handler: HTTP request -> payload v2.0 event -> HTTP response.

Every wiring function with `function_url=True` is mounted at `/local/<name, '_' -> '-'>/`: the rest of
the path is the function URL's `rawPath` (delivery_reports: `/local/delivery-reports/reports/<token>`).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from local.http import LOOPBACK, App, LocalHttpServer, Request, Response, json_response
from local.lambda_runtime import LambdaFunction
from stacks.wiring import FunctionSpec

log = logging.getLogger(__name__)


def function_url_event(request: Request, raw_path: str, domain: str) -> dict[str, Any]:
    body = request.body or b""
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    now = dt.datetime.now(dt.timezone.utc)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": request.query,
        "headers": dict(request.headers),
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.client_ip,
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if text:
        event["body"] = text
    if request.query:
        event["queryStringParameters"] = {name: ",".join(v) for name, v in parse_qs(request.query).items()}
    return event


def invoke_function_url(function: LambdaFunction, request: Request, raw_path: str, domain: str) -> Response:
    try:
        result = function.invoke(function_url_event(request, raw_path, domain))
    except Exception:  # noqa: BLE001 - Lambda answers a failed invocation with 502
        log.exception("%s raised behind its function URL", function.spec.name)
        return json_response(502, {"Message": "Internal Server Error"})
    if not (isinstance(result, dict) and "statusCode" in result):
        return json_response(200, result)  # Function URLs turn any other result into a JSON body
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    headers = {str(name): str(value) for name, value in (result.get("headers") or {}).items()}
    return Response(int(result["statusCode"]), data, headers)



def function_url_path(function_name: str) -> str:
    """Where a function's URL is mounted locally."""
    return "/local/" + function_name.replace("_", "-")


def mount_function_urls(
    server: LocalHttpServer, specs: Iterable[FunctionSpec], functions: dict[str, LambdaFunction]
) -> None:
    """Every function with a function URL in the wiring, each at its `function_url_path`."""
    domain = f"{LOOPBACK}:{server.port}"
    for spec in specs:
        if spec.function_url:
            prefix = function_url_path(spec.name)
            server.add_prefix(prefix, _function_url_route(functions[spec.name], prefix, domain))


def _function_url_route(function: LambdaFunction, prefix: str, domain: str) -> App:
    return lambda request: invoke_function_url(function, request, request.path[len(prefix) :], domain)

"""Africa's Talking's delivery-report callback, behind a Lambda function URL.

AT does not sign its callbacks, so the URL carries a secret token (`/reports/<token>`), compared in
constant time; a wrong token gets 403 and changes nothing. A function URL answers in HTTP statuses,
so this handler maps its own errors (400, 403, 405) instead of using the GraphQL envelope. The token lives in Secrets Manager and is
read through a short cache, so replacing it needs no redeploy; during a rotation the secret holds
the new token and the old one with the end of its grace period (delivery_reports/tokens.py).
"""

from __future__ import annotations

import base64
import hmac
from functools import cache
from urllib.parse import parse_qs

from messenger.core.errors import BadRequest
from messenger.core.observability import logger, metrics, traced
from messenger.core.settings import settings

settings()
PATH_PREFIX = "/reports/"
MAX_BODY_BYTES = 16_384


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.messages.dal import MessagesTable

    return MessagesTable(client("dynamodb"), settings().table_name)


def _response(status: int, text: str) -> dict:
    return {"statusCode": status, "headers": {"content-type": "text/plain"}, "body": text}


def _token_ok(path: str) -> bool:
    from messenger.adapters.secrets import CachedSecrets
    from messenger.core.clock import SystemClock
    from messenger.delivery_reports.tokens import accepted_tokens

    name = settings().get("report_token_secret_name")
    if not name or not path.startswith(PATH_PREFIX):
        return False
    given = path[len(PATH_PREFIX):].encode()
    secret = CachedSecrets(settings().report_token_max_age_seconds).text(name)
    matches = [hmac.compare_digest(given, token.encode()) for token in accepted_tokens(secret, SystemClock().now())]
    return any(matches)  # every accepted token compared, in constant time each


def _form(event: dict) -> dict[str, str]:
    body = event.get("body") or ""
    # Checked before decoding or parsing anything: base64 grows a body by a third.
    if len(body) > (MAX_BODY_BYTES * 4 // 3 + 4 if event.get("isBase64Encoded") else MAX_BODY_BYTES):
        raise BadRequest("body", "too large")
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest("body", "too large")
    try:
        fields = parse_qs(raw.decode("utf-8"), strict_parsing=True, max_num_fields=50)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body", "not a form") from None
    return {key: values[-1] for key, values in fields.items()}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    from messenger.core.clock import SystemClock
    from messenger.delivery_reports.logic import apply_report, parse_report
    from messenger.messages.dependencies import status_listeners

    method = event.get("requestContext", {}).get("http", {}).get("method", "")
    if not _token_ok(event.get("rawPath", "")):
        logger.warning("delivery report with a wrong token refused")
        return _response(403, "Forbidden")
    if method != "POST":
        return _response(405, "Method Not Allowed")
    try:
        report = parse_report(_form(event))
    except BadRequest as error:
        return _response(400, error.message)
    outcome = apply_report(table(), SystemClock(), report, status_listeners())
    return _response(200, outcome)

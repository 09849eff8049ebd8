"""Africa's Talking's callbacks, behind a Lambda function URL: delivery reports, incoming messages, opt-outs.

AT does not sign its callbacks, so the URL carries a secret token (`/reports/<token>` for delivery
reports, `/inbound/<token>` for incoming messages, `/opt-out/<token>` for bulk opt-out notices),
compared in constant time; a wrong token gets 403 and changes nothing. Incoming messages and opt-outs
are checked here (400 when unreadable) and put on the inbound queue as they came; the inbound worker
records and acts on them (messenger/inbound). A function URL answers in HTTP statuses,
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
INBOUND_PREFIX = "/inbound/"
OPT_OUT_PREFIX = "/opt-out/"
PREFIXES = (PATH_PREFIX, INBOUND_PREFIX, OPT_OUT_PREFIX)
MAX_BODY_BYTES = 16_384


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.messages.dal import MessagesTable

    return MessagesTable(client("dynamodb"), settings().table_name)


def _response(status: int, text: str) -> dict:
    return {"statusCode": status, "headers": {"content-type": "text/plain"}, "body": text}


def _callback_of(path: str) -> str | None:
    return next((prefix for prefix in PREFIXES if path.startswith(prefix)), None)


def _token_ok(path: str) -> bool:
    from messenger.adapters.secrets import CachedSecrets
    from messenger.core.clock import SystemClock
    from messenger.delivery_reports.tokens import accepted_tokens

    name = settings().get("report_token_secret_name")
    prefix = _callback_of(path)
    if not name or prefix is None:
        return False
    given = path[len(prefix):].encode()
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


@cache
def callback_queue():
    from messenger.adapters.aws import client
    from messenger.adapters.queue import SqsCallbackQueue

    return SqsCallbackQueue(client("sqs"), settings().inbound_queue_url)


def _inbound(event: dict, kind: str) -> dict:
    """Checked as the inbound worker will read it, then queued as it came; AT gets its 200 at once."""
    from messenger.core.clock import SystemClock
    from messenger.inbound.validation import parse_at_inbound, parse_at_opt_out

    now = SystemClock().now()
    try:
        form = _form(event)
        parse_at_inbound(form, now) if kind == "inbound" else parse_at_opt_out(form)
    except BadRequest as error:
        return _response(400, error.message)
    callback_queue().put("AFRICASTALKING", kind, form, now)
    return _response(200, "queued")


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
    prefix = _callback_of(event.get("rawPath", ""))
    if prefix != PATH_PREFIX:
        return _inbound(event, "inbound" if prefix == INBOUND_PREFIX else "opt-out")
    try:
        report = parse_report(_form(event))
    except BadRequest as error:
        return _response(400, error.message)
    outcome = apply_report(table(), SystemClock(), report, status_listeners())
    return _response(200, outcome)

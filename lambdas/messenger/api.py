"""The AppSync direct Lambda resolver for sendMessage and getMessages.

Dispatch is a table keyed by (parent type, field): Powertools' AppSyncResolver would do the same
at ~0.15 s of extra import on every cold start, and its errors must be caught here anyway to
answer with an envelope (see handlers/errors.py).
"""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths

from messenger.core.envelope import data_envelope, error_envelope
from messenger.core.observability import logger, metrics, traced
from messenger.core.errors import BadRequest
from messenger.core.settings import settings

settings()  # a missing or wrong setting fails the cold start, not the first request


def send_message(arguments: dict) -> dict:
    from messenger.sending.dependencies import message_service

    return message_service().send(arguments.get("input")).to_graphql()


def get_messages(arguments: dict) -> dict:
    from messenger.sending.dependencies import message_service

    return message_service().page(arguments).to_graphql()


RESOLVERS = {
    ("Mutation", "sendMessage"): send_message,
    ("Query", "getMessages"): get_messages,
}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.APPSYNC_RESOLVER, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict, context) -> dict:
    info = event.get("info") or {}
    field = (info.get("parentTypeName"), info.get("fieldName"))
    logger.append_keys(resolver=field[1])
    try:
        resolver = RESOLVERS.get(field)
        if resolver is None:
            raise BadRequest("field", f"{field[0]}.{field[1]} is not resolved here")
        return data_envelope(resolver(event.get("arguments") or {}))
    except Exception as error:  # noqa: BLE001 - the envelope is how every error leaves
        return error_envelope(error, logger)

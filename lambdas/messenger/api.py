"""The AppSync direct Lambda resolver: one function for every field the wiring routes to it.

Each domain resolves its fields with a Router (core/router.py); the wiring tells this function which
routers to serve (`API_ROUTERS`, module names), so adding a domain's fields is a wiring change, not
an edit here. Before any resolver runs, the caller is identified from its x-api-key and the field's
scope checked (messenger/clients/access.py). Routing is a table keyed by (parent type, field):
Powertools' AppSyncResolver would do the same at ~0.15 s of extra import on every cold start, and its
errors must be caught here anyway to answer with an envelope (see core/envelope.py).
"""

from __future__ import annotations

import importlib

from aws_lambda_powertools.logging import correlation_paths

from messenger.clients.access import authorize
from messenger.core.caller import acting_as
from messenger.core.envelope import data_envelope, error_envelope
from messenger.core.errors import BadRequest
from messenger.core.observability import logger, metrics, traced
from messenger.core.router import compose
from messenger.core.settings import settings

# A missing or wrong setting, or a router that does not import, fails the cold start, not a request.
RESOLVERS = compose(importlib.import_module(name).router for name in settings().api_routers)


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
        # Who is calling, and may they call this field (the key itself is never logged).
        caller = authorize(event, *field)
        logger.append_keys(clientId=caller.client_id)
        with acting_as(caller):
            return data_envelope(resolver(event.get("arguments") or {}))
    except Exception as error:  # noqa: BLE001 - the envelope is how every error leaves
        return error_envelope(error, logger)

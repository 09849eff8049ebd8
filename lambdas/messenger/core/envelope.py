"""The one place where an exception becomes what a client sees.

A resolver answers with an envelope, never by raising: `{"data": ...}` or
`{"error": {"type", "message", "info"}}`. The AppSync JS response handler (and the local runner,
which mirrors it) turns an error envelope into a GraphQL error with that `errorType`, so a client can
tell its own mistake (BadRequest, Conflict) from ours (InternalError). Internals never
reach the client: unexpected errors are logged here with their traceback and answered generically.
"""

from __future__ import annotations

from messenger.core.errors import MessagingError

INTERNAL_MESSAGE = "Internal error: the request could not be completed"


def data_envelope(value) -> dict:
    return {"data": value}


def error_envelope(error: Exception, logger) -> dict:
    if isinstance(error, MessagingError) and error.error_type != "InternalError":
        logger.info("client error", extra={"errorType": error.error_type, "field": (error.info or {}).get("field")})
        return {"error": {"type": error.error_type, "message": error.message, "info": error.info}}
    logger.exception("unexpected error")
    return {"error": {"type": "InternalError", "message": INTERNAL_MESSAGE, "info": None}}

"""The API function's gate: who is calling (from the event's x-api-key) and may they call this field.

`caller_of(event)` is the one way to learn the calling client from an AppSync event: its id, scopes
and whether it is a TEST client (a `messenger.core.caller.Caller`). Inside a resolver, use
`messenger.core.caller.current_caller()`, which the API function binds for the call.

Each field's scope is declared beside the domain's fields (`ApiPart.scopes` in stacks/domains/) and
reaches the function as the `field_scopes` setting; a field without one cannot be wired.
"""

from __future__ import annotations

from messenger.clients.models import Forbidden, Unauthorized
from messenger.core.caller import Caller
from messenger.core.settings import settings

API_KEY_HEADER = "x-api-key"


def api_key_of(event: dict) -> str | None:
    headers = (event.get("request") or {}).get("headers") or {}
    key = headers.get(API_KEY_HEADER)
    return key.strip() if isinstance(key, str) else None


def caller_of(event: dict) -> Caller:
    """The calling client; raises Unauthorized (errorType UnauthorizedException) for a key not accepted."""
    from messenger.clients.dependencies import client_service

    return client_service().identify(api_key_of(event))


def required_scope(parent: str, field: str) -> str | None:
    return settings().field_scopes.get(f"{parent}.{field}")


def authorize(event: dict, parent: str, field: str) -> Caller:
    """The caller, if it holds the scope the field needs; Forbidden naming that scope otherwise."""
    caller = caller_of(event)
    scope = required_scope(parent, field)
    if scope is None:
        raise Unauthorized()  # a field with no declared scope is nobody's (the wiring forbids it anyway)
    if not caller.holds(scope):
        raise Forbidden(field, scope)
    return caller

"""The sending domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()

# INTEGRATOR: the calling client's id and whether its key is a TEST key come from the clients
# domain (per-client API keys); until then every send counts against the one "default" client.
DEFAULT_CLIENT_ID = "default"


@router.mutation("sendMessage")
def send_message(arguments: dict) -> dict:
    from messenger.core.request import current_request_id
    from messenger.sending.dependencies import message_service

    return message_service().send(
        arguments.get("input"), client_id=DEFAULT_CLIENT_ID, request_id=current_request_id(), test=False
    ).to_graphql()

"""The sending domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


@router.mutation("sendMessage")
def send_message(arguments: dict) -> dict:
    from messenger.core.caller import current_caller
    from messenger.sending.dependencies import message_service

    return message_service().send(arguments.get("input"), current_caller()).to_graphql()

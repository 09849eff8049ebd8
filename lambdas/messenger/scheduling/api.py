"""The scheduling domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


@router.mutation("cancelMessage")
def cancel_message(arguments: dict) -> dict:
    from messenger.scheduling.dependencies import scheduled_sends

    return scheduled_sends().cancel(arguments.get("id")).to_graphql()

"""The messages domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


@router.query("getMessages")
def get_messages(arguments: dict) -> dict:
    from messenger.messages.dependencies import history

    return history().page(arguments).to_graphql()


@router.query("getMessage")
def get_message(arguments: dict) -> dict | None:
    from messenger.messages.dependencies import history

    found = history().message(arguments)
    return found.to_graphql() if found else None

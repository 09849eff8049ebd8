"""The erasure domain's GraphQL field (ADMIN)."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


@router.mutation("eraseRecipient")
def erase_recipient(arguments: dict) -> dict:
    from messenger.erasure.dependencies import table
    from messenger.erasure.logic import erase
    from messenger.suppressions.dependencies import table as suppressions

    return erase(table(), suppressions(), arguments).to_graphql()

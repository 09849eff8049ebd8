"""The suppressions domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


@router.query("getSuppressions")
def get_suppressions(arguments: dict) -> dict:
    from messenger.suppressions.dependencies import table
    from messenger.suppressions.logic import page

    return page(table(), arguments)


@router.mutation("removeSuppression")
def remove_suppression(arguments: dict) -> bool:
    from messenger.suppressions.dependencies import table
    from messenger.suppressions.logic import remove

    return remove(table(), arguments)

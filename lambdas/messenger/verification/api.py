"""The verification domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


def _service():
    from messenger.verification.dependencies import verification_service

    return verification_service()


@router.mutation("startVerification")
def start_verification(arguments: dict) -> dict:
    from messenger.core.caller import refuse_test_caller

    refuse_test_caller("input", "the code would really be sent")
    return _service().start(arguments.get("input"))


@router.mutation("checkVerification")
def check_verification(arguments: dict) -> dict:
    return _service().check(arguments.get("input"))

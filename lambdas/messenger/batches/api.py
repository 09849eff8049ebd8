"""The batches domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


def _service():
    from messenger.batches.dependencies import batch_service

    return batch_service()


def _live_caller_only() -> None:
    from messenger.core.caller import refuse_test_caller

    refuse_test_caller("input", "a batch's rows go to the real providers (use sendMessage)")


def _client_id() -> str | None:
    from messenger.core.caller import current_caller

    caller = current_caller()
    return caller.client_id if caller is not None else None


@router.mutation("sendBatch")
def send_batch(arguments: dict) -> dict:
    from messenger.core.request import current_request_id

    _live_caller_only()
    return _service().send(arguments.get("input"), _client_id(), current_request_id()).to_graphql()


@router.mutation("createBatchUpload")
def create_batch_upload(arguments: dict) -> dict:
    _live_caller_only()
    return _service().create_upload(arguments.get("input"), _client_id()).to_graphql()


@router.mutation("cancelBatch")
def cancel_batch(arguments: dict) -> dict:
    return _service().cancel(arguments.get("id"), _client_id()).to_graphql()


@router.query("getBatch")
def get_batch(arguments: dict) -> dict | None:
    found = _service().get(arguments)
    return found.to_graphql() if found else None


@router.query("getBatches")
def get_batches(arguments: dict) -> dict:
    return _service().page(arguments)

"""The batches domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


def _service():
    from messenger.batches.dependencies import batch_service

    return batch_service()


def _live_caller_only() -> None:
    """A TEST client's sends are simulated in the request, one by one (sendMessage); a batch's rows go
    through the dispatch worker to the real providers, so a TEST key may not start one."""
    from messenger.core.caller import current_caller
    from messenger.core.errors import BadRequest

    caller = current_caller()
    if caller is not None and caller.test:
        raise BadRequest("input", "batches are not available with a TEST key (use sendMessage)")


@router.mutation("sendBatch")
def send_batch(arguments: dict) -> dict:
    _live_caller_only()
    return _service().send(arguments.get("input")).to_graphql()


@router.mutation("createBatchUpload")
def create_batch_upload(arguments: dict) -> dict:
    _live_caller_only()
    return _service().create_upload(arguments.get("input")).to_graphql()


@router.query("getBatch")
def get_batch(arguments: dict) -> dict | None:
    found = _service().get(arguments)
    return found.to_graphql() if found else None


@router.query("getBatches")
def get_batches(arguments: dict) -> dict:
    return _service().page(arguments)

"""The webhooks domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


def _service():
    from messenger.webhooks.dependencies import service

    return service()


def _owner() -> str | None:
    """The calling client: a webhook is its client's (README, "Webhooks")."""
    from messenger.core.caller import current_caller

    caller = current_caller()
    return caller.client_id if caller else None


def _reads_history() -> bool:
    """Whether the caller may read every history (READ), inbound SMS included: MESSAGE_INBOUND needs it."""
    from messenger.core.caller import READ, current_caller

    caller = current_caller()
    return caller is None or caller.holds(READ)


@router.mutation("createWebhook")
def create_webhook(arguments: dict) -> dict:
    return _service().create(arguments, _owner(), _reads_history())


@router.query("getWebhooks")
def get_webhooks(arguments: dict) -> list:
    return _service().list(_owner())


@router.mutation("deleteWebhook")
def delete_webhook(arguments: dict) -> bool:
    return _service().delete(arguments, _owner())


@router.mutation("rotateWebhookSecret")
def rotate_webhook_secret(arguments: dict) -> dict:
    return _service().rotate(arguments, _owner())


@router.mutation("enableWebhook")
def enable_webhook(arguments: dict) -> dict:
    return _service().enable(arguments, _owner())


@router.query("getWebhookDeliveries")
def get_webhook_deliveries(arguments: dict) -> dict:
    return _service().deliveries(arguments, _owner())

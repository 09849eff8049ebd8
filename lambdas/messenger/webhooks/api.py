"""The webhooks domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


def _service():
    from messenger.webhooks.dependencies import service

    return service()


@router.mutation("createWebhook")
def create_webhook(arguments: dict) -> dict:
    return _service().create(arguments)


@router.query("getWebhooks")
def get_webhooks(arguments: dict) -> list:
    return _service().list()


@router.mutation("deleteWebhook")
def delete_webhook(arguments: dict) -> bool:
    return _service().delete(arguments)


@router.mutation("rotateWebhookSecret")
def rotate_webhook_secret(arguments: dict) -> dict:
    return _service().rotate(arguments)


@router.mutation("enableWebhook")
def enable_webhook(arguments: dict) -> dict:
    return _service().enable(arguments)


@router.query("getWebhookDeliveries")
def get_webhook_deliveries(arguments: dict) -> dict:
    return _service().deliveries(arguments)

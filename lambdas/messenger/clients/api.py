"""The clients domain's GraphQL fields (ADMIN)."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


@router.mutation("createApiClient")
def create_api_client(arguments: dict) -> dict:
    from messenger.clients.dependencies import client_service

    return client_service().create(arguments)


@router.query("getApiClients")
def get_api_clients(arguments: dict) -> dict:
    from messenger.clients.dependencies import client_service

    return client_service().page(arguments)


@router.mutation("rotateApiClientKey")
def rotate_api_client_key(arguments: dict) -> dict:
    from messenger.clients.dependencies import client_service

    return client_service().rotate(arguments)


@router.mutation("revokeApiClient")
def revoke_api_client(arguments: dict) -> dict:
    from messenger.clients.dependencies import client_service

    return client_service().revoke(arguments)

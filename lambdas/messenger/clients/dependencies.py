"""The clients domain's composition root, built on first use once per execution environment."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.clients.dal import ClientsTable

    return ClientsTable(client("dynamodb"), settings().table_name)


@cache
def api_keys():
    from messenger.adapters.appsync_keys import AppSyncKeys
    from messenger.adapters.aws import client

    return AppSyncKeys(client("appsync"), settings().graphql_api_id)


class _LazyKeys:
    """AppSync's client is built only when a key is issued, listed or deleted (rare), not per request."""

    def __getattr__(self, name):
        return getattr(api_keys(), name)


@cache
def client_service():
    from messenger.clients.logic import ClientService
    from messenger.core.clock import SystemClock

    config = settings()
    return ClientService(
        table(), _LazyKeys(), SystemClock(),
        cache_seconds=config.client_cache_seconds,
        grace_seconds=config.client_key_grace_seconds,
        key_valid_days=config.api_key_valid_days,
        stack_key_description=config.stack_key_description,
    )

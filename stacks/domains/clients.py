"""The clients domain: API clients with their own AppSync keys and scopes (lambdas/messenger/clients/).

Every API request is identified here before its resolver runs (one GetItem on the key's hash, cached
per instance); createApiClient, getApiClients, rotateApiClientKey and revokeApiClient manage them and
their AppSync keys (`api:keys`: the key actions on this API only). docs/security.md is the threat model.
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

CLIENT_SETTINGS = ("client_cache_seconds", "client_key_grace_seconds", "api_key_valid_days")


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="clients",
        api=w.ApiPart(
            router="messenger.clients.api",
            fields=(
                ("Mutation", "createApiClient"), ("Query", "getApiClients"),
                ("Mutation", "rotateApiClientKey"), ("Mutation", "revokeApiClient"),
            ),
            scopes={"createApiClient": w.ADMIN, "getApiClients": w.ADMIN,
                    "rotateApiClientKey": w.ADMIN, "revokeApiClient": w.ADMIN},  # fmt: skip
            # Get: the key lookup; Put: clients and keys (a transaction of puts); Update: rotation,
            # revocation, the stack key's registration; Delete: a revoked client's key entries.
            capabilities=frozenset({w.TABLE_GET, w.TABLE_QUERY, w.TABLE_PUT, w.TABLE_UPDATE, w.TABLE_DELETE,
                                    w.API_KEYS}),  # fmt: skip
            settings=CLIENT_SETTINGS,
            resource_env=(w.ENV_TABLE_NAME, w.ENV_GRAPHQL_API_ID),
            derived={"stack_key_description": w.stack_key_description(config)},
        ),
    )

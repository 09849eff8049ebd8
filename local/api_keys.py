"""The local API's keys: AppSync's control plane is moto's, so keys the clients domain creates, rotates
and deletes at runtime (through the same adapter as in AWS) are the keys the local endpoint accepts.

moto draws a 6-character id for every key; the stack's own key is re-keyed to LOCAL_API_KEY so the
documented default key keeps working (it is registered with every live scope on its first call, as the
stack's key is in AWS). A key is accepted while moto lists it and it has not expired.
"""

from __future__ import annotations

import datetime as dt
import hmac

import boto3

from local.lambda_runtime import ACCOUNT_ID

API_NAME_SUFFIX = "-api"


def create_api(region: str, name: str, stack_key: str, stack_key_description: str, expires: dt.datetime) -> str:
    """The GraphQL API in moto (its id goes to the handlers) with the stack's key under `stack_key`."""
    appsync = boto3.client("appsync", region_name=region)
    api_id = appsync.create_graphql_api(name=name, authenticationType="API_KEY")["graphqlApi"]["apiId"]
    drawn = appsync.create_api_key(apiId=api_id, description=stack_key_description,
                                   expires=int(expires.timestamp()))["apiKey"]["id"]  # fmt: skip
    keys = _keys(region, api_id)
    entry = keys.pop(drawn)
    entry.key_id = stack_key
    keys[stack_key] = entry
    return api_id


def _keys(region: str, api_id: str) -> dict:
    from moto.appsync.models import appsync_backends

    return appsync_backends[ACCOUNT_ID][region].graphql_apis[api_id].api_keys


class LocalApiKeys:
    def __init__(self, region: str, api_id: str) -> None:
        self._region = region
        self._api_id = api_id

    def accepts(self, key: str) -> bool:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        for entry in list(_keys(self._region, self._api_id).values()):
            expires = entry.expires
            if isinstance(expires, (int, float)):
                expires = dt.datetime.fromtimestamp(expires, dt.timezone.utc).replace(tzinfo=None)
            elif getattr(expires, "tzinfo", None) is not None:
                expires = expires.astimezone(dt.timezone.utc).replace(tzinfo=None)
            if hmac.compare_digest(entry.key_id.encode(), key.encode()) and (expires is None or expires > now):
                return True
        return False

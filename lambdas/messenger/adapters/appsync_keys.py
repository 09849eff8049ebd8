"""AppSync API keys of this API (the control plane): issue, list, shorten and delete.

An AppSync key's id IS the secret clients send as x-api-key: it is returned to the caller once and
never logged. The role may call these actions on this API's ARN only (stacks: `api:keys`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IssuedKey:
    key: str
    description: str
    expires: int  # epoch seconds

    def __repr__(self) -> str:  # never let a key reach a log through a repr
        return f"IssuedKey(key=***, description={self.description!r}, expires={self.expires})"


class AppSyncKeys:
    def __init__(self, client, api_id: str) -> None:
        self._appsync = client
        self._api_id = api_id

    def create(self, description: str, expires: int) -> IssuedKey:
        key = self._appsync.create_api_key(apiId=self._api_id, description=description, expires=expires)["apiKey"]
        return IssuedKey(key["id"], key.get("description", description), int(key["expires"]))

    def list(self) -> list[IssuedKey]:
        found, token = [], None
        while True:
            page = self._appsync.list_api_keys(apiId=self._api_id, **({"nextToken": token} if token else {}))
            found += [IssuedKey(k["id"], k.get("description") or "", int(k.get("expires") or 0)) for k in page["apiKeys"]]
            token = page.get("nextToken")
            if not token:
                return found

    def expire_at(self, key: str, expires: int) -> None:
        self._appsync.update_api_key(apiId=self._api_id, id=key, expires=expires)

    def delete(self, key: str) -> None:
        try:
            self._appsync.delete_api_key(apiId=self._api_id, id=key)
        except self._appsync.exceptions.NotFoundException:
            pass  # already gone: revoking twice is fine

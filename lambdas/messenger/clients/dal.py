"""API clients and their keys in the table.

Clients: PK "CLIENTS", SK "CLIENT#<id>" (name, scopes, status, createdAt, keyHashes). One partition:
a few dozen clients at most (AppSync allows 50 keys per API), listed with one Query per page.
Keys: PK = SK = "APIKEY#<sha256 of the key>" (clientId, scopes, validUntil once rotated out, expiresAt
for the TTL): the resolver's one GetItem per uncached request. The key itself is stored nowhere.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.clients.models import ACTIVE, REVOKED, STACK_CLIENT, ApiClient, KeyRecord
from messenger.core.caller import ALL_SCOPES
from messenger.messages.dal import is_condition_failure, partition_page

CLIENTS = "CLIENTS"
CLIENT_PREFIX = "CLIENT#"
KEY_PREFIX = "APIKEY#"


def _client_key(client_id: str) -> dict:
    return {"PK": {"S": CLIENTS}, "SK": {"S": CLIENT_PREFIX + client_id}}


def _key_key(key_hash: str) -> dict:
    return {"PK": {"S": KEY_PREFIX + key_hash}, "SK": {"S": KEY_PREFIX + key_hash}}


def _client(item: dict) -> ApiClient:
    return ApiClient(
        id=item["SK"]["S"][len(CLIENT_PREFIX):],
        name=item["name"]["S"],
        scopes=tuple(s["S"] for s in item["scopes"]["L"]),
        status=item["status"]["S"],
        created_at=item["createdAt"]["S"],
        key_hashes=tuple(sorted(item.get("keyHashes", {}).get("SS", []))),
        revoked_at=item.get("revokedAt", {}).get("S"),
    )


def _key_item(key_hash: str, client_id: str, scopes) -> dict:
    return {**_key_key(key_hash), "clientId": {"S": client_id}, "scopes": {"L": [{"S": s} for s in scopes]}}


class ClientsTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get_key(self, key_hash: str) -> KeyRecord | None:
        item = self._db.get_item(TableName=self._table, Key=_key_key(key_hash)).get("Item")
        if not item:
            return None
        until = item.get("validUntil", {}).get("N")
        return KeyRecord(key_hash, item["clientId"]["S"], tuple(s["S"] for s in item["scopes"]["L"]),
                         int(until) if until else None)  # fmt: skip

    def get_client(self, client_id: str) -> ApiClient | None:
        item = self._db.get_item(TableName=self._table, Key=_client_key(client_id), ConsistentRead=True).get("Item")
        return _client(item) if item else None

    def create(self, client: ApiClient, key_hash: str) -> None:
        """The client and its first key, together (a transaction of two puts)."""
        item = {
            **_client_key(client.id), "name": {"S": client.name}, "scopes": {"L": [{"S": s} for s in client.scopes]},
            "status": {"S": ACTIVE}, "createdAt": {"S": client.created_at}, "keyHashes": {"SS": [key_hash]},
        }  # fmt: skip
        self._db.transact_write_items(TransactItems=[
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self._table, "Item": _key_item(key_hash, client.id, client.scopes)}},
        ])  # fmt: skip

    def page(self, limit: int, after: str | None) -> tuple[list[ApiClient], bool]:
        items, cut_short = partition_page(
            self._db, self._table, CLIENTS, CLIENT_PREFIX, limit, _client_key(after) if after else None
        )
        return [_client(item) for item in items], cut_short

    def add_key(self, client: ApiClient, key_hash: str) -> bool:
        """A new key for an ACTIVE client (rotation); False when the client is not active any more."""
        self._db.put_item(TableName=self._table, Item=_key_item(key_hash, client.id, client.scopes))
        try:
            self._db.update_item(
                TableName=self._table, Key=_client_key(client.id), UpdateExpression="ADD keyHashes :h",
                ConditionExpression="#status = :active", ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":h": {"SS": [key_hash]}, ":active": {"S": ACTIVE}},
            )  # fmt: skip
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            self._db.delete_item(TableName=self._table, Key=_key_key(key_hash))
            return False
        return True

    def end_key(self, key_hash: str, valid_until: int, expires_at: int) -> bool:
        """A rotated-out key works until `valid_until`; a key already ending keeps its earlier end."""
        try:
            self._db.update_item(
                TableName=self._table, Key=_key_key(key_hash),
                UpdateExpression="SET validUntil = :until, expiresAt = :expires",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(validUntil)",
                ExpressionAttributeValues={":until": {"N": str(valid_until)}, ":expires": {"N": str(expires_at)}},
            )  # fmt: skip
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def revoke(self, client_id: str, now: str) -> ApiClient | None:
        """Mark the client REVOKED and delete its key entries; repeating it changes nothing."""
        try:
            old = self._db.update_item(
                TableName=self._table, Key=_client_key(client_id),
                UpdateExpression="SET #status = :revoked, revokedAt = if_not_exists(revokedAt, :now) REMOVE keyHashes",
                ConditionExpression="attribute_exists(PK)", ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":revoked": {"S": REVOKED}, ":now": {"S": now}}, ReturnValues="ALL_OLD",
            )["Attributes"]  # fmt: skip
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        for key_hash in old.get("keyHashes", {}).get("SS", []):
            self._db.delete_item(TableName=self._table, Key=_key_key(key_hash))
        return _client({**old, "status": {"S": REVOKED}, "revokedAt": old.get("revokedAt", {"S": now})})

    def register_stack_key(self, key_hash: str, now: str) -> KeyRecord | None:
        """The stack's own key, as the all-scopes client `stack`, unless that client was revoked."""
        try:
            self._db.update_item(
                TableName=self._table, Key=_client_key(STACK_CLIENT),
                UpdateExpression=(
                    "SET #name = if_not_exists(#name, :name), scopes = if_not_exists(scopes, :scopes), "
                    "#status = if_not_exists(#status, :active), createdAt = if_not_exists(createdAt, :now) "
                    "ADD keyHashes :h"
                ),
                ConditionExpression="attribute_not_exists(PK) OR #status = :active",
                ExpressionAttributeNames={"#name": "name", "#status": "status"},
                ExpressionAttributeValues={
                    ":name": {"S": "the stack's API key"}, ":scopes": {"L": [{"S": s} for s in _STACK_SCOPES]},
                    ":active": {"S": ACTIVE}, ":now": {"S": now}, ":h": {"SS": [key_hash]},
                },
            )  # fmt: skip
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        self._db.put_item(TableName=self._table, Item=_key_item(key_hash, STACK_CLIENT, _STACK_SCOPES))
        return KeyRecord(key_hash, STACK_CLIENT, _STACK_SCOPES)


# Every scope but TEST: the stack's key sends for real, as it always did.
_STACK_SCOPES = tuple(s for s in ALL_SCOPES if s != "TEST")

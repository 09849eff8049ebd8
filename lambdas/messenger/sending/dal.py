"""The sending domain's table operations: idempotency keys and send claims on the message record.

Idempotency keys: PK = SK = "IDEMPOTENCY#<key>" for the stack's own key (as since the first release), and
"IDEMPOTENCY-CLIENT#<clientId>#<key>" for any other API client, so that one client's key never answers
another's request; written in one transaction with the message they created and removed by the table's TTL. A claim (claimToken, claimedAt, attempts) on a QUEUED record
marks the one attempt allowed to send it.
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from messenger.clients.models import STACK_CLIENT
from messenger.core.errors import StatusConflict
from messenger.messages.dal import (
    MessagesTable,
    from_item,
    is_condition_failure,
    message_key,
    to_item,
)
from messenger.messages.models import DeliveryStatus, Message
from messenger.sending.models import Claim, IdempotencyRecord

TRANSACTION_ATTEMPTS = 4
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"
CLIENT_IDEMPOTENCY_PREFIX = "IDEMPOTENCY-CLIENT#"
PACE_PREFIX = "PACE#"
PACE_TTL_SECONDS = 120  # a second's counter is useless a second later; TTL removes it (late, harmlessly)


def idempotency_item_key(key: str, client_id: str | None) -> dict:
    """The table key of an idempotency key as `client_id` used it.

    The stack's own client (and a caller with no client: workers, tests of the logic) keeps the
    first release's "IDEMPOTENCY#<key>", so keys recorded before clients existed still replay. Client
    ids hold no "#", and the two prefixes differ, so no two clients' names can meet.
    """
    if client_id is None or client_id == STACK_CLIENT:
        name = IDEMPOTENCY_PREFIX + key
    else:
        name = f"{CLIENT_IDEMPOTENCY_PREFIX}{client_id}#{key}"
    return {"PK": {"S": name}, "SK": {"S": name}}


def live_first_release_key(db, table: str, key: str, client_id: str | None, now_epoch: int) -> dict | None:
    """A client other than the stack's used `key` under its first-release name ("IDEMPOTENCY#<key>",
    before keys were named per client): that item, if still live. Until such items expire (a day after
    the deploy that brings per-client names) a retry must still find it; one consistent GetItem."""
    if client_id is None or client_id == STACK_CLIENT:
        return None  # its keys have that name anyway
    found = db.get_item(TableName=table, Key=idempotency_item_key(key, None), ConsistentRead=True).get("Item")
    return found if found is not None and int(found["expiresAt"]["N"]) >= now_epoch else None


def _record(item: dict) -> IdempotencyRecord:
    """A live key's record. sendBatch keeps its keys as "BATCH#<key>", a name a sendMessage key can
    also be: such an item names a batch, no message, and its fingerprint never matches a message's."""
    return IdempotencyRecord(item["fingerprint"]["S"], item.get("to", {}).get("S", ""), item.get("id", {}).get("S", ""))


class SendingTable(MessagesTable):
    def take(self, key: str, second: int, limit: int) -> bool:
        """Pacing: count one request to `key` (a provider) in that epoch second, if under `limit`.

        PK "PACE#<key>", SK "<second>": one conditional UpdateItem (ADD) per request, shared by every
        worker; the item expires through the table's TTL."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"PK": {"S": PACE_PREFIX + key}, "SK": {"S": str(second)}},
                UpdateExpression="ADD #n :one SET expiresAt = if_not_exists(expiresAt, :ttl)",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "requests"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"}, ":limit": {"N": str(limit)}, ":ttl": {"N": str(second + PACE_TTL_SECONDS)},
                },
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def create_idempotent(
        self, message: Message, key: str, fingerprint: str, expires_at: int, now_epoch: int
    ) -> IdempotencyRecord | None:
        """Write the message and its idempotency key together; if a live key exists, return it.

        A key past `expiresAt` counts as absent (TTL deletes items late). A transaction cancelled
        because another request's transaction on the same key is still in flight is tried again.
        """
        old = self._first_release_record(key, message.client_id, now_epoch)
        if old is not None:
            return old
        key_item = idempotency_item_key(key, message.client_id)
        request = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **key_item,
                        "fingerprint": {"S": fingerprint},
                        "to": {"S": message.to},
                        "id": {"S": message.id},
                        "expiresAt": {"N": str(expires_at)},
                    },
                    "ConditionExpression": "attribute_not_exists(PK) OR expiresAt < :now",
                    "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(message),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self._db.transact_write_items(TransactItems=request)
                return None
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
            found = self._db.get_item(TableName=self._table, Key=key_item, ConsistentRead=True).get("Item")
            if found is not None and int(found["expiresAt"]["N"]) >= now_epoch:
                return _record(found)
            time.sleep(0.05 * 2**attempt)  # the other transaction has not committed yet
        raise StatusConflict("idempotency key: transaction kept conflicting")

    def idempotency_record(self, key: str, client_id: str | None, now_epoch: int) -> IdempotencyRecord | None:
        """The live record of `key` as `client_id` used it for a message, or None (consistent reads)."""
        found = self._first_release_record(key, client_id, now_epoch)
        if found is not None:
            return found
        item = self._db.get_item(TableName=self._table, Key=idempotency_item_key(key, client_id),
                                 ConsistentRead=True).get("Item")
        return _record(item) if item is not None and int(item["expiresAt"]["N"]) >= now_epoch else None

    def _first_release_record(self, key: str, client_id: str | None, now_epoch: int) -> IdempotencyRecord | None:
        old = live_first_release_key(self._db, self._table, key, client_id, now_epoch)
        if old is not None and "id" in old and self._sent_by(old["to"]["S"], old["id"]["S"], client_id):
            return IdempotencyRecord(old["fingerprint"]["S"], old["to"]["S"], old["id"]["S"])
        return None

    def _sent_by(self, recipient: str, message_id: str, client_id: str | None) -> bool:
        item = self._db.get_item(TableName=self._table, Key=message_key(recipient, message_id),
                                 ProjectionExpression="clientId", ConsistentRead=True).get("Item")
        return item is not None and item.get("clientId", {}).get("S") == client_id

    def claim(self, recipient: str, message_id: str, token: str, now: str, stale_before: str) -> Claim:
        """Claim a QUEUED message for one send attempt (a conditional write, before any provider call).

        Refused while another attempt holds a fresh claim, or once the message left QUEUED.
        A claim older than `stale_before` belongs to an attempt that can no longer be running.
        """
        try:
            result = self._db.update_item(
                TableName=self._table,
                Key=message_key(recipient, message_id),
                UpdateExpression=(
                    "SET claimToken = :token, claimedAt = :now, updatedAt = :now, "
                    "attempts = if_not_exists(attempts, :zero) + :one"
                ),
                ConditionExpression=(
                    "deliveryStatus = :queued AND "
                    "(attribute_not_exists(claimToken) OR claimedAt < :stale)"
                ),
                ExpressionAttributeValues={
                    ":token": {"S": token},
                    ":now": {"S": now},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":queued": {"S": DeliveryStatus.QUEUED.value},
                    ":stale": {"S": stale_before},
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return Claim(granted=False, message=self.get(recipient, message_id))
        old = result.get("Attributes", {})
        claimed = from_item({**old, "updatedAt": {"S": now}})
        return Claim(granted=True, message=claimed, taken_over="claimToken" in old)

    def release(self, message: Message, token: str, now: str) -> None:
        """Give a claim back after a send that certainly did not happen (a transient refusal)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=message_key(message.to, message.id),
                UpdateExpression="SET updatedAt = :now REMOVE claimToken, claimedAt",
                ConditionExpression="claimToken = :token",
                ExpressionAttributeValues={":token": {"S": token}, ":now": {"S": now}},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

"""Erasing a recipient's items: their message partition (timelines are inside each record, index
entries go with it) page by page, and the idempotency keys those messages name.

Deletes go 25 at a time through BatchWriteItem; what DynamoDB leaves unprocessed is sent again.
"""

from __future__ import annotations

import time

from messenger.messages.dal import MESSAGE_PREFIX, MessagesTable
from messenger.sending.dal import idempotency_item_key

BATCH = 25
PAGE = 100
UNPROCESSED_ATTEMPTS = 8


class ErasureTable(MessagesTable):
    def recipient_page(self, recipient: str, start: dict | None) -> tuple[list[dict], list[dict], dict | None]:
        """(message keys, their idempotency keys' keys, where to go on) for one page of the partition."""
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": self.partition_of(recipient)}, ":prefix": {"S": MESSAGE_PREFIX}},
            "ProjectionExpression": "PK, SK, idempotencyKey, clientId",
            "Limit": PAGE,
            "ConsistentRead": True,
        }
        if start:
            request["ExclusiveStartKey"] = start
        response = self._db.query(**request)
        messages, keys = [], []
        for item in response["Items"]:
            messages.append({"PK": item["PK"], "SK": item["SK"]})
            if "idempotencyKey" in item:
                client_id = item["clientId"]["S"] if "clientId" in item else None
                keys.append(idempotency_item_key(item["idempotencyKey"]["S"], client_id))
        return messages, keys, response.get("LastEvaluatedKey")

    def delete_keys(self, keys: list[dict]) -> None:
        for start in range(0, len(keys), BATCH):
            requests = {self._table: [{"DeleteRequest": {"Key": key}} for key in keys[start:start + BATCH]]}
            for attempt in range(UNPROCESSED_ATTEMPTS):
                requests = self._db.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
                if not requests:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError("DynamoDB left deletes unprocessed")

"""The open-messages index (`byOpenStatus`): what is still PENDING, QUEUED or ACCEPTED, oldest first."""

from __future__ import annotations

from collections.abc import Iterator

from messenger.messages.dal import MessagesTable, from_item
from messenger.messages.models import DeliveryStatus, Message
from messenger.messages.records import OPEN_INDEX, OPEN_SHARDS, OPEN_STATUS


class OpenMessages(MessagesTable):
    def older_than(self, status: DeliveryStatus, before: str, limit: int) -> Iterator[Message]:
        """Messages in `status` last updated before `before`, up to `limit` per shard, one Query a page."""
        for shard in range(OPEN_SHARDS):
            request = {
                "TableName": self._table,
                "IndexName": OPEN_INDEX,
                "KeyConditionExpression": "#open = :open AND updatedAt < :before",
                "ExpressionAttributeNames": {"#open": OPEN_STATUS},
                "ExpressionAttributeValues": {":open": {"S": f"{status.value}#{shard}"}, ":before": {"S": before}},
                "Limit": limit,
            }
            yield from (from_item(item) for item in self._db.query(**request)["Items"])

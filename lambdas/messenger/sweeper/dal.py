"""The open-messages index (`byOpenStatus`): what is still open, oldest first."""

from __future__ import annotations

from collections.abc import Iterator

from messenger.messages.dal import MessagesTable, from_item
from messenger.messages.models import DeliveryStatus, Message
from messenger.messages.records import OPEN_INDEX, OPEN_SHARDS, OPEN_STATUS

# SCHEDULED records are sorted by when they were written, not by sendAt, so finding those whose sendAt
# passed reads the scheduled ones written before the cut-off too: at most this many pages a shard a run.
SCHEDULED_PAGES = 10


class OpenMessages(MessagesTable):
    def older_than(self, status: DeliveryStatus, before: str, limit: int) -> Iterator[Message]:
        """Messages in `status` last updated before `before`, up to `limit` per shard, one Query a page."""
        for shard in range(OPEN_SHARDS):
            answer = self._db.query(**self._request(status, shard, before, limit))
            yield from (from_item(item) for item in answer["Items"])

    def scheduled_before(self, before: str, limit: int) -> Iterator[Message]:
        """SCHEDULED messages whose sendAt is before `before`, up to `limit` per shard. A batch's records
        are left out: their batch's schedule and its checks own them (batches/jobs.py)."""
        for shard in range(OPEN_SHARDS):
            request = self._request(DeliveryStatus.SCHEDULED, shard, before, limit)
            request["FilterExpression"] = "sendAt < :before AND attribute_not_exists(batchId)"
            found = 0
            for _ in range(SCHEDULED_PAGES):
                answer = self._db.query(**request)
                found += len(answer["Items"])
                yield from (from_item(item) for item in answer["Items"])
                if found >= limit or "LastEvaluatedKey" not in answer:
                    break
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _request(self, status: DeliveryStatus, shard: int, before: str, limit: int) -> dict:
        return {
            "TableName": self._table,
            "IndexName": OPEN_INDEX,
            "KeyConditionExpression": "#open = :open AND updatedAt < :before",
            "ExpressionAttributeNames": {"#open": OPEN_STATUS},
            "ExpressionAttributeValues": {":open": {"S": f"{status.value}#{shard}"}, ":before": {"S": before}},
            "Limit": limit,
        }

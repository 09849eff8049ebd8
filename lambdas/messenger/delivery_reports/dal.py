"""Finding the message a delivery report is about."""

from __future__ import annotations

from messenger.messages.dal import MESSAGE_PREFIX, MessagesTable, from_item
from messenger.messages.models import Message

RECENT_LOOKUP_LIMIT = 25
PROVIDER_INDEX = "byProviderMessageId"


class ReportsTable(MessagesTable):
    def find_by_provider_message_id(self, provider_message_id: str) -> Message | None:
        items = self._db.query(
            TableName=self._table,
            IndexName=PROVIDER_INDEX,
            KeyConditionExpression="providerMessageId = :id",
            ExpressionAttributeValues={":id": {"S": provider_message_id}},
            Limit=1,
        )["Items"]
        return from_item(items[0]) if items else None

    def find_recent_by_provider_message_id(self, recipient: str, provider_message_id: str) -> Message | None:
        """A strongly consistent look at the recipient's newest messages, for when the index lags."""
        items = self._db.query(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            FilterExpression="providerMessageId = :id",
            ExpressionAttributeValues={
                ":pk": {"S": self.partition_of(recipient)},
                ":prefix": {"S": MESSAGE_PREFIX},
                ":id": {"S": provider_message_id},
            },
            ScanIndexForward=False,
            Limit=RECENT_LOOKUP_LIMIT,
            ConsistentRead=True,
        )["Items"]
        return from_item(items[0]) if items else None

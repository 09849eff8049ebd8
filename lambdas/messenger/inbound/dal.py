"""Inbound SMS in the table: the message record and a marker that makes a repeated callback a no-op.

Marker: PK = SK = "INBOUND#<provider>#<provider's message id>" (messageId, party, handled, expiresAt),
written in one transaction with the record (PK "MESSAGE#<sender>", so the SMS sits in its sender's
history). A second callback for the same id finds the marker and records nothing; `handled` says the
keywords and replies of the first were done. Markers expire through the table's TTL after MARKER_DAYS.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.messages.dal import MessagesTable, is_condition_failure, to_item
from messenger.messages.models import Message, Provider

MARKER_PREFIX = "INBOUND#"
MARKER_DAYS = 7  # providers repeat a callback within minutes to hours


def marker_key(provider: Provider, provider_message_id: str) -> dict:
    key = f"{MARKER_PREFIX}{provider.value}#{provider_message_id}"
    return {"PK": {"S": key}, "SK": {"S": key}}


class InboundTable(MessagesTable):
    def record_inbound(self, message: Message, expires_at: int) -> tuple[str, bool, bool]:
        """Write the record once per provider id: (message id, duplicate, handled)."""
        key = marker_key(message.provider, message.provider_message_id or "")
        marker = {**key, "messageId": {"S": message.id}, "party": {"S": message.party},
                  "handled": {"BOOL": False}, "expiresAt": {"N": str(expires_at)}}
        try:
            self._db.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table, "Item": marker, "ConditionExpression": "attribute_not_exists(PK)"}},
                {"Put": {"TableName": self._table, "Item": to_item(message),
                         "ConditionExpression": "attribute_not_exists(PK)"}},
            ])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            found = self.marker(message.provider, message.provider_message_id or "")
            if found is None:
                raise  # cancelled for another reason (a concurrent transaction): SQS tries again
            return found[0], True, found[1]
        return message.id, False, False

    def marker(self, provider: Provider, provider_message_id: str) -> tuple[str, bool] | None:
        """(message id, handled) of an inbound SMS already recorded, or None."""
        item = self._db.get_item(
            TableName=self._table, Key=marker_key(provider, provider_message_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return item["messageId"]["S"], item.get("handled", {}).get("BOOL", False)

    def mark_handled(self, provider: Provider, provider_message_id: str) -> None:
        try:
            self._db.update_item(
                TableName=self._table, Key=marker_key(provider, provider_message_id),
                UpdateExpression="SET handled = :yes", ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":yes": {"BOOL": True}},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

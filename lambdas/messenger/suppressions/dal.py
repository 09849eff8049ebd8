"""Suppressions in the table: PK "SUPPRESSION", SK "SUPPRESSION#<recipient>".

One partition keeps the list in one Query per page (getSuppressions); the check before each send is a
GetItem of one small item. DynamoDB splits a partition whose sort keys are read hot, and entries are
added only by bounces, complaints and refusals, so the one partition carries both.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.messages.dal import is_condition_failure, partition_page
from messenger.suppressions.models import Suppression

PARTITION = "SUPPRESSION"
PREFIX = "SUPPRESSION#"


def _key(recipient: str) -> dict:
    return {"PK": {"S": PARTITION}, "SK": {"S": PREFIX + recipient}}


def _from_item(item: dict) -> Suppression:
    return Suppression(
        to=item["SK"]["S"][len(PREFIX):],
        reason=item["reason"]["S"],
        since=item["since"]["S"],
        message_id=item.get("messageId", {}).get("S"),
    )


class SuppressionsTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, recipient: str) -> Suppression | None:
        item = self._db.get_item(TableName=self._table, Key=_key(recipient)).get("Item")
        return _from_item(item) if item else None

    def reasons(self, recipients) -> dict[str, str]:
        """Recipient -> failure reason for those suppressed: BatchGetItem, 100 keys a call (a batch's check)."""
        keys = [_key(r) for r in sorted(set(recipients))]
        found: dict[str, str] = {}
        for start in range(0, len(keys), 100):
            request = {"Keys": keys[start:start + 100]}
            while request:
                response = self._db.batch_get_item(RequestItems={self._table: request})
                for item in response.get("Responses", {}).get(self._table, []):
                    entry = _from_item(item)
                    found[entry.to] = entry.failure_reason
                request = response.get("UnprocessedKeys", {}).get(self._table)
        return found

    def add(self, suppression: Suppression) -> bool:
        """Adds the entry unless the recipient is already suppressed (the first reason stays)."""
        item = {**_key(suppression.to), "reason": {"S": suppression.reason}, "since": {"S": suppression.since}}
        if suppression.message_id:
            item["messageId"] = {"S": suppression.message_id}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(PK)")
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def remove(self, recipient: str) -> bool:
        old = self._db.delete_item(TableName=self._table, Key=_key(recipient), ReturnValues="ALL_OLD")
        return "Attributes" in old

    def remove_if_reason(self, recipient: str, reason: str) -> bool:
        """Lift the entry only if it is there for `reason` (START lifts an opt-out, not a bounce)."""
        try:
            self._db.delete_item(
                TableName=self._table, Key=_key(recipient), ConditionExpression="reason = :reason",
                ExpressionAttributeValues={":reason": {"S": reason}},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def page(self, limit: int, after: str | None) -> tuple[list[Suppression], bool]:
        items, cut_short = partition_page(self._db, self._table, PARTITION, PREFIX, limit, _key(after) if after else None)
        return [_from_item(item) for item in items], cut_short

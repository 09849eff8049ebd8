"""The message record in DynamoDB: its key, its attributes, creating, reading, paging, status moves.

Messages: PK "MESSAGE#<recipient>", SK "MESSAGE#<ULID>". Status changes are conditional writes, so a
status only moves forward however many workers, retries and delivery reports race. Other domains
extend `MessagesTable` with their own operations (sending/dal.py, delivery_reports/dal.py); every
DynamoDB call of the service lives in a `dal.py`.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.core.errors import StatusConflict
from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Message,
    Provider,
    predecessors,
)

MESSAGE_PREFIX = "MESSAGE#"

# Record attribute <-> Message field. Strings unless listed in _NUMBERS.
_FIELDS = {
    "id": "id",
    "to": "to",
    "body": "body",
    "deliveryMethod": "delivery_method",
    "deliveryStatus": "delivery_status",
    "provider": "provider",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "from": "sender",
    "subject": "subject",
    "recipientId": "recipient_id",
    "senderId": "sender_id",
    "reference": "reference",
    "providerMessageId": "provider_message_id",
    "failureReason": "failure_reason",
    "segments": "segments",
    "cost": "cost",
}
_ATTRIBUTE_OF = {field: attr for attr, field in _FIELDS.items()}
_NUMBERS = {"segments"}
_ENUMS = {"delivery_method": DeliveryMethod, "delivery_status": DeliveryStatus, "provider": Provider}


def _value(attr: str, value) -> dict:
    if attr in _NUMBERS:
        return {"N": str(value)}
    return {"S": value.value if hasattr(value, "value") else str(value)}


def _plain(av: dict):
    if "S" in av:
        return av["S"]
    if "N" in av:
        return int(av["N"])
    raise ValueError(f"unexpected attribute type {list(av)}")


def message_key(recipient: str, message_id: str) -> dict:
    return {"PK": {"S": MESSAGE_PREFIX + recipient}, "SK": {"S": MESSAGE_PREFIX + message_id}}


def to_item(message: Message) -> dict:
    item = message_key(message.to, message.id)
    for field, value in message.as_dict().items():
        if value is not None:
            item[_ATTRIBUTE_OF[field]] = _value(_ATTRIBUTE_OF[field], value)
    return item


def from_item(item: dict) -> Message:
    values = {}
    for attr, field in _FIELDS.items():
        if attr in item:
            value = _plain(item[attr])
            values[field] = _ENUMS[field](value) if field in _ENUMS else value
    return Message(**values)


def is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class MessagesTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def partition_of(self, recipient: str) -> str:
        return MESSAGE_PREFIX + recipient

    def create(self, message: Message) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=to_item(message),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, recipient: str, message_id: str) -> Message | None:
        item = self._db.get_item(
            TableName=self._table, Key=message_key(recipient, message_id), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def page(
        self, recipient: str, limit: int, after_id: str | None, newest_first: bool
    ) -> tuple[list[Message], bool]:
        """One Query for up to `limit` items, and whether DynamoDB stopped before the partition's end.

        DynamoDB also stops at 1 MB read, whatever the limit: then it says where it stopped
        (LastEvaluatedKey), and the page may hold fewer items than asked for.
        """
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": self.partition_of(recipient)},
                ":prefix": {"S": MESSAGE_PREFIX},
            },
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if after_id:
            request["ExclusiveStartKey"] = message_key(recipient, after_id)
        response = self._db.query(**request)
        return [from_item(item) for item in response["Items"]], "LastEvaluatedKey" in response

    def transition(
        self,
        message: Message,
        target: DeliveryStatus,
        now: str,
        *,
        claim_token: str | None = None,
        **fields,
    ) -> Message:
        """Move the record to `target` if its current status may lead there.

        With `claim_token`, the write also requires that claim and releases it.
        Raises StatusConflict when the record is not in a state the move starts from.
        """
        names = {"#status": "deliveryStatus", "#updated": "updatedAt"}
        values = {":target": {"S": target.value}, ":now": {"S": now}}
        sets = ["#status = :target", "#updated = :now"]
        for i, (field, value) in enumerate(sorted(fields.items())):
            if value is None:
                continue
            attr = _ATTRIBUTE_OF[field]
            names[f"#f{i}"] = attr
            values[f":f{i}"] = _value(attr, value)
            sets.append(f"#f{i} = :f{i}")
        allowed = sorted(s.value for s in predecessors(target))
        placeholders = []
        for i, status in enumerate(allowed):
            values[f":from{i}"] = {"S": status}
            placeholders.append(f":from{i}")
        condition = f"#status IN ({', '.join(placeholders)})"
        update = "SET " + ", ".join(sets)
        if claim_token is not None:
            names["#claim"] = "claimToken"
            values[":claim"] = {"S": claim_token}
            condition += " AND #claim = :claim"
            update += " REMOVE #claim, claimedAt"
        try:
            result = self._db.update_item(
                TableName=self._table,
                Key=message_key(message.to, message.id),
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(PK) AND {condition}",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise StatusConflict(f"cannot move to {target.value}") from None
            raise
        return from_item(result["Attributes"])

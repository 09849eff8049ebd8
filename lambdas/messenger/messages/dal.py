"""The message record in DynamoDB: creating, reading, paging, status moves and timeline notes.

The item's shape is in records.py. Status changes are conditional writes, so a status only moves
forward however many workers, retries and receipts race; each appends its event to the timeline. Other domains
extend `MessagesTable` with their own operations (sending/dal.py); every
DynamoDB call of the service lives in a `dal.py`.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.core.errors import StatusConflict
from messenger.messages import ulids
from messenger.messages.models import (
    MAX_EVENTS,
    DeliveryStatus,
    Message,
    MessageEvent,
    Partition,
    Slice,
    predecessors,
)
from messenger.messages.records import (  # noqa: F401 - re-exported for the domains' DAL modules
    EVENTS,
    ID_INDEX,
    ID_KEY,
    MESSAGE_PREFIX,
    OPEN_STATUS,
    REFERENCE_INDEX,
    REFERENCE_KEY,
    SENDER_INDEX,
    SENDER_KEY,
    SENDER_SHARDS,
    BATCH_INDEX,
    BATCH_KEY,
    attribute_of,
    attribute_value,
    batch_counters,
    batch_key,
    batch_summary,
    count_attribute,
    event_value,
    from_item,
    message_key,
    open_status,
    sender_key,
    to_item,
)

PROVIDER_INDEX = "byProviderMessageId"
RECENT_LOOKUP_LIMIT = 25


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

    def get_by_id(self, message_id: str) -> Message | None:
        """getMessage: one Query on `byId`, whatever the recipient (eventually consistent, like any index)."""
        items = self._db.query(
            TableName=self._table,
            IndexName=ID_INDEX,
            KeyConditionExpression="#id = :id",
            ExpressionAttributeNames={"#id": ID_KEY},
            ExpressionAttributeValues={":id": {"S": message_id}},
            Limit=1,
        )["Items"]
        return from_item(items[0]) if items else None

    def history_partitions(self, key: str, value: str) -> tuple[Partition, ...]:
        """Where a recipient's (the table), a sender's, a reference's or a batch's (an index) history lives."""
        if key == "to":
            return (Partition(None, "PK", self.partition_of(value)),)
        if key == "senderId":
            return tuple(Partition(SENDER_INDEX, SENDER_KEY, sender_key(value, s)) for s in range(SENDER_SHARDS))
        if key == "batchId":
            return (Partition(BATCH_INDEX, BATCH_KEY, value),)
        return (Partition(REFERENCE_INDEX, REFERENCE_KEY, value),)

    def history_slice(self, partition: Partition, query, limit: int, resume: dict | None) -> Slice:
        """One Query of a history partition: the ULID range in the key condition, status and method as a
        filter expression (DynamoDB applies `Limit` before it). DynamoDB also stops at 1 MB read."""
        names = {"#k": partition.key_attribute}
        values = {":k": {"S": partition.key}}
        if query.low is None and query.high is None:
            condition = "#k = :k AND begins_with(SK, :prefix)"
            values[":prefix"] = {"S": MESSAGE_PREFIX}
        else:
            condition = "#k = :k AND SK BETWEEN :low AND :high"
            values[":low"] = {"S": MESSAGE_PREFIX + (query.low or ulids.to_text(0))}
            values[":high"] = {"S": MESSAGE_PREFIX + (query.high or ulids.to_text(ulids.MAX_ULID))}
        filters = []
        if query.statuses:
            names["#status"] = "deliveryStatus"
            for i, status in enumerate(query.statuses):
                values[f":s{i}"] = {"S": status}
            filters.append(f"#status IN ({', '.join(f':s{i}' for i in range(len(query.statuses)))})")
        if query.delivery_method:
            names["#method"] = "deliveryMethod"
            values[":method"] = {"S": query.delivery_method}
            filters.append("#method = :method")
        request = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Limit": limit,
            "ScanIndexForward": not query.newest_first,
        }
        if partition.index:
            request["IndexName"] = partition.index
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if resume:
            request["ExclusiveStartKey"] = resume
        response = self._db.query(**request)
        last = response.get("LastEvaluatedKey")
        position = last["SK"]["S"][len(MESSAGE_PREFIX):] if last else None
        return Slice([from_item(item) for item in response["Items"]], last, position)

    def transition(
        self,
        message: Message,
        target: DeliveryStatus,
        now: str,
        *,
        claim_token: str | None = None,
        unclaimed: bool = False,
        event: MessageEvent | None = None,
        **fields,
    ) -> Message:
        """Move the record to `target` if its current status may lead there, appending `event`.

        With `claim_token`, the write also requires that claim and releases it; with `unclaimed`, it
        requires that no send attempt holds a claim (a cancel never races a send). A final status leaves
        the open-messages index. Raises StatusConflict when the record is not in a state the move
        starts from.
        """
        names = {"#status": "deliveryStatus", "#updated": "updatedAt", "#events": EVENTS, "#open": OPEN_STATUS}
        values = {
            ":target": {"S": target.value},
            ":now": {"S": now},
            ":event": {"L": [event_value(event or MessageEvent(target, now))]},
            ":empty": {"L": []},
        }
        sets = ["#status = :target", "#updated = :now", "#events = list_append(if_not_exists(#events, :empty), :event)"]
        removes = []
        if target.final:
            removes.append("#open")
        else:
            values[":open"] = {"S": open_status(message.id, target)}
            sets.append("#open = :open")
        for i, (field, value) in enumerate(sorted(fields.items())):
            if value is None:
                continue
            names[f"#f{i}"] = attribute_of(field)
            values[f":f{i}"] = attribute_value(field, value)
            sets.append(f"#f{i} = :f{i}")
        allowed = sorted(s.value for s in predecessors(target))
        placeholders = []
        for i, status in enumerate(allowed):
            values[f":from{i}"] = {"S": status}
            placeholders.append(f":from{i}")
        condition = f"#status IN ({', '.join(placeholders)})"
        if claim_token is not None:
            names["#claim"] = "claimToken"
            values[":claim"] = {"S": claim_token}
            condition += " AND #claim = :claim"
            removes += ["#claim", "claimedAt"]
        elif unclaimed:
            names["#claim"] = "claimToken"
            condition += " AND attribute_not_exists(#claim)"
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            result = self._db.update_item(
                TableName=self._table,
                Key=message_key(message.party, message.id),
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

    def note(self, message: Message, event: MessageEvent) -> bool:
        """Append a note to the timeline while it has room; False when it is full or the record gone."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=message_key(message.party, message.id),
                UpdateExpression="SET #events = list_append(if_not_exists(#events, :empty), :event)",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(#events) OR size(#events) < :max)",
                ExpressionAttributeNames={"#events": EVENTS},
                ExpressionAttributeValues={
                    ":event": {"L": [event_value(event)]}, ":empty": {"L": []}, ":max": {"N": str(MAX_EVENTS)},
                },
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def count_batch_move(self, batch_id: str, old: DeliveryStatus, new: DeliveryStatus) -> dict[str, int]:
        """One message of a batch moved from `old` to `new`: both counters in one atomic update.

        Returns the batch's counters, `total` and whether it is still sending (`sending` 1/0).
        """
        result = self._db.update_item(
            TableName=self._table,
            Key=batch_key(batch_id),
            UpdateExpression="ADD #new :one, #old :minus",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#new": count_attribute(new), "#old": count_attribute(old)},
            ExpressionAttributeValues={":one": {"N": "1"}, ":minus": {"N": "-1"}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        return batch_counters(result)

    def complete_batch(self, batch_id: str, now: str) -> dict | None:
        """SENDING -> COMPLETED, once (a conditional write): the batch as completed (batch_summary), or
        None when it was not SENDING. Only the one write that succeeds answers a summary, so whoever
        gets it announces the batch (BATCH_COMPLETED) exactly once, however many writers race."""
        try:
            answer = self._db.update_item(
                TableName=self._table,
                Key=batch_key(batch_id),
                UpdateExpression="SET #status = :done, updatedAt = :now, completedAt = :now",
                ConditionExpression="#status = :sending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":done": {"S": "COMPLETED"}, ":sending": {"S": "SENDING"}, ":now": {"S": now},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return batch_summary(answer["Attributes"])

    def find_by_provider_message_id(self, provider_message_id: str) -> Message | None:
        """The message a provider's id names, through the index (eventually consistent)."""
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


def partition_page(db, table: str, partition: str, prefix: str, limit: int, start_key: dict | None):
    """One Query of up to `limit` items of a partition whose sort keys start with `prefix`, and whether
    DynamoDB stopped before its end (the suppression list, the templates)."""
    request = {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": partition}, ":prefix": {"S": prefix}},
        "Limit": limit,
    }
    if start_key:
        request["ExclusiveStartKey"] = start_key
    response = db.query(**request)
    return response["Items"], "LastEvaluatedKey" in response

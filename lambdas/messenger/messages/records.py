"""The message record as a DynamoDB item: key, attributes, timeline and the open-messages index.

Messages: PK "MESSAGE#<recipient>", SK "MESSAGE#<ULID>". The timeline (`events`) is a list of maps.
While a message is not final it carries `openStatus` = "<status>#<shard>", the partition key of the
sparse index `byOpenStatus` (sort key `updatedAt`) through which the sweeper finds what is still open
without scanning; the shard spreads one status over OPEN_SHARDS index partitions.

History indexes (docs/history.md), sparse: `idKey` (= the ULID, on every message) is the key of `byId`,
getMessage's one read whatever the recipient; `senderKey` = "<senderId>#<shard>" (only with a senderId)
and `referenceKey` = "<reference>" (only with a reference) are the keys of `bySender` / `byReference`,
both sorted by SK, so a sender's or a reference's history pages and ranges exactly as a recipient's does.
`batchId` (only on a batch's messages) is the key of `byBatch`, sorted by SK the same way.
SENDER_SHARDS spreads one sender's writes over that many index partitions; it may only ever grow.
"""

from __future__ import annotations

import zlib

from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Direction,
    Message,
    MessageEvent,
    Provider,
)

MESSAGE_PREFIX = "MESSAGE#"
EVENTS = "events"
OPEN_STATUS = "openStatus"
OPEN_INDEX = "byOpenStatus"
OPEN_SHARDS = 4
ID_KEY, ID_INDEX = "idKey", "byId"
SENDER_KEY, SENDER_INDEX = "senderKey", "bySender"
REFERENCE_KEY, REFERENCE_INDEX = "referenceKey", "byReference"
# A batch's messages carry `batchId`, the key of the sparse index `byBatch` (sorted by SK).
BATCH_KEY, BATCH_INDEX = "batchId", "byBatch"
SENDER_SHARDS = 1
# A batch (batches/): PK = "BATCH#<id>", SK = "BATCH". Its status counts are numbers `n<STATUS>`,
# moved by the batch-count listener of every status writer (messages/batch_counts.py).
BATCH_PREFIX, BATCH_SK = "BATCH#", "BATCH"
COUNT_PREFIX = "n"

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
    "sentAt": "sent_at",
    "completedAt": "completed_at",
    "templateId": "template_id",
    "templateVersion": "template_version",
    "html": "html",
    "clientId": "client_id",
    "test": "test",
    "expiresAt": "expires_at",
    "idempotencyKey": "idempotency_key",
    "sendAt": "send_at",
    "batchId": "batch_id",
    "direction": "direction",
}
_ATTRIBUTE_OF = {field: attr for attr, field in _FIELDS.items()}
_NUMBERS = {"segments", "templateVersion", "expiresAt"}
_BOOLEANS = {"test"}
_ENUMS = {"delivery_method": DeliveryMethod, "delivery_status": DeliveryStatus, "provider": Provider,
          "direction": Direction}


def _value(attr: str, value) -> dict:
    if attr in _BOOLEANS:
        return {"BOOL": bool(value)}
    if attr in _NUMBERS:
        return {"N": str(value)}
    return {"S": value.value if hasattr(value, "value") else str(value)}


def _plain(av: dict):
    if "S" in av:
        return av["S"]
    if "N" in av:
        return int(av["N"])
    if "BOOL" in av:
        return av["BOOL"]
    raise ValueError(f"unexpected attribute type {list(av)}")


def message_key(recipient: str, message_id: str) -> dict:
    return {"PK": {"S": MESSAGE_PREFIX + recipient}, "SK": {"S": MESSAGE_PREFIX + message_id}}


def batch_key(batch_id: str) -> dict:
    return {"PK": {"S": BATCH_PREFIX + batch_id}, "SK": {"S": BATCH_SK}}


def count_attribute(status: DeliveryStatus) -> str:
    return COUNT_PREFIX + status.value


def attribute_of(field: str) -> str:
    return _ATTRIBUTE_OF[field]


def attribute_value(field: str, value) -> dict:
    return _value(_ATTRIBUTE_OF[field], value)


def open_status(message_id: str, status: DeliveryStatus) -> str:
    return f"{status.value}#{zlib.crc32(message_id.encode()) % OPEN_SHARDS}"


def shard_of(message_id: str, shards: int) -> int:
    return zlib.crc32(message_id.encode()) % shards


def sender_key(sender_id: str, shard: int) -> str:
    return f"{sender_id}#{shard}"


def event_value(event: MessageEvent) -> dict:
    entry = {"status": {"S": event.status.value}, "at": {"S": event.at}}
    if event.detail is not None:
        entry["detail"] = {"S": event.detail}
    return {"M": entry}


def _event(av: dict) -> MessageEvent:
    entry = av["M"]
    return MessageEvent(DeliveryStatus(entry["status"]["S"]), entry["at"]["S"], entry.get("detail", {}).get("S"))


def to_item(message: Message) -> dict:
    item = message_key(message.party, message.id)
    for field, value in message.as_dict().items():
        # `test` is stored only when true, `direction` only when INBOUND.
        if value is not None and value is not False and not (field == "direction" and value is Direction.OUTBOUND):
            item[_ATTRIBUTE_OF[field]] = _value(_ATTRIBUTE_OF[field], value)
    item[EVENTS] = {"L": [event_value(event) for event in message.events]}
    if not message.delivery_status.final:
        item[OPEN_STATUS] = {"S": open_status(message.id, message.delivery_status)}
    item[ID_KEY] = {"S": message.id}
    if message.sender_id is not None:
        item[SENDER_KEY] = {"S": sender_key(message.sender_id, shard_of(message.id, SENDER_SHARDS))}
    if message.reference is not None:
        item[REFERENCE_KEY] = {"S": message.reference}
    return item


def from_item(item: dict) -> Message:
    values = {}
    for attr, field in _FIELDS.items():
        if attr in item:
            value = _plain(item[attr])
            values[field] = _ENUMS[field](value) if field in _ENUMS else value
    return Message(**values, events=tuple(_event(av) for av in item.get(EVENTS, {}).get("L", [])))


def batch_counters(item: dict) -> dict[str, int]:
    """A batch item's status counters (`n<STATUS>`), its `total`, and `sending` (1 while SENDING)."""
    counts = {status.value: int(item.get(count_attribute(status), {}).get("N", "0")) for status in DeliveryStatus}
    counts["total"] = int(item.get("total", {}).get("N", "0"))
    counts["sending"] = int(item.get("status", {}).get("S") == "SENDING")
    return counts


def batch_summary(item: dict) -> dict:
    """What a batch that became final is announced with (webhooks/events.batch_event): id, reference,
    status, total, the non-zero counts by status, badRows, completedAt and the creating client."""
    counts = batch_counters(item)
    return {
        "id": item["id"]["S"], "reference": item.get("reference", {}).get("S"), "status": item["status"]["S"],
        "total": counts["total"], "counts": {s.value: counts[s.value] for s in DeliveryStatus if counts[s.value]},
        "badRows": int(item.get("badRows", {}).get("N", "0")), "completedAt": item.get("completedAt", {}).get("S"),
        "clientId": item.get("clientId", {}).get("S"),
    }

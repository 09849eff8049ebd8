"""The batches domain's table operations: the batch item, the list of batches, bulk record writes.

Batch: PK "BATCH#<id>", SK "BATCH" (status, total, content, counts `n<STATUS>`, `slicesDone` (slices
recorded), `slicesQueued` (slices whose jobs are queued), `sendAt`, `clientId`, errors).
List entry: PK "BATCHES", SK "BATCH#<id>" (written once, with the batch), so getBatches is one Query
then one BatchGetItem of the batch items. Idempotency key: PK = SK = "IDEMPOTENCY#BATCH#<key>" (any
client but the stack's: "IDEMPOTENCY-CLIENT#<clientId>#BATCH#<key>"), with the batch in one transaction. Records: BatchWriteItem, 25 a call, unprocessed items written again. A
batch's records, in row order: Query of the `byBatch` index (its sort key is the record's SK, and a
row's message id grows with the row number).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from botocore.exceptions import ClientError

from messenger.batches.models import Batch, BatchStatus, RowError
from messenger.batches.records import from_batch_item, to_batch_item
from messenger.core.errors import StatusConflict
from messenger.messages.dal import (
    MessagesTable,
    batch_counters,
    batch_key,
    batch_summary,
    is_condition_failure,
    message_key,
    to_item,
)
from messenger.messages.models import DeliveryStatus, Message
from messenger.sending.dal import idempotency_item_key, live_first_release_key
from messenger.messages.records import (
    BATCH_INDEX,
    BATCH_KEY,
    BATCH_PREFIX,
    MESSAGE_PREFIX,
    count_attribute,
    from_item,
)

LIST_PARTITION = "BATCHES"
WRITE_BATCH = 25  # BatchWriteItem's limit
READ_BATCH = 100  # BatchGetItem's limit
MAX_ATTEMPTS = 8
TRANSACTION_ATTEMPTS = 4


class BatchesTable(MessagesTable):
    def __init__(self, client, table_name: str, sleep=time.sleep) -> None:
        super().__init__(client, table_name)
        self._sleep = sleep
        self.write_calls = 0  # BatchWriteItem calls made (the bench reads it)

    # -- the batch -----------------------------------------------------------------------------
    def create_batch(self, batch: Batch, key: str | None = None, fingerprint: str | None = None,
                     expires_at: int = 0, now_epoch: int = 0) -> tuple[str, str] | None:
        """Write the batch and its list entry (and its idempotency key) in one transaction.

        With a key that is already live, nothing is written: returns (its fingerprint, its batch id).
        """
        puts = [
            {"Put": {"TableName": self._table, "Item": to_batch_item(batch),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self._table,
                     "Item": {"PK": {"S": LIST_PARTITION}, "SK": {"S": BATCH_PREFIX + batch.id}, "id": {"S": batch.id}}}},
        ]
        if key is None:
            self._db.transact_write_items(TransactItems=puts)
            return None
        old = self._first_release_batch(key, batch.client_id, now_epoch)
        if old is not None:
            return old["fingerprint"]["S"], old["batchId"]["S"]
        key_item = idempotency_item_key(key, batch.client_id)
        puts.append({"Put": {
            "TableName": self._table,
            "Item": {**key_item, "fingerprint": {"S": fingerprint}, "batchId": {"S": batch.id},
                     "expiresAt": {"N": str(expires_at)}},
            "ConditionExpression": "attribute_not_exists(PK) OR expiresAt < :now",
            "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
        }})
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self._db.transact_write_items(TransactItems=puts)
                return None
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
            found = self._db.get_item(TableName=self._table, Key=key_item, ConsistentRead=True).get("Item")
            if found is not None and int(found["expiresAt"]["N"]) >= now_epoch:
                # a sendMessage key named "BATCH#<key>" holds a message: its fingerprint never matches
                return found["fingerprint"]["S"], found.get("batchId", {}).get("S", "")
            self._sleep(0.05 * 2**attempt)
        raise StatusConflict("idempotency key: transaction kept conflicting")

    def key_is_live(self, key: str, now_epoch: int, client_id: str | None = None) -> bool:
        """Whether `client_id`'s idempotency key names a batch already (a replay), one consistent GetItem."""
        return self.live_key(key, now_epoch, client_id) is not None

    def live_key(self, key: str, now_epoch: int, client_id: str | None = None) -> tuple[str, str] | None:
        """`client_id`'s live idempotency key that names a batch: (its fingerprint, its batch id), or None."""
        key_item = idempotency_item_key(key, client_id)
        found = self._db.get_item(TableName=self._table, Key=key_item, ConsistentRead=True).get("Item")
        if found is not None and "batchId" in found and int(found["expiresAt"]["N"]) >= now_epoch:
            return found["fingerprint"]["S"], found["batchId"]["S"]
        old = self._first_release_batch(key, client_id, now_epoch)
        return (old["fingerprint"]["S"], old["batchId"]["S"]) if old is not None else None

    def _first_release_batch(self, key: str, client_id: str | None, now_epoch: int) -> dict | None:
        """This client's key under its first-release name, naming its batch (or a batch recorded before
        batches named their client, whose owner is unknown: replayed as before rather than sent twice)."""
        old = live_first_release_key(self._db, self._table, key, client_id, now_epoch)
        if old is None or "batchId" not in old:
            return None
        owner = self._db.get_item(TableName=self._table, Key=batch_key(old["batchId"]["S"]),
                                  ProjectionExpression="clientId", ConsistentRead=True).get("Item")
        return old if owner is not None and owner.get("clientId", {}).get("S") in (None, client_id) else None

    def get_batch(self, batch_id: str) -> Batch | None:
        item = self._db.get_item(TableName=self._table, Key=batch_key(batch_id), ConsistentRead=True).get("Item")
        return from_batch_item(item) if item else None

    def page_batches(self, limit: int, after: str | None) -> tuple[list[Batch], bool]:
        """Newest first: one Query of the list, one BatchGetItem of the batches it names."""
        request = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": LIST_PARTITION}, ":prefix": {"S": BATCH_PREFIX}},
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if after:
            request["ExclusiveStartKey"] = {"PK": {"S": LIST_PARTITION}, "SK": {"S": BATCH_PREFIX + after}}
        ids = [item["id"]["S"] for item in self._db.query(**request)["Items"]]
        more, ids = len(ids) > limit, ids[:limit]
        found = {item["id"]["S"]: from_batch_item(item) for item in self._get_many([batch_key(i) for i in ids])}
        return [found[i] for i in ids if i in found], more

    def start_sending(self, batch_id: str, total: int, now: str) -> bool:
        """An upload whose rows are all valid: VALIDATING -> SENDING with its total."""
        return self._update_status(batch_id, BatchStatus.VALIDATING, "SET #status = :to, #total = :total, updatedAt = :now",
                                   {":to": {"S": BatchStatus.SENDING.value}, ":total": {"N": str(total)},
                                    ":now": {"S": now}})

    def fail_batch(self, batch_id: str, errors: list[RowError], bad_rows: int, total: int, now: str) -> dict | None:
        """VALIDATING -> FAILED, once: the batch as failed (batch_summary) to the one write that did it."""
        return self._update_status(
            batch_id, BatchStatus.VALIDATING,
            "SET #status = :to, errors = :errors, badRows = :bad, #total = :total, updatedAt = :now, completedAt = :now",
            {":to": {"S": BatchStatus.FAILED.value}, ":bad": {"N": str(bad_rows)}, ":total": {"N": str(total)},
             ":errors": {"S": json.dumps([e.to_graphql() for e in errors], separators=(",", ":"))},
             ":now": {"S": now}}, summary=True)

    def _update_status(self, batch_id: str, expected: BatchStatus, update: str, values: dict, summary: bool = False):
        """True (or, with `summary`, the batch as written) when the batch was `expected`; False/None else."""
        try:
            answer = self._db.update_item(
                TableName=self._table, Key=batch_key(batch_id), UpdateExpression=update,
                ConditionExpression="#status = :from", ExpressionAttributeNames={"#status": "status", "#total": "total"},
                ExpressionAttributeValues={**values, ":from": {"S": expected.value}},
                **({"ReturnValues": "ALL_NEW"} if summary else {}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None if summary else False
            raise
        return batch_summary(answer["Attributes"]) if summary else True

    def move_batch(self, batch_id: str, expected: tuple[BatchStatus, ...], to: BatchStatus, now: str, *,
                   total: int | None = None, errors: list[RowError] | None = None) -> dict | bool:
        """The batch from one of `expected` to `to` (a conditional write); False when it was in none of them.
        A final status sets `completedAt` and answers the batch as written (batch_summary: only the one
        write that made it final gets it, to announce it); `errors` replaces the batch's errors."""
        values = {":to": {"S": to.value}, ":now": {"S": now}}
        sets = ["#status = :to", "updatedAt = :now"]
        if to.final:
            sets.append("completedAt = :now")
        if total is not None:
            values[":total"] = {"N": str(total)}
            sets.append("#total = :total")
        if errors is not None:
            values[":errors"] = {"S": json.dumps([e.to_graphql() for e in errors], separators=(",", ":"))}
            sets.append("errors = :errors")
        names = {"#status": "status", **({"#total": "total"} if total is not None else {})}
        froms = []
        for i, status in enumerate(expected):
            values[f":from{i}"] = {"S": status.value}
            froms.append(f":from{i}")
        try:
            answer = self._db.update_item(
                TableName=self._table, Key=batch_key(batch_id), UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"#status IN ({', '.join(froms)})", ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, **({"ReturnValues": "ALL_NEW"} if to.final else {}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return batch_summary(answer["Attributes"]) if to.final else True

    def commit_queued(self, batch_id: str, index: int, now: str) -> bool:
        """Record that slice `index`'s jobs are queued, once; False if it was recorded already."""
        try:
            self._db.update_item(
                TableName=self._table, Key=batch_key(batch_id),
                UpdateExpression="SET slicesQueued = :next, updatedAt = :now",
                ConditionExpression="slicesQueued = :index OR (attribute_not_exists(slicesQueued) AND :index = :zero)",
                ExpressionAttributeValues={":index": {"N": str(index)}, ":next": {"N": str(index + 1)},
                                           ":zero": {"N": "0"}, ":now": {"S": now}},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def set_counts(self, batch_id: str, counts: dict[DeliveryStatus, int]) -> None:
        """Replace the status counts (an interrupted batch whose records were never all counted)."""
        names = {f"#c{i}": count_attribute(s) for i, s in enumerate(DeliveryStatus)}
        values = {f":c{i}": {"N": str(counts.get(s, 0))} for i, s in enumerate(DeliveryStatus)}
        self._db.update_item(TableName=self._table, Key=batch_key(batch_id),
                             UpdateExpression="SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(names))),
                             ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def batch_messages(self, batch_id: str, from_id: str | None = None) -> Iterator[Message]:
        """The batch's records in row order (from the row whose message id is `from_id`), one Query a page.
        The index is eventually consistent: a record written a moment ago may be missing (callers check)."""
        request = {
            "TableName": self._table, "IndexName": BATCH_INDEX,
            "KeyConditionExpression": "#batch = :batch AND SK >= :from",
            "ExpressionAttributeNames": {"#batch": BATCH_KEY},
            "ExpressionAttributeValues": {":batch": {"S": batch_id}, ":from": {"S": MESSAGE_PREFIX + (from_id or "")}},
        }
        while True:
            response = self._db.query(**request)
            yield from (from_item(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def commit_slice(self, batch_id: str, index: int, queued: int, failed: int, now: str,
                     counted: DeliveryStatus = DeliveryStatus.QUEUED) -> dict | None:
        """Record slice `index` as done and count its messages (`queued` of them under `counted`), once;
        None if it was recorded already."""
        try:
            result = self._db.update_item(
                TableName=self._table,
                Key=batch_key(batch_id),
                UpdateExpression="SET slicesDone = :next, updatedAt = :now ADD #queued :queued, #failed :failed",
                ConditionExpression="slicesDone = :index",
                ExpressionAttributeNames={"#queued": count_attribute(counted),
                                          "#failed": count_attribute(DeliveryStatus.FAILED)},
                ExpressionAttributeValues={":index": {"N": str(index)}, ":next": {"N": str(index + 1)},
                                           ":queued": {"N": str(queued)}, ":failed": {"N": str(failed)},
                                           ":now": {"S": now}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return batch_counters(result["Attributes"])

    # -- the records, in bulk --------------------------------------------------------------------
    def existing(self, messages: list[Message]) -> set[str]:
        keys = [message_key(m.to, m.id) for m in messages]
        return {item["SK"]["S"].split("#", 1)[1] for item in self._get_many(keys, projection="SK")}

    def put_messages(self, messages: list[Message]) -> int:
        """BatchWriteItem, 25 records a call; what DynamoDB leaves unprocessed is written again."""
        calls = 0
        for start in range(0, len(messages), WRITE_BATCH):
            pending = [{"PutRequest": {"Item": to_item(m)}} for m in messages[start:start + WRITE_BATCH]]
            for attempt in range(MAX_ATTEMPTS):
                calls += 1
                response = self._db.batch_write_item(RequestItems={self._table: pending})
                pending = response.get("UnprocessedItems", {}).get(self._table, [])
                if not pending:
                    break
                self._sleep(min(0.05 * 2**attempt, 2))
            else:
                raise StatusConflict(f"{len(pending)} records stayed unprocessed")
        self.write_calls += calls
        return calls

    def _get_many(self, keys: list[dict], projection: str | None = None) -> list[dict]:
        found = []
        for start in range(0, len(keys), READ_BATCH):
            request = {"Keys": keys[start:start + READ_BATCH], "ConsistentRead": True}
            if projection:
                request["ProjectionExpression"] = projection
            for attempt in range(MAX_ATTEMPTS):
                response = self._db.batch_get_item(RequestItems={self._table: request})
                found += response.get("Responses", {}).get(self._table, [])
                left = response.get("UnprocessedKeys", {}).get(self._table)
                if not left:
                    break
                request = left
                self._sleep(min(0.05 * 2**attempt, 2))
        return found

"""The limits' counters in the one table: PK = SK = "LIMIT#<subject>#<window start>", a `count`,
and `expiresAt` (the table's TTL) just after the window ends.

One TransactWriteItems per send: an Update per counter, each `ADD count 1` on the condition that
the count is below its limit. DynamoDB applies all or none, so a refused send consumes nothing.
"""

from __future__ import annotations

import random
import time

from botocore.exceptions import ClientError

from messenger.limits.models import ContendedCounters, Counter

CONFLICT_ATTEMPTS = 5


class LimitsTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _update(self, counter: Counter, amount: int = 1) -> dict:
        key = {"S": counter.key}
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"PK": key, "SK": key},
                "UpdateExpression": "ADD #count :one SET expiresAt = :expires",
                # Room for `amount` more: count + amount <= limit (for one: count < limit).
                "ConditionExpression": "attribute_not_exists(#count) OR #count <= :room",
                "ExpressionAttributeNames": {"#count": "count"},
                "ExpressionAttributeValues": {
                    ":one": {"N": str(amount)},
                    ":room": {"N": str(counter.limit - amount)},
                    ":expires": {"N": str(counter.expires_at)},
                },
            }
        }

    def consume(self, counters: list[Counter], amount: int = 1) -> int | None:
        """`amount` of every counter (a batch's rows), all or none; the caller refuses an amount over a
        limit before asking (a fresh counter's item has no count to compare)."""
        items = [self._update(counter, amount) for counter in counters]
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self._db.transact_write_items(TransactItems=items)
                return None
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                codes = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
                if "ConditionalCheckFailed" in codes:
                    return codes.index("ConditionalCheckFailed")
                if "TransactionConflict" not in codes:
                    raise
            # Another send's transaction holds one of these counters: try again shortly.
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
        raise ContendedCounters()

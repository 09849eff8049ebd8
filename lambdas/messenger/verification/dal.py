"""Verifications in the table.

- the verification: PK = SK = "VERIFICATION#<id>" (to, channel, reference, codeHash, status, createdAt,
  validUntil, checks, sends), removed by the TTL a day after it expires;
- the latest verification of a number or address: PK = SK = "VERIFICATION#TO#<to>" (verificationId);
- the starts of a number in one clock hour: PK = SK = "VERIFYRATE#<to>#<yyyy-mm-ddThh>" (n), TTL 2 h.
Checks and sends are counted by conditional updates, so concurrent checks cannot exceed the limit and
only one of them can approve.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.messages.dal import is_condition_failure
from messenger.verification.models import Verification, VerificationStatus

PREFIX = "VERIFICATION#"
LATEST_PREFIX = "VERIFICATION#TO#"
RATE_PREFIX = "VERIFYRATE#"


def _key(value: str) -> dict:
    return {"PK": {"S": value}, "SK": {"S": value}}


def _from_item(item: dict) -> Verification:
    return Verification(
        id=item["PK"]["S"][len(PREFIX):], to=item["to"]["S"], channel=item["channel"]["S"],
        reference=item.get("reference", {}).get("S"), code_hash=item["codeHash"]["S"],
        status=VerificationStatus(item["status"]["S"]), created_at=item["createdAt"]["S"],
        valid_until=item["validUntil"]["S"], checks=int(item["checks"]["N"]), sends=int(item["sends"]["N"]),
    )


class VerificationTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def take_start(self, to: str, hour: str, limit: int, expires_at: int) -> bool:
        """Count one start of `to` in this hour; False (nothing counted) once `limit` were made."""
        try:
            self._db.update_item(
                TableName=self._table, Key=_key(f"{RATE_PREFIX}{to}#{hour}"),
                UpdateExpression="ADD n :one SET expiresAt = :ttl",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(limit)}, ":ttl": {"N": str(expires_at)}},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def create(self, verification: Verification, expires_at: int) -> None:
        item = {
            **_key(PREFIX + verification.id), "to": {"S": verification.to}, "channel": {"S": verification.channel},
            "codeHash": {"S": verification.code_hash}, "status": {"S": verification.status.value},
            "createdAt": {"S": verification.created_at}, "validUntil": {"S": verification.valid_until},
            "checks": {"N": str(verification.checks)}, "sends": {"N": str(verification.sends)},
            "expiresAt": {"N": str(expires_at)},
        }
        if verification.reference is not None:
            item["reference"] = {"S": verification.reference}
        latest = {**_key(LATEST_PREFIX + verification.to), "verificationId": {"S": verification.id},
                  "expiresAt": {"N": str(expires_at)}}
        self._db.transact_write_items(TransactItems=[
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self._table, "Item": latest}},
        ])

    def get(self, verification_id: str) -> Verification | None:
        item = self._db.get_item(TableName=self._table, Key=_key(PREFIX + verification_id), ConsistentRead=True).get("Item")
        return _from_item(item) if item else None

    def latest(self, to: str) -> Verification | None:
        item = self._db.get_item(TableName=self._table, Key=_key(LATEST_PREFIX + to), ConsistentRead=True).get("Item")
        return self.get(item["verificationId"]["S"]) if item else None

    def _update(self, verification_id: str, update: str, condition: str, values: dict) -> Verification | None:
        try:
            result = self._db.update_item(
                TableName=self._table, Key=_key(PREFIX + verification_id), UpdateExpression=update,
                ConditionExpression="attribute_exists(PK) AND #status = :pending AND " + condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":pending": {"S": VerificationStatus.PENDING.value}, **values},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return _from_item(result["Attributes"])

    def resend(self, verification_id: str, new_hash: str, max_sends: int, now: str) -> Verification | None:
        """A new code on a pending, unexpired verification with sends left; None otherwise."""
        return self._update(
            verification_id, "SET codeHash = :hash, sends = sends + :one", "sends < :max AND validUntil > :now",
            {":hash": {"S": new_hash}, ":one": {"N": "1"}, ":max": {"N": str(max_sends)}, ":now": {"S": now}},
        )

    def count_check(self, verification_id: str, max_checks: int, now: str) -> Verification | None:
        """One check used, before the code is compared; None when none is left, or it expired or settled."""
        return self._update(
            verification_id, "SET checks = checks + :one", "checks < :max AND validUntil > :now",
            {":one": {"N": "1"}, ":max": {"N": str(max_checks)}, ":now": {"S": now}},
        )

    def settle(self, verification_id: str, status: VerificationStatus) -> Verification | None:
        """PENDING -> `status`, once: None when it was no longer pending."""
        return self._update(verification_id, "SET #status = :target", "attribute_exists(codeHash)",
                            {":target": {"S": status.value}})

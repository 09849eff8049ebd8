"""Webhooks in the table.

Webhooks: PK "WEBHOOK", SK "WEBHOOK#<id>" (getWebhooks and the worker's fan-out: one Query). The item
holds the signing secret(s): the worker needs them in clear to sign, and the table is encrypted at rest
(AWS managed KMS key, stacks/constructs/table.py); no other function reads these items.
Attempts: PK "WEBHOOK#<id>", SK "ATTEMPT#<ULID>", expiring after ATTEMPT_TTL_DAYS.
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from messenger.messages.dal import is_condition_failure
from messenger.webhooks.models import Attempt, Webhook, WebhookEvent

PARTITION = "WEBHOOK"
PREFIX = "WEBHOOK#"
ATTEMPT = "ATTEMPT#"
ATTEMPT_TTL_DAYS = 30


def _key(webhook_id: str) -> dict:
    return {"PK": {"S": PARTITION}, "SK": {"S": PREFIX + webhook_id}}


def _s(item: dict, name: str) -> str | None:
    return item.get(name, {}).get("S")


def _webhook(item: dict) -> Webhook:
    return Webhook(
        id=item["SK"]["S"][len(PREFIX):], url=item["url"]["S"],
        events=tuple(WebhookEvent(e) for e in item["events"]["SS"]), created_at=item["createdAt"]["S"],
        secret=item["secret"]["S"], description=_s(item, "description"),
        previous_secret=_s(item, "previousSecret"), previous_secret_until=_s(item, "previousSecretUntil"),
        failing_since=_s(item, "failingSince"), disabled=item.get("disabled", {}).get("BOOL", False),
        disabled_at=_s(item, "disabledAt"),
    )


def _attempt(item: dict) -> Attempt:
    return Attempt(
        webhook_id=item["PK"]["S"][len(PREFIX):], event_id=item["eventId"]["S"], event_type=item["eventType"]["S"],
        attempt=int(item["attempt"]["N"]), at=item["at"]["S"],
        http_status=int(item["httpStatus"]["N"]) if "httpStatus" in item else None, error=_s(item, "error"),
        delivered=item.get("delivered", {}).get("BOOL", False), next_retry_at=_s(item, "nextRetryAt"),
    )


class WebhooksTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def add(self, webhook: Webhook) -> None:
        item = {
            **_key(webhook.id), "url": {"S": webhook.url}, "events": {"SS": [e.value for e in webhook.events]},
            "createdAt": {"S": webhook.created_at}, "secret": {"S": webhook.secret}, "disabled": {"BOOL": False},
        }
        if webhook.description:
            item["description"] = {"S": webhook.description}
        self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(PK)")

    def get(self, webhook_id: str) -> Webhook | None:
        item = self._db.get_item(TableName=self._table, Key=_key(webhook_id), ConsistentRead=True).get("Item")
        return _webhook(item) if item else None

    def all(self) -> list[Webhook]:
        request = {
            "TableName": self._table, "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": PARTITION}, ":prefix": {"S": PREFIX}},
        }
        found = []
        while True:
            response = self._db.query(**request)
            found += [_webhook(item) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def delete(self, webhook_id: str) -> bool:
        old = self._db.delete_item(TableName=self._table, Key=_key(webhook_id), ReturnValues="ALL_OLD")
        return "Attributes" in old

    def _update(self, webhook_id: str, expression: str, values: dict, condition: str = "") -> Webhook | None:
        try:
            answer = self._db.update_item(
                TableName=self._table, Key=_key(webhook_id), UpdateExpression=expression,
                ConditionExpression="attribute_exists(PK)" + (f" AND {condition}" if condition else ""),
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return _webhook(answer["Attributes"])

    def rotate(self, webhook_id: str, new_secret: str, previous_until: str) -> Webhook | None:
        return self._update(
            webhook_id, "SET previousSecret = secret, previousSecretUntil = :until, secret = :new",
            {":new": {"S": new_secret}, ":until": {"S": previous_until}},
        )

    def enable(self, webhook_id: str) -> Webhook | None:
        return self._update(
            webhook_id, "SET disabled = :no REMOVE failingSince, disabledAt", {":no": {"BOOL": False}}
        )

    def delivered(self, webhook_id: str) -> None:
        self._update(webhook_id, "REMOVE failingSince", {":no": {"BOOL": False}}, "disabled = :no")

    def failed(self, webhook_id: str, now: str, disable_if_failing_since: str) -> Webhook | None:
        """Note a failure; disable the webhook when it has been failing since before the given time."""
        webhook = self._update(webhook_id, "SET failingSince = if_not_exists(failingSince, :now)", {":now": {"S": now}})
        if webhook and not webhook.disabled and webhook.failing_since and webhook.failing_since <= disable_if_failing_since:
            return self._update(
                webhook_id, "SET disabled = :yes, disabledAt = :now", {":yes": {"BOOL": True}, ":now": {"S": now}}
            )
        return webhook

    def record(self, attempt: Attempt, attempt_id: str) -> None:
        item = {
            "PK": {"S": PREFIX + attempt.webhook_id}, "SK": {"S": ATTEMPT + attempt_id},
            "eventId": {"S": attempt.event_id}, "eventType": {"S": attempt.event_type},
            "attempt": {"N": str(attempt.attempt)}, "at": {"S": attempt.at}, "delivered": {"BOOL": attempt.delivered},
            "expiresAt": {"N": str(int(time.time()) + ATTEMPT_TTL_DAYS * 86400)},
        }
        if attempt.http_status is not None:
            item["httpStatus"] = {"N": str(attempt.http_status)}
        for name, value in (("error", attempt.error), ("nextRetryAt", attempt.next_retry_at)):
            if value:
                item[name] = {"S": value}
        self._db.put_item(TableName=self._table, Item=item)

    def attempts(self, webhook_id: str, limit: int, after: str | None) -> tuple[list[tuple[str, Attempt]], bool]:
        """Newest first: (attempt id, attempt)."""
        request = {
            "TableName": self._table, "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": PREFIX + webhook_id}, ":prefix": {"S": ATTEMPT}},
            "Limit": limit, "ScanIndexForward": False,
        }
        if after:
            request["ExclusiveStartKey"] = {"PK": {"S": PREFIX + webhook_id}, "SK": {"S": ATTEMPT + after}}
        response = self._db.query(**request)
        items = [(item["SK"]["S"][len(ATTEMPT):], _attempt(item)) for item in response["Items"]]
        return items, "LastEvaluatedKey" in response

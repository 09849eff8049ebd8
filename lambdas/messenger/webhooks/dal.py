"""Webhooks in the table.

Webhooks: PK "WEBHOOK", SK "WEBHOOK#<id>" (getWebhooks and the worker's fan-out: one Query). The item
holds the signing secret(s): the worker needs them in clear to sign, and the table is encrypted at rest
(AWS managed KMS key, stacks/constructs/table.py); no other function reads these items.
Subscriptions: PK "WEBHOOK", SK "SUBSCRIPTIONS": one string set per event type, the ids of the enabled
webhooks that take it; what a status writer reads (subscriptions.py) to know whether to enqueue at all,
without reading any secret. It is written with the webhook in one transaction when a webhook is
created, enabled or disabled; when one is deleted, right after it (a failure in between leaves an id
too many: an event enqueued for nobody, never an event lost).
Attempts: PK "WEBHOOK#<id>", SK "ATTEMPT#<ULID>", expiring after ATTEMPT_TTL_DAYS.
"""

from __future__ import annotations

import time

from dataclasses import replace

from botocore.exceptions import ClientError

from messenger.messages.dal import is_condition_failure, message_key
from messenger.webhooks.models import Attempt, Webhook, WebhookEvent

PARTITION = "WEBHOOK"
PREFIX = "WEBHOOK#"
ATTEMPT = "ATTEMPT#"
ATTEMPT_TTL_DAYS = 30
SUBSCRIPTIONS = {"PK": {"S": PARTITION}, "SK": {"S": "SUBSCRIPTIONS"}}
EVENT_TYPES = frozenset(e.value for e in WebhookEvent)


def _key(webhook_id: str) -> dict:
    return {"PK": {"S": PARTITION}, "SK": {"S": PREFIX + webhook_id}}


def _subscriptions_change(table: str, action: str, webhook_id: str, events) -> dict:
    """An UpdateItem request adding the id to (ADD) or removing it from (DELETE) each event type's set."""
    names = {f"#e{n}": event.value for n, event in enumerate(events)}
    return {
        "TableName": table, "Key": SUBSCRIPTIONS,
        "UpdateExpression": f"{action} " + ", ".join(f"{name} :id" for name in names),
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": {":id": {"SS": [webhook_id]}},
    }


def _s(item: dict, name: str) -> str | None:
    return item.get(name, {}).get("S")


def _webhook(item: dict) -> Webhook:
    return Webhook(
        id=item["SK"]["S"][len(PREFIX):], url=item["url"]["S"],
        events=tuple(WebhookEvent(e) for e in item["events"]["SS"]), created_at=item["createdAt"]["S"],
        secret=item["secret"]["S"], description=_s(item, "description"),
        previous_secret=_s(item, "previousSecret"), previous_secret_until=_s(item, "previousSecretUntil"),
        failing_since=_s(item, "failingSince"), disabled=item.get("disabled", {}).get("BOOL", False),
        disabled_at=_s(item, "disabledAt"), client_id=_s(item, "clientId"),
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
        if webhook.client_id:
            item["clientId"] = {"S": webhook.client_id}
        self._db.transact_write_items(TransactItems=[
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Update": _subscriptions_change(self._table, "ADD", webhook.id, webhook.events)},
        ])

    def subscribed_event_types(self) -> frozenset[str]:
        """The event types some enabled webhook takes: one eventually consistent read, no secret in it."""
        item = self._db.get_item(TableName=self._table, Key=SUBSCRIPTIONS).get("Item") or {}
        return frozenset(name for name, value in item.items() if name in EVENT_TYPES and value.get("SS"))

    def _unsubscribe(self, webhook: Webhook) -> None:
        self._db.update_item(**_subscriptions_change(self._table, "DELETE", webhook.id, webhook.events))

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
        if "Attributes" not in old:
            return False
        self._unsubscribe(_webhook(old["Attributes"]))
        return True

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
        webhook = self.get(webhook_id)
        if webhook is None:
            return None
        try:
            self._db.transact_write_items(TransactItems=[
                {"Update": {
                    "TableName": self._table, "Key": _key(webhook_id), "ConditionExpression": "attribute_exists(PK)",
                    "UpdateExpression": "SET disabled = :no REMOVE failingSince, disabledAt",
                    "ExpressionAttributeValues": {":no": {"BOOL": False}},
                }},
                {"Update": _subscriptions_change(self._table, "ADD", webhook.id, webhook.events)},
            ])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return None  # deleted in between
            raise
        return replace(webhook, disabled=False, failing_since=None, disabled_at=None)

    def delivered(self, webhook_id: str) -> None:
        self._update(webhook_id, "REMOVE failingSince", {":no": {"BOOL": False}}, "disabled = :no")

    def failed(self, webhook_id: str, now: str, disable_if_failing_since: str) -> Webhook | None:
        """Note a failure; disable the webhook when it has been failing since before the given time."""
        webhook = self._update(webhook_id, "SET failingSince = if_not_exists(failingSince, :now)", {":now": {"S": now}})
        if webhook and not webhook.disabled and webhook.failing_since and webhook.failing_since <= disable_if_failing_since:
            return self._disable(webhook, now)
        return webhook

    def _disable(self, webhook: Webhook, now: str) -> Webhook | None:
        """Disabled and out of the subscriptions in one step, so a concurrent enable cannot be undone."""
        try:
            self._db.transact_write_items(TransactItems=[
                {"Update": {
                    "TableName": self._table, "Key": _key(webhook.id),
                    "ConditionExpression": "attribute_exists(PK) AND disabled = :no",
                    "UpdateExpression": "SET disabled = :yes, disabledAt = :now",
                    "ExpressionAttributeValues": {":yes": {"BOOL": True}, ":no": {"BOOL": False}, ":now": {"S": now}},
                }},
                {"Update": _subscriptions_change(self._table, "DELETE", webhook.id, webhook.events)},
            ])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return self.get(webhook.id)  # deleted, or disabled by another attempt
            raise
        return replace(webhook, disabled=True, disabled_at=now)

    def message_recorded(self, party: str, message_id: str) -> bool:
        """Whether the message is still in the table (not erased, not expired): one GetItem of its key."""
        item = self._db.get_item(TableName=self._table, Key=message_key(party, message_id), ConsistentRead=True,
                                 ProjectionExpression="PK").get("Item")
        return item is not None

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

"""Templates in the table: the only DynamoDB code of the domain.

- Head, one per template: PK "TEMPLATES", SK "TEMPLATE#<id>": the latest version's content, its
  number and `archived`. One partition keeps getTemplates to one Query a page (as suppressions do).
- Version, one per version, never changed: PK "TEMPLATE#<id>", SK "VERSION#<n, 10 digits>".

A new version is one transaction: the version item if it does not exist yet, and the head if it
still names the version the update started from and is not archived. Two concurrent updates cannot
both win: the loser's transaction is cancelled and it tries again on top of the winner's version.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from messenger.messages.dal import is_condition_failure, partition_page
from messenger.messages.models import DeliveryMethod
from messenger.templates.models import Template

HEADS = "TEMPLATES"
HEAD_PREFIX = "TEMPLATE#"
VERSION_PREFIX = "VERSION#"


def head_key(template_id: str) -> dict:
    return {"PK": {"S": HEADS}, "SK": {"S": HEAD_PREFIX + template_id}}


def version_key(template_id: str, version: int) -> dict:
    return {"PK": {"S": HEAD_PREFIX + template_id}, "SK": {"S": f"{VERSION_PREFIX}{version:010d}"}}


def _content(template: Template) -> dict:
    item = {
        "id": {"S": template.id},
        "name": {"S": template.name},
        "channel": {"S": template.channel.value},
        "body": {"S": template.body},
        "version": {"N": str(template.version)},
        "placeholders": {"L": [{"S": name} for name in template.placeholders]},
        "createdAt": {"S": template.created_at},
        "updatedAt": {"S": template.updated_at},
    }
    if template.subject is not None:
        item["subject"] = {"S": template.subject}
    return item


def _from_item(item: dict, archived: bool | None = None) -> Template:
    return Template(
        id=item["id"]["S"],
        name=item["name"]["S"],
        channel=DeliveryMethod(item["channel"]["S"]),
        body=item["body"]["S"],
        version=int(item["version"]["N"]),
        placeholders=tuple(entry["S"] for entry in item["placeholders"]["L"]),
        created_at=item["createdAt"]["S"],
        updated_at=item["updatedAt"]["S"],
        subject=item.get("subject", {}).get("S"),
        archived=item.get("archived", {}).get("BOOL", False) if archived is None else archived,
    )


def _cancelled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException"


class TemplatesTable:
    def __init__(self, client, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _put(self, item: dict, condition: str, **expression) -> dict:
        return {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": condition, **expression}}

    def create(self, template: Template) -> None:
        head = {**head_key(template.id), **_content(template), "archived": {"BOOL": False}}
        self._db.transact_write_items(TransactItems=[
            self._put(head, "attribute_not_exists(PK)"),
            self._put({**version_key(template.id, template.version), **_content(template)}, "attribute_not_exists(PK)"),
        ])

    def add_version(self, template: Template, previous: int) -> bool:
        """Write `template` as the version after `previous`; False when another update or an archive came first."""
        head = {**head_key(template.id), **_content(template), "archived": {"BOOL": False}}
        try:
            self._db.transact_write_items(TransactItems=[
                self._put({**version_key(template.id, template.version), **_content(template)},
                          "attribute_not_exists(PK)"),
                self._put(head, "#v = :previous AND #archived = :false",
                          ExpressionAttributeNames={"#v": "version", "#archived": "archived"},
                          ExpressionAttributeValues={":previous": {"N": str(previous)}, ":false": {"BOOL": False}}),
            ])
        except ClientError as error:
            if _cancelled(error):
                return False
            raise
        return True

    def archive(self, template_id: str) -> Template | None:
        try:
            result = self._db.update_item(
                TableName=self._table, Key=head_key(template_id), UpdateExpression="SET archived = :true",
                ConditionExpression="attribute_exists(PK)", ExpressionAttributeValues={":true": {"BOOL": True}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return _from_item(result["Attributes"])

    def latest(self, template_id: str) -> Template | None:
        item = self._db.get_item(TableName=self._table, Key=head_key(template_id), ConsistentRead=True).get("Item")
        return _from_item(item) if item else None

    def version(self, template_id: str, version: int) -> Template | None:
        """One version with the template's `archived`: one BatchGetItem of the head and the version."""
        keys = [head_key(template_id), version_key(template_id, version)]
        request = {self._table: {"Keys": keys, "ConsistentRead": True}}
        items: list[dict] = []
        while request:
            response = self._db.batch_get_item(RequestItems=request)
            items += response["Responses"].get(self._table, [])
            request = response.get("UnprocessedKeys") or {}
        head = next((i for i in items if i["PK"]["S"] == HEADS), None)
        found = next((i for i in items if i["PK"]["S"] != HEADS), None)
        if head is None or found is None:
            return None
        return _from_item(found, archived=head["archived"]["BOOL"])

    def page(self, limit: int, after_id: str | None) -> tuple[list[Template], bool]:
        start = head_key(after_id) if after_id else None
        items, cut_short = partition_page(self._db, self._table, HEADS, HEAD_PREFIX, limit, start)
        return [_from_item(item) for item in items], cut_short

"""moto's DynamoDB in the local mode (local/moto_dynamodb.py): TransactWriteItems rolled back item by item
stays all-or-nothing with moto's own answers, a table copied outside a transaction is still a copy, and an
update expression's tree is copied as deepcopy copies it."""

from __future__ import annotations

import copy

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.parsing.expressions import UpdateExpressionParser

from local.moto_dynamodb import copy_tree, journal_transactions

TABLE = "t"


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    journal_transactions()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
        )  # fmt: skip
        for pk, count in (("A", 1), ("B", 5), ("K", 0)):
            client.put_item(TableName=TABLE, Item={"PK": {"S": pk}, "SK": {"S": "x"}, "n": {"N": str(count)}})
        yield client


def key(pk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": "x"}}


def everything(client) -> dict:
    return {i["PK"]["S"]: i.get("n", {}).get("N") for i in client.scan(TableName=TABLE)["Items"]}


def writes(condition_on: str) -> list[dict]:
    return [
        {"Update": {"TableName": TABLE, "Key": key("A"), "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": TABLE, "Item": {**key("C"), "n": {"N": "9"}}}},
        {"Delete": {"TableName": TABLE, "Key": key("B")}},
        {"ConditionCheck": {"TableName": TABLE, "Key": key(condition_on), "ConditionExpression": "attribute_exists(PK)"}},
    ]  # fmt: skip


def test_a_failed_transaction_leaves_every_item_as_it_was(table):
    with pytest.raises(ClientError) as raised:
        table.transact_write_items(TransactItems=writes(condition_on="missing"))
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "ConditionalCheckFailed" in raised.value.response["Error"]["Message"]
    assert everything(table) == {"A": "1", "B": "5", "K": "0"}


def test_a_refused_transaction_changes_nothing_either(table):
    twice = [writes("A")[1], {"Put": {"TableName": TABLE, "Item": {**key("C"), "n": {"N": "1"}}}}]
    with pytest.raises(ClientError, match="ValidationException"):
        table.transact_write_items(TransactItems=twice)
    assert everything(table) == {"A": "1", "B": "5", "K": "0"}


def test_a_transaction_that_passes_writes_everything(table):
    table.transact_write_items(TransactItems=writes(condition_on="K"))
    assert everything(table) == {"A": "2", "C": "9", "K": "0"}


def test_a_table_copied_outside_a_transaction_is_a_separate_copy(table):
    live = dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]
    copied = copy.deepcopy(live)
    assert copied is not live and copied.items is not live.items
    table.put_item(TableName=TABLE, Item={**key("D")})
    assert len(copied.items) == 3 and len(live.items) == 4


def shape(node) -> tuple:
    children = [shape(c) if hasattr(c, "children") else repr(c) for c in getattr(node, "children", None) or []]
    own = {k: repr(v) for k, v in vars(node).items() if k not in ("children", "parent")}
    return type(node).__name__, tuple(sorted(own.items())), tuple(children)


def nodes(node):
    yield node
    for child in getattr(node, "children", None) or []:
        if hasattr(child, "children"):
            yield from nodes(child)


def test_an_update_expression_tree_is_copied_as_deepcopy_copies_it():
    tree = UpdateExpressionParser.make("SET #s = :s, h = list_append(if_not_exists(h, :e), :h) REMOVE x ADD c :one")
    copied = copy_tree(tree)
    assert shape(copied) == shape(copy.deepcopy(tree)) == shape(tree)
    originals = {id(node) for node in nodes(tree)}
    for node in nodes(copied):
        assert id(node) not in originals
        for child in node.children or []:
            if getattr(child, "parent", None) is not None:
                assert child.parent is node
    with_values = {"to": ["a", {"b": 1}]}
    assert copy_tree(with_values) == with_values and copy_tree(with_values)["to"] is not with_values["to"]

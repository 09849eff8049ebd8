"""moto's DynamoDB Query in the local mode (local/moto_queries.py) answers what moto itself answers.

One script of writes (puts, updates that set, change and remove index attributes, deletes, batch writes,
a transaction that commits and one that is cancelled and rolled back) with queries between them (on the
table and on both kinds of index, forwards and backwards, paged, filtered, projected, counted) runs on
moto as shipped and again with the local mode's query by key; every answer must be the same."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_queries
from local.moto_dynamodb import journal_transactions

TABLE = "t"


def _create(dynamodb) -> None:
    dynamodb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "pid", "grp")],
        GlobalSecondaryIndexes=[
            {"IndexName": "byPid", "KeySchema": [{"AttributeName": "pid", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "byBatch", "KeySchema": [{"AttributeName": "grp", "KeyType": "HASH"},
                                                   {"AttributeName": "SK", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ])


def _pages(dynamodb, **query) -> list:
    """Every page of a query, as a client sees it."""
    pages, start = [], None
    while True:
        page = dynamodb.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((page.get("Items"), page["Count"], page["ScannedCount"], page.get("LastEvaluatedKey")))
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def _look(dynamodb) -> list:
    s = lambda v: {":v": {"S": v}}  # noqa: E731
    return [
        _pages(dynamodb, KeyConditionExpression="PK = :v", ExpressionAttributeValues=s("P1"), Limit=3),
        _pages(dynamodb, KeyConditionExpression="PK = :v", ExpressionAttributeValues=s("P2"),
               ScanIndexForward=False),
        _pages(dynamodb, KeyConditionExpression="PK = :v", ExpressionAttributeValues=s("nobody")),
        _pages(dynamodb, IndexName="byPid", KeyConditionExpression="pid = :v", ExpressionAttributeValues=s("x1")),
        _pages(dynamodb, IndexName="byPid", KeyConditionExpression="pid = :v", ExpressionAttributeValues=s("x2"),
               Limit=2, FilterExpression="attribute_exists(n)"),
        _pages(dynamodb, IndexName="byBatch", KeyConditionExpression="grp = :v AND begins_with(SK, :m)",
               ExpressionAttributeValues={":v": {"S": "B1"}, ":m": {"S": "M"}}, Limit=4),
        _pages(dynamodb, IndexName="byBatch", KeyConditionExpression="grp = :v", Select="COUNT",
               ExpressionAttributeValues=s("B2")),
        _pages(dynamodb, IndexName="byPid", KeyConditionExpression="pid = :v", ProjectionExpression="SK",
               ExpressionAttributeValues=s("x3"), ScanIndexForward=False),
    ]


def _item(pk: str, sk: str, **attrs: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}}


def _script() -> list:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    _create(dynamodb)
    seen = [_look(dynamodb)]  # the index map is built on an empty table, then kept by the writes
    for i in range(40):
        attrs = {"grp": f"B{i % 3}"} if i % 4 else {}
        if i % 5:
            attrs["pid"] = f"x{i % 4}"
        dynamodb.put_item(TableName=TABLE, Item=_item(f"P{i % 3}", f"M{i:03d}", n=str(i), **attrs))
    seen.append(_look(dynamodb))
    for i in range(0, 40, 3):  # set, change and remove the index attributes in place
        update = "SET pid = :p" if i % 2 else "REMOVE pid SET grp = :b"
        values = {":p": {"S": "x1"}} if i % 2 else {":b": {"S": "B2"}}
        dynamodb.update_item(TableName=TABLE, Key=_item(f"P{i % 3}", f"M{i:03d}"), UpdateExpression=update,
                             ExpressionAttributeValues=values)
    dynamodb.update_item(TableName=TABLE, Key=_item("P9", "new"), UpdateExpression="SET pid = :p",
                         ExpressionAttributeValues={":p": {"S": "x1"}})  # an update that creates the item
    seen.append(_error(lambda: dynamodb.update_item(
        TableName=TABLE, Key=_item("P1", "M001"), UpdateExpression="SET pid = :p",
        ConditionExpression="attribute_not_exists(PK)", ExpressionAttributeValues={":p": {"S": "x3"}})))
    for i in range(1, 40, 7):
        dynamodb.delete_item(TableName=TABLE, Key=_item(f"P{i % 3}", f"M{i:03d}"))
    seen.append(_look(dynamodb))
    dynamodb.batch_write_item(RequestItems={TABLE: [
        {"PutRequest": {"Item": _item("P1", "M100", pid="x2", grp="B1", n="1")}},
        {"PutRequest": {"Item": _item("P2", "M002", pid="x3")}},  # replaces an item: its grp goes
        {"DeleteRequest": {"Key": _item("P0", "M000")}},
    ]})
    seen.append(_look(dynamodb))
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": _item("P1", "M200", pid="x3", grp="B1")}},
        {"Update": {"TableName": TABLE, "Key": _item("P1", "M004"), "UpdateExpression": "SET pid = :p",
                    "ExpressionAttributeValues": {":p": {"S": "x3"}}}},
        {"Delete": {"TableName": TABLE, "Key": _item("P2", "M005")}},
    ])
    seen.append(_look(dynamodb))
    seen.append(_error(lambda: dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": _item("P1", "M300", pid="x1", grp="B1")}},
        {"Update": {"TableName": TABLE, "Key": _item("P1", "M007"), "UpdateExpression": "SET pid = :p",
                    "ExpressionAttributeValues": {":p": {"S": "x2"}}}},
        {"Delete": {"TableName": TABLE, "Key": _item("P2", "M008")}},
        {"ConditionCheck": {"TableName": TABLE, "Key": _item("P0", "M003"),
                            "ConditionExpression": "attribute_not_exists(PK)"}},
    ])))
    seen.append(_look(dynamodb))
    return seen


def _error(call) -> str | None:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    journal_transactions()  # the local mode's transactions, installed under both runs


def test_every_query_answers_what_moto_itself_answers(aws, monkeypatch):
    with mock_aws():
        by_moto = _script()
    for owner, name, replacement in moto_queries.replacements():
        monkeypatch.setattr(owner, name, replacement)
    with mock_aws():
        by_the_local_mode = _script()
    assert by_the_local_mode == by_moto
    assert by_moto[-2] == "TransactionCanceledException" and by_moto[2] == "ConditionalCheckFailedException"
    assert sum(page[1] for page in by_moto[-1][3]) >= 3  # the script finds something on the indexes


def test_an_index_query_reads_only_the_items_it_answers_with(aws, monkeypatch):
    """The point of it: a lookup on an index among 3,000 items does not list the table."""
    for owner, name, replacement in moto_queries.replacements():
        monkeypatch.setattr(owner, name, replacement)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        _create(dynamodb)
        for start in range(0, 3_000, 25):
            dynamodb.batch_write_item(RequestItems={TABLE: [
                {"PutRequest": {"Item": _item(f"P{i}", "M", pid=f"x{i}")}} for i in range(start, start + 25)]})
        from moto.dynamodb.models.table import Table

        listed = []
        monkeypatch.setattr(Table, "all_items", lambda self: listed.append(1) or [])
        found = dynamodb.query(TableName=TABLE, IndexName="byPid", KeyConditionExpression="pid = :v",
                               ExpressionAttributeValues={":v": {"S": "x1234"}})["Items"]
        found += dynamodb.query(TableName=TABLE, KeyConditionExpression="PK = :v",
                                ExpressionAttributeValues={":v": {"S": "P77"}})["Items"]
    assert [item["PK"]["S"] for item in found] == ["P1234", "P77"]
    assert listed == []

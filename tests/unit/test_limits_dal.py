"""The counters' table operations over moto: all-or-nothing, the full counter named, TTL set."""

import boto3
import pytest
from botocore.exceptions import ClientError
from messenger.limits.dal import LimitsTable
from messenger.limits.models import ContendedCounters, Counter

from tests.support import moto_service


@pytest.fixture(scope="module")
def table():
    """One moto table for the module (each test uses its own counter keys)."""
    with moto_service() as resources:
        yield LimitsTable(boto3.client("dynamodb"), resources.table_name), resources.table_name


def counter(key, limit, expires_at=2_000_000_000):
    return Counter(name=key, key=f"LIMIT#{key}", limit=limit, resets_at=expires_at - 60, expires_at=expires_at,
                   quota=False)


def count(table_name, key):
    item = boto3.client("dynamodb").get_item(TableName=table_name, Key={"PK": {"S": key}, "SK": {"S": key}})
    return item.get("Item")


def test_counts_up_to_the_limit_then_names_the_full_counter_and_moves_none(table):
    limits, name = table
    wide, narrow = counter("wide", 10), counter("narrow", 2)
    assert limits.consume([wide, narrow]) is None
    assert limits.consume([wide, narrow]) is None
    assert limits.consume([wide, narrow]) == 1
    assert limits.consume([narrow, wide]) == 0
    assert count(name, wide.key)["count"] == {"N": "2"}
    assert count(name, narrow.key)["count"] == {"N": "2"}
    assert count(name, wide.key)["expiresAt"] == {"N": "2000000000"}


def test_a_limit_of_one_allows_one(table):
    limits, _ = table
    assert limits.consume([counter("only-one", 1)]) is None
    assert limits.consume([counter("only-one", 1)]) == 0


class Conflicting:
    """A client whose transactions are cancelled for conflicts `times` times, then succeed."""

    def __init__(self, times, reasons=("None", "TransactionConflict")):
        self.times, self.calls, self.reasons = times, 0, reasons

    def transact_write_items(self, TransactItems):
        self.calls += 1
        if self.calls <= self.times:
            raise ClientError({"Error": {"Code": "TransactionCanceledException"},
                               "CancellationReasons": [{"Code": c} for c in self.reasons]}, "TransactWriteItems")


def test_conflicts_are_retried_then_reported_as_contention(monkeypatch):
    monkeypatch.setattr("messenger.limits.dal.time.sleep", lambda _: None)
    recovering = Conflicting(times=2)
    assert LimitsTable(recovering, "t").consume([counter("a", 1), counter("b", 1)]) is None
    assert recovering.calls == 3
    stuck = Conflicting(times=99)
    with pytest.raises(ContendedCounters):
        LimitsTable(stuck, "t").consume([counter("a", 1), counter("b", 1)])
    assert stuck.calls == 5


def test_other_cancellations_propagate():
    with pytest.raises(ClientError):
        LimitsTable(Conflicting(times=1, reasons=("ValidationError",)), "t").consume([counter("a", 1)])

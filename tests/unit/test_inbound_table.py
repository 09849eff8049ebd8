"""Inbound SMS in the real table (moto): recorded once per provider id, however often the provider or
the queue repeats it, with a marker that says which record it became and whether it was handled."""

from __future__ import annotations

import boto3
import pytest
from messenger.inbound.dal import InboundTable
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Direction, Message, Provider

from tests.support import table_items

PHONE, OURS, AT = "+254711000001", "12345", "2026-11-23T12:00:00.000Z"


@pytest.fixture
def table(empty_moto_table):
    return InboundTable(boto3.client("dynamodb"), empty_moto_table)


def inbound(message_id: str, provider_id: str = "ATSMS_1") -> Message:
    return Message(id=message_id, to=OURS, body="hello", delivery_method=DeliveryMethod.SMS,
                   delivery_status=DeliveryStatus.DELIVERED, provider=Provider.AFRICASTALKING, created_at=AT,
                   updated_at=AT, sender=PHONE, provider_message_id=provider_id, direction=Direction.INBOUND)


def test_an_sms_is_recorded_once_per_provider_id_and_a_repeat_names_the_first_record(table):
    first, again = "01ARZ3NDEKTSV4RRFFQ69G5FA1", "01ARZ3NDEKTSV4RRFFQ69G5FA2"
    assert table.record_inbound(inbound(first), 1_800_000_000) == (first, False, False)
    assert table.record_inbound(inbound(again), 1_800_000_000) == (first, True, False)
    table.mark_handled(Provider.AFRICASTALKING, "ATSMS_1")
    assert table.record_inbound(inbound(again), 1_800_000_000) == (first, True, True)
    records = [i for i in table_items(table._table) if i["PK"]["S"].startswith("MESSAGE#")]
    assert [(r["PK"]["S"], r["SK"]["S"]) for r in records] == [(f"MESSAGE#{PHONE}", f"MESSAGE#{first}")]


def test_the_marker_lives_as_long_as_the_record_and_names_its_party(table):
    table.record_inbound(inbound("01ARZ3NDEKTSV4RRFFQ69G5FA1"), 1_800_000_000)
    [marker] = [i for i in table_items(table._table) if not i["PK"]["S"].startswith("MESSAGE#")]
    assert (marker["party"]["S"], marker["expiresAt"]["N"], marker["handled"]["BOOL"]) == (PHONE, "1800000000", False)
    assert table.marker(Provider.AFRICASTALKING, "ATSMS_1") == ("01ARZ3NDEKTSV4RRFFQ69G5FA1", False)
    assert table.marker(Provider.SNS, "ATSMS_1") is None  # another provider's id space


def test_marking_an_unknown_sms_handled_writes_nothing(table):
    table.mark_handled(Provider.SNS, "nope")
    assert table_items(table._table) == []


def test_a_transaction_cancelled_for_another_reason_is_raised_for_sqs_to_retry(table, monkeypatch):
    from botocore.exceptions import ClientError

    def busy(**_):
        raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "TransactionConflict"}},
                          "TransactWriteItems")

    monkeypatch.setattr(table._db, "transact_write_items", busy)
    with pytest.raises(ClientError):
        table.record_inbound(inbound("01ARZ3NDEKTSV4RRFFQ69G5FA1"), 1_800_000_000)

"""The data-access layer's own guarantees, checked against stale copies of a record."""

import boto3
import pytest
from messenger.core.clock import SystemClock
from messenger.core.errors import StatusConflict
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider
from messenger.sending.dal import SendingTable

from tests.support import moto_service


@pytest.fixture
def table():
    with moto_service() as resources:
        yield SendingTable(boto3.client("dynamodb"), resources.table_name)


def pending(table) -> Message:
    now = SystemClock().now()
    message = Message(id="01G8NBDZ6YMH5SCEQ1BGR3QTWG", to="jane@example.com", body="b",
                      delivery_method=DeliveryMethod.EMAIL, delivery_status=DeliveryStatus.PENDING,
                      provider=Provider.SES, created_at=now, updated_at=now)
    table.create(message)
    return message


def test_a_stale_copy_cannot_move_a_record_backwards(table):
    stale = pending(table)
    table.transition(stale, DeliveryStatus.ACCEPTED, SystemClock().now(), provider_message_id="p-1")
    with pytest.raises(StatusConflict):
        table.transition(stale, DeliveryStatus.QUEUED, SystemClock().now())
    with pytest.raises(StatusConflict):
        table.transition(stale, DeliveryStatus.ACCEPTED, SystemClock().now(), provider_message_id="p-2")
    assert table.get(stale.to, stale.id).provider_message_id == "p-1"


def test_final_statuses_are_final(table):
    stale = pending(table)
    table.transition(stale, DeliveryStatus.ACCEPTED, SystemClock().now(), provider_message_id="p-1")
    table.transition(stale, DeliveryStatus.DELIVERED, SystemClock().now())
    for target in (DeliveryStatus.FAILED, DeliveryStatus.DELIVERED, DeliveryStatus.QUEUED):
        with pytest.raises(StatusConflict):
            table.transition(stale, target, SystemClock().now(), failure_reason="late")
    assert table.get(stale.to, stale.id).delivery_status is DeliveryStatus.DELIVERED


def test_a_record_is_written_once(table):
    message = pending(table)
    with pytest.raises(Exception) as error:
        table.create(message)
    assert "ConditionalCheckFailed" in str(error.value)


def test_settling_needs_the_claim_that_was_granted(table):
    message = pending(table)
    queued = table.transition(message, DeliveryStatus.QUEUED, SystemClock().now())
    assert table.claim(queued.to, queued.id, "mine", SystemClock().now(), SystemClock().ago(30)).granted
    with pytest.raises(StatusConflict):
        table.transition(queued, DeliveryStatus.ACCEPTED, SystemClock().now(), claim_token="someone-else")
    accepted = table.transition(queued, DeliveryStatus.ACCEPTED, SystemClock().now(), claim_token="mine")
    assert accepted.delivery_status is DeliveryStatus.ACCEPTED


def test_history_keys_are_sparse_and_set_only_with_their_field():
    from messenger.messages.models import (
        DeliveryMethod,
        DeliveryStatus,
        Message,
        Provider,
    )
    from messenger.messages.records import to_item

    base = Message(id="01KG8Q0W3V0000000000000001", to="user@example.com", body="b",
                   delivery_method=DeliveryMethod.EMAIL, delivery_status=DeliveryStatus.PENDING,
                   provider=Provider.SES, created_at="2026-01-31T09:00:00.000Z", updated_at="2026-01-31T09:00:00.000Z")
    plain = to_item(base)
    assert plain["idKey"] == {"S": base.id} and "senderKey" not in plain and "referenceKey" not in plain
    keyed = to_item(Message(**{**base.__dict__, "sender_id": "shop", "reference": "order-1"}))
    assert keyed["senderKey"] == {"S": "shop#0"} and keyed["referenceKey"] == {"S": "order-1"}


def test_only_a_failed_condition_counts_as_one():
    from botocore.exceptions import ClientError
    from messenger.messages.dal import is_condition_failure

    assert is_condition_failure(ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem"))
    assert not is_condition_failure(ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem"))
    assert not is_condition_failure(ClientError({}, "PutItem"))


def test_the_first_ulid_has_no_predecessor():
    from messenger.messages import ulids

    assert ulids.predecessor(ulids.to_text(0)) is None
    assert ulids.predecessor(ulids.to_text(5)) == ulids.to_text(4)


class OnePage:
    """A DynamoDB client answering one Query, as given, and keeping the request."""

    def __init__(self, answer: dict) -> None:
        self.answer, self.requests = answer, []

    def query(self, **request):
        self.requests.append(request)
        return self.answer


def test_a_partition_page_says_whether_dynamodb_stopped_before_the_partition_ended():
    from messenger.messages.dal import partition_page

    items = [{"PK": {"S": "P"}, "SK": {"S": "X#1"}}]
    stopped = OnePage({"Items": items, "LastEvaluatedKey": items[0]})
    assert partition_page(stopped, "t", "P", "X#", 5, None) == (items, True)
    assert stopped.requests == [{
        "TableName": "t", "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": "P"}, ":prefix": {"S": "X#"}}, "Limit": 5}]
    ended = OnePage({"Items": items})
    assert partition_page(ended, "t", "P", "X#", 5, {"PK": {"S": "P"}, "SK": {"S": "X#0"}}) == (items, False)
    assert ended.requests[0]["ExclusiveStartKey"] == {"PK": {"S": "P"}, "SK": {"S": "X#0"}}


def test_a_final_batch_is_announced_with_its_summary():
    from messenger.messages.dal import batch_summary

    item = {"id": {"S": "B1"}, "status": {"S": "COMPLETED"}, "total": {"N": "5"}, "nDELIVERED": {"N": "4"},
            "nFAILED": {"N": "1"}, "nQUEUED": {"N": "0"}, "badRows": {"N": "2"}, "reference": {"S": "promo"},
            "completedAt": {"S": "2026-01-01T00:00:00.000Z"}, "clientId": {"S": "c1"}}
    assert batch_summary(item) == {
        "id": "B1", "reference": "promo", "status": "COMPLETED", "total": 5,
        "counts": {"DELIVERED": 4, "FAILED": 1}, "badRows": 2, "completedAt": "2026-01-01T00:00:00.000Z",
        "clientId": "c1"}
    bare = batch_summary({"id": {"S": "B2"}, "status": {"S": "CANCELLED"}})
    assert bare == {"id": "B2", "reference": None, "status": "CANCELLED", "total": 0, "counts": {}, "badRows": 0,
                    "completedAt": None, "clientId": None}

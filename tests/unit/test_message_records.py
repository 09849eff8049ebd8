"""The message record as DynamoDB stores it (messages/records.py): every attribute's name and type, the
sparse index keys, the timeline, and the way back to a Message."""

import zlib

import pytest
from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Direction,
    Message,
    MessageEvent,
    Provider,
)
from messenger.messages.records import (
    OPEN_SHARDS,
    attribute_of,
    attribute_value,
    batch_key,
    count_attribute,
    event_value,
    from_item,
    message_key,
    open_status,
    sender_key,
    shard_of,
    to_item,
)

ID = "01KG8Q0W3V0000000000000001"
AT = "2026-01-31T09:00:00.000Z"
LATER = "2026-01-31T09:00:02.500Z"

EVERY_FIELD = Message(
    id=ID, to="+14155550123", body="Your code", delivery_method=DeliveryMethod.SMS,
    delivery_status=DeliveryStatus.DELIVERED, provider=Provider.AFRICASTALKING, created_at=AT, updated_at=LATER,
    sender="SHOP", subject="Hi", recipient_id="customer-7", sender_id="shop", reference="order-1",
    provider_message_id="ATXid_1", failure_reason="none", segments=2, cost="KES 1.6000", sent_at=AT,
    completed_at=LATER, events=(MessageEvent(DeliveryStatus.PENDING, AT),
                                MessageEvent(DeliveryStatus.DELIVERED, LATER, "Success")),
    template_id="welcome", template_version=3, html="<p>x</p>", client_id="c-1", test=True, expires_at=1_800_000_000,
    idempotency_key="KEY#c-1#k", send_at=AT, batch_id="b-1",
)

EVERY_ITEM = {
    "PK": {"S": "MESSAGE#+14155550123"}, "SK": {"S": f"MESSAGE#{ID}"},
    "id": {"S": ID}, "to": {"S": "+14155550123"}, "body": {"S": "Your code"}, "deliveryMethod": {"S": "SMS"},
    "deliveryStatus": {"S": "DELIVERED"}, "provider": {"S": "AFRICASTALKING"}, "createdAt": {"S": AT},
    "updatedAt": {"S": LATER}, "from": {"S": "SHOP"}, "subject": {"S": "Hi"}, "recipientId": {"S": "customer-7"},
    "senderId": {"S": "shop"}, "reference": {"S": "order-1"}, "providerMessageId": {"S": "ATXid_1"},
    "failureReason": {"S": "none"}, "segments": {"N": "2"}, "cost": {"S": "KES 1.6000"}, "sentAt": {"S": AT},
    "completedAt": {"S": LATER}, "templateId": {"S": "welcome"}, "templateVersion": {"N": "3"},
    "html": {"S": "<p>x</p>"}, "clientId": {"S": "c-1"}, "test": {"BOOL": True}, "expiresAt": {"N": "1800000000"},
    "idempotencyKey": {"S": "KEY#c-1#k"}, "sendAt": {"S": AT}, "batchId": {"S": "b-1"},
    "events": {"L": [{"M": {"status": {"S": "PENDING"}, "at": {"S": AT}}},
                     {"M": {"status": {"S": "DELIVERED"}, "at": {"S": LATER}, "detail": {"S": "Success"}}}]},
    "idKey": {"S": ID}, "senderKey": {"S": "shop#0"}, "referenceKey": {"S": "order-1"},
}


def minimal(**changes) -> Message:
    values = dict(id=ID, to="user@example.com", body="b", delivery_method=DeliveryMethod.EMAIL,
                  delivery_status=DeliveryStatus.PENDING, provider=Provider.SES, created_at=AT, updated_at=AT)
    return Message(**{**values, **changes})


def test_a_final_message_with_every_field_is_stored_attribute_by_attribute():
    assert to_item(EVERY_FIELD) == EVERY_ITEM


def test_a_stored_message_reads_back_equal_with_its_types():
    back = from_item(EVERY_ITEM)
    assert back == EVERY_FIELD
    assert type(back.segments) is int and back.test is True and back.provider is Provider.AFRICASTALKING
    assert back.events[1].detail == "Success" and back.events[0].detail is None


def test_a_minimal_open_message_stores_only_what_it_has_and_its_open_status():
    item = to_item(minimal())
    assert item == {
        "PK": {"S": "MESSAGE#user@example.com"}, "SK": {"S": f"MESSAGE#{ID}"}, "id": {"S": ID},
        "to": {"S": "user@example.com"}, "body": {"S": "b"}, "deliveryMethod": {"S": "EMAIL"},
        "deliveryStatus": {"S": "PENDING"}, "provider": {"S": "SES"}, "createdAt": {"S": AT}, "updatedAt": {"S": AT},
        "events": {"L": []}, "openStatus": {"S": f"PENDING#{zlib.crc32(ID.encode()) % 4}"}, "idKey": {"S": ID},
    }
    assert from_item(item) == minimal()


def test_an_inbound_message_is_kept_under_its_sender_and_says_so():
    inbound = minimal(to="+254711000001", sender="+254722000002", direction=Direction.INBOUND,
                      delivery_method=DeliveryMethod.SMS, provider=Provider.AFRICASTALKING,
                      delivery_status=DeliveryStatus.DELIVERED)
    item = to_item(inbound)
    assert item["PK"] == {"S": "MESSAGE#+254722000002"} and item["direction"] == {"S": "INBOUND"}
    assert "openStatus" not in item
    assert from_item(item).direction is Direction.INBOUND


def test_zero_and_empty_values_are_stored_but_false_and_none_are_not():
    item = to_item(minimal(segments=0, cost="", test=False))
    assert item["segments"] == {"N": "0"} and item["cost"] == {"S": ""} and "test" not in item


@pytest.mark.parametrize("status", list(DeliveryStatus))
def test_only_messages_still_open_carry_the_open_status_key(status):
    item = to_item(minimal(delivery_status=status))
    assert ("openStatus" in item) is (not status.final)


def test_the_open_status_shard_is_the_crc_of_the_id_over_the_shard_count():
    ids = [f"01KG8Q0W3V00000000000000{n:02d}" for n in range(40)]
    shards = {open_status(i, DeliveryStatus.QUEUED) for i in ids}
    assert shards == {f"QUEUED#{s}" for s in range(OPEN_SHARDS)}
    for message_id in ids:
        assert open_status(message_id, DeliveryStatus.ACCEPTED) == (
            f"ACCEPTED#{zlib.crc32(message_id.encode()) % OPEN_SHARDS}"
        )
        assert shard_of(message_id, 7) == zlib.crc32(message_id.encode()) % 7


def test_keys_and_names_of_the_other_items():
    assert message_key("a@example.com", ID) == {"PK": {"S": "MESSAGE#a@example.com"}, "SK": {"S": f"MESSAGE#{ID}"}}
    assert batch_key("b-9") == {"PK": {"S": "BATCH#b-9"}, "SK": {"S": "BATCH"}}
    assert count_attribute(DeliveryStatus.FAILED) == "nFAILED"
    assert sender_key("shop", 3) == "shop#3"
    assert attribute_of("provider_message_id") == "providerMessageId" and attribute_of("sender") == "from"


def test_a_single_attribute_is_typed_like_the_record():
    assert attribute_value("delivery_status", DeliveryStatus.QUEUED) == {"S": "QUEUED"}
    assert attribute_value("segments", 4) == {"N": "4"}
    assert attribute_value("test", 1) == {"BOOL": True}
    assert attribute_value("body", 12) == {"S": "12"}


def test_an_event_stores_its_detail_only_when_it_has_one():
    assert event_value(MessageEvent(DeliveryStatus.QUEUED, AT)) == {"M": {"status": {"S": "QUEUED"}, "at": {"S": AT}}}
    assert event_value(MessageEvent(DeliveryStatus.FAILED, AT, "")) == {
        "M": {"status": {"S": "FAILED"}, "at": {"S": AT}, "detail": {"S": ""}}
    }


def test_an_attribute_of_an_unknown_type_is_refused_not_guessed():
    item = {**to_item(minimal()), "body": {"B": b"x"}}
    with pytest.raises(ValueError, match=r"unexpected attribute type \['B'\]"):
        from_item(item)


def test_an_item_without_a_timeline_reads_as_no_events():
    item = to_item(minimal())
    del item["events"]
    assert from_item(item).events == ()

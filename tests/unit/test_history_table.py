"""getMessages over the real table and its indexes (moto): each history key finds its own messages, the
status and channel filters and the time range narrow them, and both orders page through everything."""

from __future__ import annotations

import boto3
import pytest
from messenger.messages import ulids
from messenger.messages.history import History
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider
from messenger.sending.dal import SendingTable

from tests.support import moto_service, table_items
from tests.unit.test_history import T0, iso

PHONE, MAIL = "+254711000001", "ada@example.com"


def _message(n: int, to: str, status: DeliveryStatus, **fields) -> Message:
    method = DeliveryMethod.EMAIL if "@" in to else DeliveryMethod.SMS
    return Message(id=ulids.to_text(((T0 + n) << 80) + n), to=to, body=f"m{n}", delivery_method=method,
                   delivery_status=status, provider=Provider.SES if "@" in to else Provider.SNS,
                   created_at=iso(T0 + n), updated_at=iso(T0 + n), **fields)


SEED = [
    _message(0, MAIL, DeliveryStatus.DELIVERED, sender_id="shop", reference="order-1"),
    _message(1, PHONE, DeliveryStatus.FAILED, sender_id="shop", reference="order-1", batch_id="B1"),
    _message(2, MAIL, DeliveryStatus.FAILED, sender_id="shop", batch_id="B1"),
    _message(3, PHONE, DeliveryStatus.DELIVERED, sender_id="bank", batch_id="B1"),
    _message(4, PHONE, DeliveryStatus.ACCEPTED, sender_id="shop", reference="order-2"),
    _message(5, MAIL, DeliveryStatus.DELIVERED, sender_id="shop", batch_id="B2"),
    _message(6, "+254711000002", DeliveryStatus.FAILED, sender_id="shop", reference="order-1"),
]


@pytest.fixture(scope="module")
def history():
    with moto_service() as resources:
        table = SendingTable(boto3.client("dynamodb"), resources.table_name)
        for message in SEED:
            table.create(message)
        assert len(table_items(resources.table_name)) == len(SEED)
        yield History(table)


def bodies(history, flt, first=2, order=None) -> list[str]:
    out, after = [], None
    for _ in range(20):
        page = history.page({"filter": flt, "first": first, "after": after, "order": order})
        out += [m.body for m in page.messages]
        if not page.has_next_page:
            return out
        after = page.end_cursor
    raise AssertionError("paging does not end")


def expected(keep, newest_first=False) -> list[str]:
    found = [m.body for m in SEED if keep(m)]
    return found[::-1] if newest_first else found


@pytest.mark.parametrize(("flt", "keep"), [
    ({"to": PHONE}, lambda m: m.to == PHONE),
    ({"to": "ADA@example.com"}, lambda m: False),  # the local part is the recipient's own: another address
    ({"to": MAIL}, lambda m: m.to == MAIL),
    ({"senderId": "shop"}, lambda m: m.sender_id == "shop"),
    ({"reference": "order-1"}, lambda m: m.reference == "order-1"),
    ({"batchId": "B1"}, lambda m: m.batch_id == "B1"),
    ({"senderId": "shop", "status": ["FAILED"]}, lambda m: m.sender_id == "shop" and m.delivery_status.value == "FAILED"),
    ({"senderId": "shop", "deliveryMethod": "EMAIL"}, lambda m: m.sender_id == "shop" and "@" in m.to),
    ({"batchId": "B1", "deliveryMethod": "SMS", "status": ["FAILED", "DELIVERED"]},
     lambda m: m.batch_id == "B1" and "@" not in m.to),
    ({"senderId": "shop", "createdAfter": iso(T0 + 1), "createdBefore": iso(T0 + 5)},
     lambda m: m.sender_id == "shop" and 1 <= int(m.body[1:]) < 5),
])
@pytest.mark.parametrize("order", ["OLDEST_FIRST", "NEWEST_FIRST"])
def test_each_history_key_and_filter_finds_exactly_its_messages_in_order(history, flt, keep, order):
    assert bodies(history, flt, order=order) == expected(keep, newest_first=order == "NEWEST_FIRST")

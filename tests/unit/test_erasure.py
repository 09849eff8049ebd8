"""eraseRecipient through the real dal (moto in-process): every item of the recipient goes, page after
page, except a do-not-contact marker; another recipient's items stay; repeating it erases 0."""

import itertools

import boto3
import pytest
from messenger.core.errors import BadRequest
from messenger.erasure.dal import ErasureTable
from messenger.erasure.logic import erase
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider
from messenger.sending.dal import SendingTable
from messenger.suppressions.dal import SuppressionsTable
from messenger.suppressions.models import Suppression

from stacks.wiring import TABLE, Wiring

TO = "+254711000001"
OTHER = "+254711000002"


@pytest.fixture
def tables(monkeypatch):
    from moto import mock_aws

    from local.resources import _create_table

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        _create_table(Wiring(functions=(), resolvers=(), queues=(), table=TABLE), "t")
        db = boto3.client("dynamodb")
        yield SendingTable(db, "t"), ErasureTable(db, "t"), SuppressionsTable(db, "t")


_ids = itertools.count()


def message(to: str, key: str | None = None, client_id: str | None = None) -> Message:
    n = next(_ids)
    return Message(id=f"01JERASE{n:018d}", to=to, body="secret", delivery_method=DeliveryMethod.SMS,
                   delivery_status=DeliveryStatus.QUEUED, provider=Provider.AFRICASTALKING,
                   created_at="2026-11-23T12:00:00.000Z", updated_at="2026-11-23T12:00:00.000Z",
                   reference="order-1", sender_id="s1", idempotency_key=key, client_id=client_id)  # fmt: skip


def seed(sending: SendingTable, to: str, count: int, keyed: int = 0) -> None:
    for i in range(count):
        if i < keyed:
            client_id = "01JCLIENTERASE" if i % 2 else None  # a client's keys are named after it
            sending.create_idempotent(message(to, f"k-{to}-{i}", client_id), f"k-{to}-{i}", "f", 2**40, 0)
        else:
            sending.create(message(to))


def items_of(to: str) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName="t")["Items"]
    return [i for i in items if to in str(i)]


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    """Pages of 10 and batches of 4: a few dozen items take several of each."""
    from messenger.erasure import dal

    monkeypatch.setattr(dal, "PAGE", 10)
    monkeypatch.setattr(dal, "BATCH", 4)


def test_the_kept_reasons_are_do_not_contact_ones():
    from messenger.erasure.models import KEPT_REASONS

    assert KEPT_REASONS == {"opt-out", "complaint", "blacklisted"}


@pytest.mark.parametrize("reason, kept", [("opt-out", True), ("bounce", False)])
def test_everything_of_the_recipient_goes_but_a_do_not_contact_marker(tables, reason, kept):
    sending, erasure, suppressions = tables
    seed(sending, TO, 23, keyed=3)
    seed(sending, OTHER, 2)
    suppressions.add(Suppression(TO, reason, "2026-11-23T12:00:00.000Z"))
    report = erase(erasure, suppressions, {"to": TO})
    assert report.to_graphql() == {
        "to": TO, "messages": 23, "idempotencyKeys": 3, "suppressions": 0 if kept else 1,
        "keptSuppression": reason if kept else None, "complete": True,
    }
    left = items_of(TO)
    assert [i["PK"]["S"] for i in left] == (["SUPPRESSION"] if kept else [])
    assert len(items_of(OTHER)) == 2
    again = erase(erasure, suppressions, {"to": TO})
    assert (again.messages, again.idempotency_keys, again.suppressions, again.complete) == (0, 0, 0, True)


def test_a_spent_budget_stops_between_pages_and_the_next_call_goes_on(tables):
    sending, erasure, suppressions = tables
    seed(sending, TO, 25)
    first = erase(erasure, suppressions, {"to": TO}, budget_seconds=0, monotonic=lambda: 100.0)
    assert (first.messages, first.complete) == (10, False)  # the deadline is reached the moment it starts
    rest = erase(erasure, suppressions, {"to": TO})
    assert (rest.messages, rest.complete) == (15, True)
    assert items_of(TO) == []


def test_the_recipient_is_normalised_and_required(tables):
    _, erasure, suppressions = tables
    for raw in (" ", None, 42, ""):
        with pytest.raises(BadRequest) as refused:
            erase(erasure, suppressions, {"to": raw})
        assert str(refused.value) == "to: is required"
    assert erase(erasure, suppressions, {"to": "User@EXAMPLE.com"}).to == "User@example.com"
    for raw, message in (("user@example.com\nBcc: x@example.com", "to: must be a single line"),
                         ("not an address", "to: a phone number must be in E.164 form: + and the country code")):
        with pytest.raises(BadRequest) as refused:
            erase(erasure, suppressions, {"to": raw})
        assert (refused.value.field, str(refused.value)) == ("to", message)

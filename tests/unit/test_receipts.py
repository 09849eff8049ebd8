"""SES events and SNS SMS delivery logs move messages forward, once, in any order; suppression follows."""

import boto3
import pytest
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.settings import settings
from messenger.messages.dal import RECENT_LOOKUP_LIMIT
from messenger.messages.models import MAX_EVENTS, DeliveryStatus, Provider
from messenger.messages.status import StatusWriter
from messenger.receipts import ses_events, sns_logs
from messenger.receipts.logic import EARLY, NOTED, UNCHANGED, UNKNOWN, UPDATED, Receipts
from messenger.receipts.models import ReceiptEvent
from messenger.sending.service import MessageService
from messenger.suppressions.dal import SuppressionsTable
from messenger.suppressions.logic import Suppressor

from tests.fakes import FakeChannel, FakeQueue
from tests.samples import receipts as samples
from tests.support import full_table, moto_service


class CountingClient:
    """Counts DynamoDB writes, to pin one conditional write per receipt that changes something."""

    def __init__(self, client):
        self._client, self.writes = client, []

    def __getattr__(self, name):
        call = getattr(self._client, name)
        if name in ("put_item", "update_item", "delete_item", "transact_write_items"):
            def counted(**kwargs):
                self.writes.append(name)
                return call(**kwargs)
            return counted
        return call


@pytest.fixture
def world():
    with moto_service() as resources:
        table = full_table(resources.table_name)
        client = CountingClient(boto3.client("dynamodb"))
        table._db = client
        suppressions = SuppressionsTable(boto3.client("dynamodb"), resources.table_name)
        channels = {Provider.SES: FakeChannel("ses"), Provider.SNS: FakeChannel("sns")}
        service = MessageService(table, channels, FakeQueue(), settings(), SystemClock(), new_message_id,
                                 suppressions=suppressions)
        receipts = Receipts(table, StatusWriter(table, SystemClock()), Suppressor(suppressions, SystemClock()))
        yield service, receipts, table, suppressions, client


def sent_email(service, to="user@example.com"):
    return service.send({"to": to, "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"})


def apply_ses(receipts, event):
    return receipts.apply(ses_events.receipt_of(ses_events.parse_sns_envelope(samples.sns_notification(event))))


def test_delivery_ends_the_email_delivered_with_its_timeline(world):
    service, receipts, table, _, _ = world
    message = sent_email(service)
    assert apply_ses(receipts, samples.delivery(message.id, message.to, "ses-1")) == UPDATED
    stored = table.get(message.to, message.id)
    assert stored.delivery_status is DeliveryStatus.DELIVERED
    assert [e.status for e in stored.events] == [DeliveryStatus.PENDING, DeliveryStatus.ACCEPTED, DeliveryStatus.DELIVERED]
    assert stored.sent_at and stored.completed_at and stored.sent_at <= stored.completed_at
    assert stored.events[-1].detail == "Delivered"


def test_a_permanent_bounce_fails_the_email_and_suppresses_the_address(world):
    service, receipts, table, suppressions, _ = world
    message = sent_email(service)
    assert apply_ses(receipts, samples.bounce(message.id, message.to, ses_id="ses-1")) == UPDATED
    stored = table.get(message.to, message.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert stored.failure_reason == "Bounce: Permanent/General"
    entry = suppressions.get(message.to)
    assert (entry.reason, entry.message_id) == ("bounce", message.id)
    again = sent_email(service)
    assert again.delivery_status is DeliveryStatus.FAILED and again.failure_reason == "Suppressed: bounce"
    assert len(service._channels[Provider.SES].sent) == 1  # the second was never handed over


def test_a_complaint_proves_delivery_and_suppresses(world):
    service, receipts, table, suppressions, _ = world
    message = sent_email(service)
    assert apply_ses(receipts, samples.complaint(message.id, message.to, "ses-1")) == UPDATED
    assert table.get(message.to, message.id).delivery_status is DeliveryStatus.DELIVERED
    assert suppressions.get(message.to).reason == "complaint"


@pytest.mark.parametrize("event, reason", [
    (samples.reject, "Rejected: Bad content"),
    (samples.rendering_failure, "RenderingFailure: Attribute 'name' is not present in the rendering data."),
])
def test_rejects_and_rendering_failures_fail_with_a_readable_reason(world, event, reason):
    service, receipts, table, suppressions, _ = world
    message = sent_email(service)
    assert apply_ses(receipts, event(message.id, message.to, "ses-1")) == UPDATED
    stored = table.get(message.to, message.id)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, reason)
    assert suppressions.get(message.to) is None


@pytest.mark.parametrize("event, detail", [
    (lambda i, t, s: samples.bounce(i, t, "Transient", "MailboxFull", s), "Transient bounce: Transient/MailboxFull"),
    (samples.delivery_delay, "Delivery delayed: MailboxFull"),
])
def test_transient_bounces_and_delays_are_noted_once_and_end_nothing(world, event, detail):
    service, receipts, table, suppressions, client = world
    message = sent_email(service)
    client.writes.clear()
    assert apply_ses(receipts, event(message.id, message.to, "ses-1")) == NOTED
    assert apply_ses(receipts, event(message.id, message.to, "ses-1")) == UNCHANGED
    stored = table.get(message.to, message.id)
    assert stored.delivery_status is DeliveryStatus.ACCEPTED and stored.completed_at is None
    assert [e.detail for e in stored.events].count(detail) == 1
    assert client.writes == ["update_item"] and suppressions.get(message.to) is None


def test_send_events_change_nothing(world):
    service, receipts, _, _, client = world
    message = sent_email(service)
    assert ses_events.receipt_of(samples.send(message.id, message.to, "ses-1")) is None


def test_duplicated_and_reordered_receipts_write_once_and_never_go_back(world):
    service, receipts, table, _, client = world
    message = sent_email(service)
    client.writes.clear()
    assert apply_ses(receipts, samples.delivery(message.id, message.to, "ses-1")) == UPDATED
    assert apply_ses(receipts, samples.delivery(message.id, message.to, "ses-1")) == UNCHANGED
    assert apply_ses(receipts, samples.reject(message.id, message.to, "ses-1")) == UNCHANGED
    assert client.writes == ["update_item"]
    assert table.get(message.to, message.id).delivery_status is DeliveryStatus.DELIVERED


def test_a_receipt_naming_another_provider_id_or_an_unknown_message_is_acknowledged_and_ignored(world):
    service, receipts, table, _, client = world
    message = sent_email(service)
    client.writes.clear()
    assert apply_ses(receipts, samples.delivery(message.id, message.to, "someone-elses-id")) == UNKNOWN
    assert apply_ses(receipts, samples.delivery("01KDVDNA306SW40Y1Z183JN66J", message.to, "ses-1")) == UNKNOWN
    assert client.writes == [] and table.get(message.to, message.id).delivery_status is DeliveryStatus.ACCEPTED


def test_a_receipt_before_the_hand_off_is_recorded_is_early(world):
    service, receipts, table, _, _ = world
    message = sent_email(service)
    table._db._client.update_item(  # back to PENDING, as if the ACCEPTED write were still on its way
        TableName=table._table, Key={"PK": {"S": f"MESSAGE#{message.to}"}, "SK": {"S": f"MESSAGE#{message.id}"}},
        UpdateExpression="SET deliveryStatus = :p REMOVE providerMessageId", ExpressionAttributeValues={":p": {"S": "PENDING"}})
    assert apply_ses(receipts, samples.delivery(message.id, message.to, "ses-1")) == EARLY


def test_sns_sms_success_and_failure_logs_end_the_message(world):
    service, receipts, table, _, _ = world
    ok = service.send({"to": "+14155550100", "body": "Hi", "deliveryMethod": "SMS"})
    bad = service.send({"to": "+14155550199", "body": "Hi", "deliveryMethod": "SMS"})
    event = samples.logs_event([
        samples.sms_record(ok.provider_message_id, ok.to),
        samples.sms_record(bad.provider_message_id, bad.to, "FAILURE", "Phone carrier has blocked this message"),
    ])
    outcomes = [receipts.apply(sns_logs.receipt_of(record)) for record in sns_logs.log_records(event)]
    assert outcomes == [UPDATED, UPDATED]
    assert table.get(ok.to, ok.id).delivery_status is DeliveryStatus.DELIVERED
    failed = table.get(bad.to, bad.id)
    assert (failed.delivery_status, failed.failure_reason) == (
        DeliveryStatus.FAILED, "Carrier: Phone carrier has blocked this message")
    assert failed.events[-1].at == failed.completed_at  # our clock, not the log's
    assert sns_logs.receipt_of(samples.sms_record("x", ok.to)).at == "2026-11-23T10:00:00.123Z"


def test_logs_control_messages_carry_no_receipts():
    import base64
    import gzip
    import json
    data = base64.b64encode(gzip.compress(json.dumps({"messageType": "CONTROL_MESSAGE", "logEvents": [
        {"id": "1", "timestamp": 0, "message": "CWL CONTROL MESSAGE: Checking health of destination"}]}).encode()))
    assert sns_logs.log_records({"awslogs": {"data": data.decode()}}) == []


def test_a_late_bounce_after_delivery_neither_fails_nor_suppresses_but_a_complaint_after_it_does(world):
    service, receipts, table, suppressions, _ = world
    message = sent_email(service)
    apply_ses(receipts, samples.delivery(message.id, message.to, "ses-1"))
    assert apply_ses(receipts, samples.bounce(message.id, message.to, ses_id="ses-1")) == UNCHANGED
    assert suppressions.get(message.to) is None
    assert apply_ses(receipts, samples.complaint(message.id, message.to, "ses-1")) == UNCHANGED
    assert suppressions.get(message.to).reason == "complaint"


def sms_receipt(message, recipient, target=DeliveryStatus.DELIVERED, at="2026-11-23T10:00:00.123Z"):
    """An SNS delivery log as the logic sees it: the provider's id and the number, no tag of ours."""
    return ReceiptEvent(message.provider_message_id, at, target, "Delivered" if target else "Carrier busy",
                        recipient=recipient)


def test_an_sms_receipt_finds_its_message_by_its_number_while_the_provider_id_index_lags(world, monkeypatch):
    service, receipts, table, _, _ = world
    message = service.send({"to": "+14155550100", "body": "Hi", "deliveryMethod": "SMS"})
    monkeypatch.setattr(table, "find_by_provider_message_id", lambda provider_id: None)
    assert receipts.apply(sms_receipt(message, "not a number")) == UNKNOWN  # nothing to look under
    assert table.get(message.to, message.id).delivery_status is DeliveryStatus.ACCEPTED
    assert receipts.apply(sms_receipt(message, "+1 415 555 0100")) == UPDATED  # the number as written anywhere
    assert table.get(message.to, message.id).delivery_status is DeliveryStatus.DELIVERED


def test_an_sms_receipt_found_through_the_index_needs_neither_a_readable_number_nor_a_recent_message(world):
    service, receipts, table, _, _ = world
    oldest = service.send({"to": "+14155550100", "body": "Hi", "deliveryMethod": "SMS"})
    for _ in range(RECENT_LOOKUP_LIMIT):  # the fallback looks at this many newest messages of the number
        service.send({"to": "+14155550100", "body": "Hi", "deliveryMethod": "SMS"})
    assert receipts.apply(sms_receipt(oldest, "+14155550100")) == UPDATED
    other = service.send({"to": "+14155550101", "body": "Hi", "deliveryMethod": "SMS"})
    assert receipts.apply(sms_receipt(other, "not a number")) == UPDATED
    assert {table.get(m.to, m.id).delivery_status for m in (oldest, other)} == {DeliveryStatus.DELIVERED}


def test_the_same_note_at_another_time_is_noted_again_until_the_timeline_is_full(world):
    service, receipts, table, _, _ = world
    message = service.send({"to": "+14155550100", "body": "Hi", "deliveryMethod": "SMS"})
    room = MAX_EVENTS - len(table.get(message.to, message.id).events)
    outcomes = [receipts.apply(sms_receipt(message, message.to, None, f"2026-11-23T10:{n:02d}:00.000Z"))
                for n in range(room + 1)]
    assert outcomes == [NOTED] * room + [UNCHANGED]  # the last one found no room
    stored = table.get(message.to, message.id)
    assert len(stored.events) == MAX_EVENTS and stored.delivery_status is DeliveryStatus.ACCEPTED

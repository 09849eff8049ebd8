"""The inbound worker's reading of a queue record: which provider's payload it is, which time an SMS
was received at, and what it refuses (a refused record is retried, then kept in the dead-letter queue)."""

from __future__ import annotations

import json

import pytest
from messenger.core.errors import BadRequest
from messenger.inbound.models import OptOutNotice
from messenger.messages.models import Provider

PHONE = "+254711000001"
NOW = "2026-11-23T12:00:00.000Z"
FORM = {"from": PHONE, "to": "12345", "text": "Hi", "id": "ATSMS_1"}


class Service:
    def __init__(self) -> None:
        self.received, self.opted_out = [], []

    def receive(self, sms):
        self.received.append(sms)
        return "received"

    def opt_out(self, notice):
        self.opted_out.append(notice)
        return "opted out"


@pytest.fixture(scope="module")
def environment():
    from tests.support import moto_service

    with moto_service() as resources:  # the function's settings, read when its module loads
        yield resources


@pytest.fixture
def service(environment, monkeypatch):
    import messenger.inbound.dependencies as dependencies
    from messenger.core.clock import SystemClock

    recorder = Service()
    monkeypatch.setattr(dependencies, "inbound_service", lambda: recorder)
    monkeypatch.setattr(SystemClock, "now", lambda self: NOW)
    return recorder


def handle(record) -> object:
    from messenger.inbound.handler import handle

    return handle(record if isinstance(record, str) else json.dumps(record))


def test_an_africastalking_sms_without_a_date_is_received_when_its_callback_arrived(service):
    assert handle({"source": "AFRICASTALKING", "form": FORM, "receivedAt": "2026-11-23T11:59:58.000Z"}) == "received"
    [sms] = service.received
    assert (sms.provider, sms.provider_message_id, sms.received_at) == (
        Provider.AFRICASTALKING, "ATSMS_1", "2026-11-23T11:59:58.000Z")


def test_an_africastalking_sms_with_neither_date_nor_arrival_time_is_received_now(service):
    handle({"source": "AFRICASTALKING", "form": FORM})
    assert service.received[0].received_at == NOW


def test_the_providers_own_date_wins(service):
    handle({"source": "AFRICASTALKING", "form": FORM | {"date": "2026-11-23 10:00:00"}, "receivedAt": NOW})
    assert service.received[0].received_at == "2026-11-23T10:00:00.000Z"


def test_an_opt_out_notice_goes_to_the_opt_out(service):
    assert handle({"source": "AFRICASTALKING", "kind": "opt-out",
                   "form": {"phoneNumber": PHONE, "senderId": "ACME"}}) == "opted out"
    assert service.opted_out == [OptOutNotice(PHONE, "ACME")] and service.received == []


def test_an_sns_notification_is_an_end_user_messaging_sms(service):
    event = {"originationNumber": PHONE, "destinationNumber": "+18005550100", "messageBody": "Hi",
             "inboundMessageId": "e-1"}
    handle({"Type": "Notification", "Message": json.dumps(event)})
    [sms] = service.received
    assert (sms.provider, sms.sender, sms.received_at) == (Provider.SNS, PHONE, NOW)


@pytest.mark.parametrize(("record", "message"), [
    ("{not json", "body: not JSON"),
    ("[1]", "body: not an inbound record"),
    ({"source": "OTHER", "form": FORM}, "body: not an inbound record"),
    ({"source": "AFRICASTALKING", "form": "from=x"}, "body: not an inbound record"),
    ({"source": "AFRICASTALKING"}, "body: not an inbound record"),
])
def test_a_record_of_neither_provider_is_refused(service, record, message):
    with pytest.raises(BadRequest) as refused:
        handle(record)
    assert (refused.value.field, str(refused.value)) == ("body", message)
    assert service.received == service.opted_out == []

"""Inbound SMS logic: keywords, payloads of both providers, recorded once, what each keyword does."""

from __future__ import annotations

import json

import pytest

from messenger.core.errors import BadRequest
from messenger.inbound.logic import InboundService
from messenger.inbound.models import OPT_OUT_REASON, InboundSms, Keyword, OptOutNotice
from messenger.inbound.validation import keyword_of, parse_at_inbound, parse_at_opt_out, parse_sns_inbound
from messenger.messages.models import Direction, Provider
from messenger.suppressions.models import Suppression
from tests.fakes import FixedClock

PHONE = "+254711000001"


@pytest.mark.parametrize("text", ["STOP", "stop", "  Stop  ", "STOPALL", "unsubscribe", "Cancel", "END", "quit\n"])
def test_opt_out_words_in_any_case_with_spaces(text):
    assert keyword_of(text) is Keyword.OPT_OUT


@pytest.mark.parametrize("text", ["START", " unstop", "yes "])
def test_opt_in_words(text):
    assert keyword_of(text) is Keyword.OPT_IN


@pytest.mark.parametrize("text", ["stop please", "STOPP", "S T O P", "", "ending", "help me", "yes!"])
def test_only_the_whole_text_is_a_keyword(text):
    assert keyword_of(text) is None


def test_help():
    assert keyword_of(" Help ") is Keyword.HELP


def test_africastalking_incoming_form():
    sms = parse_at_inbound({"from": "+254 711 000 001", "to": "12345", "text": "Hi", "date": "2026-11-23 10:00:00",
                            "id": "ATSMS_1", "linkId": "L1", "networkCode": "63902"}, "2026-11-23T12:00:00.000Z")
    assert sms == InboundSms(Provider.AFRICASTALKING, "ATSMS_1", PHONE, "12345", "Hi", "2026-11-23T10:00:00.000Z", "L1")


@pytest.mark.parametrize("form", [{"to": "1", "text": "x", "id": "i"}, {"from": PHONE, "to": "12345", "text": "x"},
                                  {"from": "0711", "to": "12345", "id": "i"}, {"from": PHONE, "to": "a b;", "id": "i"}])
def test_africastalking_forms_without_what_is_needed_are_refused(form):
    with pytest.raises(BadRequest):
        parse_at_inbound(form, "2026-11-23T12:00:00.000Z")


def test_africastalking_opt_out_notice():
    assert parse_at_opt_out({"senderId": "MyBrand", "phoneNumber": PHONE}) == OptOutNotice(PHONE, "MyBrand")


def test_end_user_messaging_event_in_an_sns_notification():
    event = {"originationNumber": "+14155550123", "destinationNumber": "+18005550100", "messageBody": "STOP",
             "inboundMessageId": "abc-1", "messageKeyword": "STOP"}
    sms = parse_sns_inbound({"Type": "Notification", "Message": json.dumps(event),
                             "Timestamp": "2026-11-23T10:00:00.000Z"}, "2026-11-23T12:00:00.000Z")
    assert sms == InboundSms(Provider.SNS, "abc-1", "+14155550123", "+18005550100", "STOP", "2026-11-23T10:00:00.000Z")
    with pytest.raises(BadRequest):
        parse_sns_inbound({"Type": "Notification", "Message": "not json"}, "2026-11-23T12:00:00.000Z")


NOW = "2026-11-23T12:00:00.000Z"
AT_FORM = {"from": PHONE, "to": "12345", "text": "Hi", "id": "ATSMS_1"}
SNS_EVENT = {"originationNumber": "+14155550123", "destinationNumber": "+18005550100", "messageBody": "Hi",
             "inboundMessageId": "abc-1"}


def _refusal(call, *args) -> tuple[str, str]:
    with pytest.raises(BadRequest) as caught:
        call(*args)
    return caught.value.field, str(caught.value)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"id": None}, "id", "id: is required"),
    ({"id": "  "}, "id", "id: is required"),
    ({"id": "i" * 201}, "id", "id: is required"),
    ({"from": None}, "from", "from: is required"),
    ({"to": None}, "to", "to: is required"),
    ({"to": "a b;"}, "to", "to: is not a number or short code"),
    ({"to": "1"}, "to", "to: is not a number or short code"),
    ({"text": "x" * 1601}, "text", "text: must be text of at most 1600 characters"),
])
def test_an_africastalking_form_is_refused_naming_what_is_wrong(change, field, message):
    assert _refusal(parse_at_inbound, AT_FORM | change, NOW) == (field, message)


def test_an_africastalking_form_without_text_date_or_link_gets_the_defaults():
    sms = parse_at_inbound(AT_FORM | {"text": None, "to": " +254 700 000 000 "}, NOW)
    assert (sms.text, sms.received_at, sms.link_id, sms.recipient) == ("", NOW, None, "+254700000000")
    assert parse_at_inbound(AT_FORM | {"text": "x" * 1600, "linkId": " " + "L" * 250}, NOW).link_id == "L" * 200


def test_a_provider_id_of_the_longest_length_is_taken_whole():
    assert parse_at_inbound(AT_FORM | {"id": "i" * 200}, NOW).provider_message_id == "i" * 200


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"inboundMessageId": ""}, "inboundMessageId", "inboundMessageId: is required"),
    ({"originationNumber": None}, "originationNumber", "originationNumber: is required"),
    ({"destinationNumber": "no;way"}, "destinationNumber", "destinationNumber: is not a number or short code"),
    ({"messageBody": 7}, "messageBody", "messageBody: must be text of at most 1600 characters"),
])
def test_an_end_user_messaging_event_is_refused_naming_what_is_wrong(change, field, message):
    notification = {"Type": "Notification", "Message": json.dumps(SNS_EVENT | change)}
    assert _refusal(parse_sns_inbound, notification, NOW) == (field, message)


@pytest.mark.parametrize("notification", [{}, {"Message": None}, {"Message": "[1, 2]"}, {"Message": "{oops"}])
def test_a_notification_without_a_two_way_event_is_refused(notification):
    assert _refusal(parse_sns_inbound, notification, NOW) == ("Message", "Message: is not a two-way SMS event")


def test_an_event_without_a_timestamp_is_received_now():
    sms = parse_sns_inbound({"Message": json.dumps(SNS_EVENT)}, NOW)
    assert (sms.received_at, sms.text, sms.link_id) == (NOW, "Hi", None)


def test_an_opt_out_notice_needs_a_phone_number_and_keeps_a_short_sender_id():
    assert _refusal(parse_at_opt_out, {"senderId": "B"}) == ("phoneNumber", "phoneNumber: is required")
    assert parse_at_opt_out({"phoneNumber": PHONE}) == OptOutNotice(PHONE, None)
    assert parse_at_opt_out({"phoneNumber": PHONE, "senderId": " " + "S" * 250}).sender_id == "S" * 200


class Records:
    """The repository: a marker per provider id, as the DAL's transaction keeps it."""

    def __init__(self):
        self.messages, self.markers, self.expiries, self.die_marking = {}, {}, [], 0

    def record_inbound(self, message, expires_at):
        self.expiries.append(expires_at)
        key = (message.provider, message.provider_message_id)
        if key in self.markers:
            return self.markers[key][0], True, self.markers[key][1]
        self.markers[key] = [message.id, False]
        self.messages[message.id] = message
        return message.id, False, False

    def mark_handled(self, provider, provider_message_id):
        if self.die_marking:
            self.die_marking -= 1
            raise TimeoutError("the worker died before marking the text handled")
        self.markers[(provider, provider_message_id)][1] = True


class OptOuts:
    def __init__(self):
        self.entries = {}

    def add(self, suppression: Suppression) -> bool:
        return self.entries.setdefault(suppression.to, suppression) is suppression

    def remove_if_reason(self, recipient, reason):
        if recipient in self.entries and self.entries[recipient].reason == reason:
            del self.entries[recipient]
            return True
        return False


class Relays:
    def __init__(self):
        self.relayed = []

    def relay(self, sms, message_id):
        self.relayed.append((sms.text, message_id))
        return True


@pytest.fixture
def world():
    records, opt_outs, sent, relays = Records(), OptOuts(), [], Relays()
    ids = iter(f"01ID{i:022d}" for i in range(100))
    service = InboundService(records, opt_outs, sent.append, FixedClock(), lambda at: next(ids), "Text STOP to stop",
                             reply_senders=("12345",), conversations=lambda: relays)
    return service, records, opt_outs, sent, relays


def sms(text, provider_id="p1", to="12345"):
    return InboundSms(Provider.AFRICASTALKING, provider_id, PHONE, to, text, "2026-11-23T10:00:00.000Z")


def test_a_repeated_callback_records_and_acts_once(world):
    service, records, opt_outs, sent, relays = world
    first = service.receive(sms("HELP"))
    again = service.receive(sms("HELP"))
    assert (again.message_id, again.duplicate, first.duplicate) == (first.message_id, True, False)
    [record] = records.messages.values()
    assert (record.direction, record.party, record.to, record.delivery_status.value) == (
        Direction.INBOUND, PHONE, "12345", "DELIVERED")
    assert (record.created_at, record.completed_at, record.updated_at) == (
        "2026-11-23T10:00:00.000Z", "2026-11-23T10:00:00.000Z", "2026-11-23T12:00:00.000Z")  # received, recorded
    assert [(e.status.value, e.at, e.detail) for e in record.events] == [("DELIVERED", "2026-11-23T10:00:00.000Z", "received")]
    assert (record.body, record.segments, record.provider_message_id) == ("HELP", 1, "p1")
    assert len(sent) == 1


def test_stop_then_start_then_help(world):
    service, records, opt_outs, sent, relays = world
    service.receive(sms(" stop ", "a"))
    assert opt_outs.entries[PHONE].reason == OPT_OUT_REASON
    service.receive(sms("Yes", "b"))
    assert PHONE not in opt_outs.entries
    service.receive(sms("help", "c"))
    [reply] = sent
    assert reply == {"to": PHONE, "body": "Text STOP to stop", "deliveryMethod": "SMS", "provider": "AFRICASTALKING",
                     "from": "12345", "idempotencyKey": f"inbound-{records.markers[(Provider.AFRICASTALKING, 'c')][0]}-help"}
    assert relays.relayed == []


def test_start_does_not_lift_a_suppression_of_another_reason(world):
    service, records, opt_outs, sent, relays = world
    opt_outs.add(Suppression(PHONE, "blacklisted", "2026-11-23T09:00:00.000Z"))
    service.receive(sms("START"))
    assert opt_outs.entries[PHONE].reason == "blacklisted"


def test_other_texts_go_to_the_conversations(world):
    service, records, opt_outs, sent, relays = world
    received = service.receive(sms("See you at 5", to="+254700000000"))
    assert relays.relayed == [("See you at 5", received.message_id)]


def test_a_bulk_opt_out_notice_suppresses(world):
    service, records, opt_outs, sent, relays = world
    assert service.opt_out(OptOutNotice(PHONE, "MyBrand")) is True
    assert opt_outs.entries[PHONE].reason == OPT_OUT_REASON


def test_a_provider_id_of_200_characters_is_the_longest():
    assert parse_at_inbound(AT_FORM | {"id": "i" * 200}, NOW).provider_message_id == "i" * 200


class Events:
    def __init__(self):
        self.sent = []

    def inbound(self, message, **links):
        self.sent.append((message, links))
        return True


def test_a_text_is_recorded_under_its_receipt_time_with_its_segments_and_a_marker_kept_a_week():
    records, asked, events = Records(), [], Events()
    clock = FixedClock()

    def new_id(at):
        asked.append(at)
        return f"01ID{len(asked):022d}"

    service = InboundService(records, OptOuts(), [].append, clock, new_id, "help", events=lambda: events)
    service.receive(InboundSms(Provider.SNS, "p1", PHONE, "+18005550100", "", "2026-11-23T10:00:00.000Z", "L9"))
    [record] = records.messages.values()
    assert (asked, record.delivery_method.value, record.segments) == (["2026-11-23T10:00:00.000Z"], "SMS", 0)
    assert records.expiries == [clock.epoch() + 7 * 86_400]
    [(message, links)] = events.sent
    assert (message, links) == (record, {"keyword": None, "proxy_session_id": None, "link_id": "L9"})


def test_a_text_whose_worker_died_before_marking_it_is_acted_on_again_under_the_first_records_id(world):
    _, records, opt_outs, sent, relays = world
    events = Events()
    service = InboundService(records, opt_outs, sent.append, FixedClock(), lambda at: f"01ID{len(records.messages):022d}",
                             "Text STOP to stop", events=lambda: events)
    records.die_marking = 1
    with pytest.raises(TimeoutError):
        service.receive(sms("STOP"))
    again = service.receive(sms("STOP"))  # the callback, again: recorded already, not yet handled
    [record] = records.messages.values()
    assert again.message_id == record.id and again.duplicate
    assert [m.id for m, _ in events.sent] == [record.id, record.id]  # one event id: receivers deduplicate
    assert opt_outs.entries[PHONE] == Suppression(PHONE, OPT_OUT_REASON, "2026-11-23T12:00:00.000Z", record.id)
    service.receive(sms("STOP"))  # handled now: nothing more
    assert len(events.sent) == 2

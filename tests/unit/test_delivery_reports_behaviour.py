"""Which messages a delivery report may touch, and what it may do to them (no DynamoDB: in memory)."""

import pytest
from messenger.core.errors import BadRequest
from messenger.delivery_reports.logic import (
    MAX_FIELD_LENGTH,
    apply_report,
    parse_report,
    target_status,
)
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider

from tests.fakes import FixedClock, MemoryRepository

NOW = "2026-11-23T12:00:00.000Z"
PHONE = "+254711000001"


def message(status=DeliveryStatus.ACCEPTED, provider=Provider.AFRICASTALKING, provider_id="ATXid_1", to=PHONE, id_="01"):
    return Message(id=id_, to=to, body="Your code is 1234", delivery_method=DeliveryMethod.SMS, delivery_status=status,
                   provider=provider, created_at="2026-11-23T11:00:00.000Z", updated_at="2026-11-23T11:00:00.000Z",
                   provider_message_id=provider_id)


def apply(repository, **form):
    return apply_report(repository, FixedClock(NOW), parse_report(form))


@pytest.fixture
def repository():
    return MemoryRepository()


# -- which message -------------------------------------------------------------------------------
def test_a_report_moves_the_africas_talking_message_with_that_id(repository):
    repository.add(message(id_="other", provider_id="ATXid_2"))
    target = repository.add(message())
    assert apply(repository, id="ATXid_1", status="Success") == "updated"
    assert repository.records[(PHONE, target.id)].delivery_status is DeliveryStatus.DELIVERED
    assert repository.records[(PHONE, "other")].delivery_status is DeliveryStatus.ACCEPTED


@pytest.mark.parametrize("provider", [Provider.SES, Provider.SNS])
def test_a_report_never_touches_a_message_another_provider_sent(repository, provider):
    repository.add(message(provider=provider))
    assert apply(repository, id="ATXid_1", status="Failed", phoneNumber=PHONE) == "unknown"
    assert repository.records[(PHONE, "01")].delivery_status is DeliveryStatus.ACCEPTED
    assert not any(call.startswith("transition") for call in repository.calls)


def test_while_the_index_lags_the_message_is_found_in_its_recipients_history(repository):
    repository.add(message())
    repository.index_lags = True
    assert apply(repository, id="ATXid_1", status="Success", phoneNumber="+254 711 000001") == "updated"
    assert "find_recent_by_provider_message_id:+254711000001" in repository.calls  # normalised number
    assert repository.records[(PHONE, "01")].delivery_status is DeliveryStatus.DELIVERED


def test_the_history_is_only_searched_when_the_index_has_no_answer(repository):
    repository.add(message())
    assert apply(repository, id="ATXid_1", status="Success", phoneNumber=PHONE) == "updated"
    assert not any(call.startswith("find_recent") for call in repository.calls)


@pytest.mark.parametrize("phone", [None, "", "not a number", "0711000001"])
def test_without_a_usable_number_a_lagging_index_means_unknown(repository, phone):
    repository.add(message())
    repository.index_lags = True
    form = {"id": "ATXid_1", "status": "Success"} | ({"phoneNumber": phone} if phone is not None else {})
    assert apply(repository, **form) == "unknown"
    assert not any(call.startswith("find_recent") for call in repository.calls)
    assert repository.records[(PHONE, "01")].delivery_status is DeliveryStatus.ACCEPTED


def test_a_report_for_another_recipients_number_does_not_reach_this_message(repository):
    repository.add(message())
    repository.index_lags = True
    assert apply(repository, id="ATXid_1", status="Success", phoneNumber="+254711000002") == "unknown"


# -- what it does --------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "target"), [
    ("Success", DeliveryStatus.DELIVERED),
    ("Failed", DeliveryStatus.FAILED), ("Rejected", DeliveryStatus.FAILED),
    ("AbsentSubscriber", DeliveryStatus.FAILED), ("Expired", DeliveryStatus.FAILED),
    ("Sent", None), ("Submitted", None), ("Buffered", None),
])
def test_each_status_africas_talking_sends_has_its_meaning(status, target):
    assert target_status(parse_report({"id": "x", "status": status})) is target


def test_a_final_failure_records_africas_talking_reason_or_else_the_status(repository):
    repository.add(message(id_="a", provider_id="ATXid_a"))
    repository.add(message(id_="b", provider_id="ATXid_b"))
    apply(repository, id="ATXid_a", status="Failed", failureReason="UserInBlacklist")
    apply(repository, id="ATXid_b", status="Expired")
    assert repository.records[(PHONE, "a")].failure_reason == "UserInBlacklist"
    assert repository.records[(PHONE, "b")].failure_reason == "Expired"
    assert repository.records[(PHONE, "b")].updated_at == NOW


def test_delivery_records_no_failure_reason(repository):
    repository.add(message())
    apply(repository, id="ATXid_1", status="Success", failureReason="ignored")
    assert repository.records[(PHONE, "01")].failure_reason is None


@pytest.mark.parametrize("status", [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED])
def test_a_final_status_is_never_left(repository, status):
    repository.add(message(status=status))
    for report in ("Success", "Failed", "Sent"):
        assert apply(repository, id="ATXid_1", status=report) == "unchanged"
    assert repository.records[(PHONE, "01")].delivery_status is status


def test_an_in_flight_report_changes_nothing(repository):
    repository.add(message())
    assert apply(repository, id="ATXid_1", status="Buffered") == "unchanged"
    assert repository.calls == ["find_by_provider_message_id"]


def test_losing_a_race_to_another_writer_is_unchanged_not_an_error(repository):
    repository.add(message())
    repository.conflict_on_transition = True
    assert apply(repository, id="ATXid_1", status="Success") == "unchanged"


# -- reading the form ----------------------------------------------------------------------------
def test_the_form_fields_are_read_trimmed():
    report = parse_report({"id": " ATXid_1 ", "status": " Failed ", "failureReason": " DeliveryFailure ",
                           "phoneNumber": " +254711000001 "})
    assert (report.provider_message_id, report.status, report.failure_reason, report.phone_number) == (
        "ATXid_1", "Failed", "DeliveryFailure", "+254711000001")


def test_blank_optional_fields_are_absent():
    report = parse_report({"id": "x", "status": "Failed", "failureReason": "  ", "phoneNumber": ""})
    assert (report.failure_reason, report.phone_number) == (None, None)


def test_long_optional_fields_are_cut_to_the_limit():
    report = parse_report({"id": "x", "status": "Failed", "failureReason": "r" * 500, "phoneNumber": "1" * 500})
    assert report.failure_reason == "r" * MAX_FIELD_LENGTH and report.phone_number == "1" * MAX_FIELD_LENGTH


def test_an_id_up_to_the_limit_is_read_and_a_longer_one_refused():
    assert parse_report({"id": "i" * MAX_FIELD_LENGTH, "status": "Sent"}).provider_message_id == "i" * MAX_FIELD_LENGTH
    with pytest.raises(BadRequest) as error:
        parse_report({"id": "i" * (MAX_FIELD_LENGTH + 1), "status": "Sent"})
    assert error.value.field == "id"


NO_ID = "id: is required"
UNKNOWN_STATUS = "status: is not a delivery status Africa's Talking sends"


@pytest.mark.parametrize(("form", "answer"), [
    ({"status": "Success"}, NO_ID), ({"id": "  ", "status": "Success"}, NO_ID), ({"id": None, "status": "Success"}, NO_ID),
    ({"id": "x"}, UNKNOWN_STATUS), ({"id": "x", "status": "success"}, UNKNOWN_STATUS),
    ({"id": "x", "status": "Delivered"}, UNKNOWN_STATUS),
])
def test_a_report_without_an_id_or_a_known_status_is_refused_saying_which_field_and_why(form, answer):
    with pytest.raises(BadRequest) as error:
        parse_report(form)
    assert (f"{error.value.field}: ", error.value.message) == (answer.split(" ")[0] + " ", answer)

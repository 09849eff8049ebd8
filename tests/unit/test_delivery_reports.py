import pytest
from messenger.core.clock import SystemClock
from messenger.core.errors import BadRequest
from messenger.core.settings import settings
from messenger.delivery_reports.logic import apply_report, parse_report
from messenger.messages.models import DeliveryStatus

from tests.fakes import FakeAfricasTalking
from tests.support import full_table, moto_service, table_items
from tests.unit.test_dispatch import dispatcher, jobs_for, queue_messages


@pytest.fixture
def accepted():
    with moto_service() as resources:
        table = full_table(resources.table_name)
        [message] = queue_messages(table, ["+254711000001"])
        dispatcher(table, at=FakeAfricasTalking()).process(jobs_for([message]))
        yield table, table.get(message.to, message.id)


def report(table, message, status, **extra):
    form = {"id": message.provider_message_id, "status": status, "phoneNumber": message.to, **extra}
    return apply_report(table, SystemClock(), parse_report(form))


def current(table, message):
    return table.get(message.to, message.id)


def test_success_moves_accepted_to_delivered(accepted):
    table, message = accepted
    assert report(table, message, "Success") == "updated"
    assert current(table, message).delivery_status is DeliveryStatus.DELIVERED


def test_a_late_sent_after_success_changes_nothing(accepted):
    table, message = accepted
    report(table, message, "Success")
    assert report(table, message, "Sent") == "unchanged"
    assert report(table, message, "Failed", failureReason="DeliveryFailure") == "unchanged"
    assert current(table, message).delivery_status is DeliveryStatus.DELIVERED


def test_a_duplicate_report_is_idempotent(accepted):
    table, message = accepted
    report(table, message, "Success")
    updated_at = current(table, message).updated_at
    assert report(table, message, "Success") == "unchanged"
    assert current(table, message).updated_at == updated_at


@pytest.mark.parametrize(("status", "reason", "expected"), [
    ("Failed", "UserInBlackList", "UserInBlackList"),
    ("Rejected", None, "Rejected"),
    ("AbsentSubscriber", None, "AbsentSubscriber"),
    ("Expired", None, "Expired"),
])
def test_final_failures_record_a_reason(accepted, status, reason, expected):
    table, message = accepted
    extra = {"failureReason": reason} if reason else {}
    report(table, message, status, **extra)
    stored = current(table, message)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, expected)


@pytest.mark.parametrize("status", ["Sent", "Submitted", "Buffered"])
def test_in_flight_reports_leave_accepted_as_it_is(accepted, status):
    table, message = accepted
    assert report(table, message, status) == "unchanged"
    assert current(table, message).delivery_status is DeliveryStatus.ACCEPTED


@pytest.mark.parametrize("phone", [None, "+254711000001", "not a number"])
def test_an_unknown_id_is_acknowledged_and_changes_nothing(accepted, phone):
    table, message = accepted
    before = table_items(settings().table_name)
    form = {"id": "ATXid_nope", "status": "Failed", **({"phoneNumber": phone} if phone else {})}
    assert apply_report(table, SystemClock(), parse_report(form)) == "unknown"
    assert table_items(settings().table_name) == before
    assert current(table, message) == message  # still ACCEPTED, same updatedAt


@pytest.mark.parametrize("form", [{}, {"id": "x"}, {"id": "x", "status": "Delivered!"}, {"status": "Success"}])
def test_malformed_reports_are_bad_requests(form):
    with pytest.raises(BadRequest):
        parse_report(form)


def test_a_report_is_applied_even_while_the_index_lags(accepted):
    table, message = accepted

    class LaggingIndex:
        """The table as it is, but the index has not caught up with the ACCEPTED write yet."""

        def __getattr__(self, name):
            return getattr(table, name)

        def find_by_provider_message_id(self, provider_message_id):
            return None

    assert report(LaggingIndex(), message, "Success") == "updated"
    assert current(table, message).delivery_status is DeliveryStatus.DELIVERED

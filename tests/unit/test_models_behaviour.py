"""The records, errors and provider answers the logic works with."""

import itertools

import pytest
from messenger.core.errors import (
    BadRequest,
    Conflict,
    MessagingError,
    ProviderError,
    StatusConflict,
)
from messenger.messages.models import (
    DeliveryMethod,
    DeliveryStatus,
    Message,
    Page,
    Provider,
    can_move,
    predecessors,
)
from messenger.sending.models import AtRequestError, Credentials, RecipientResult

S = DeliveryStatus
# The lifecycle: (SCHEDULED ->) PENDING -> QUEUED -> ACCEPTED -> DELIVERED, FAILED from any unfinished
# status; CANCELLED only from what no provider has (SCHEDULED, QUEUED).
ALLOWED = {(S.PENDING, S.QUEUED), (S.PENDING, S.ACCEPTED), (S.QUEUED, S.ACCEPTED), (S.ACCEPTED, S.DELIVERED),
           (S.PENDING, S.FAILED), (S.QUEUED, S.FAILED), (S.ACCEPTED, S.FAILED), (S.ACCEPTED, S.UNCONFIRMED),
           (S.SCHEDULED, S.QUEUED), (S.SCHEDULED, S.FAILED), (S.SCHEDULED, S.CANCELLED), (S.QUEUED, S.CANCELLED)}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_a_status_only_moves_forward_along_the_lifecycle(current, target):
    assert can_move(current, target) is ((current, target) in ALLOWED)
    assert (current in predecessors(target)) is ((current, target) in ALLOWED)


def test_delivered_failed_unconfirmed_and_cancelled_are_final():
    finals = (S.DELIVERED, S.FAILED, S.UNCONFIRMED, S.CANCELLED)
    assert not any(can_move(final, target) for final in finals for target in S)
    assert {status for status in S if status.final} == set(finals)


MESSAGE = Message(
    id="01G8NBDZ6YMH5SCEQ1BGR3QTWG", to="jane@example.com", body="Hello", delivery_method=DeliveryMethod.EMAIL,
    delivery_status=S.ACCEPTED, provider=Provider.SES, created_at="2026-11-23T11:00:00.000Z",
    updated_at="2026-11-23T11:00:01.000Z", sender="no-reply@example.com", subject="Hi", recipient_id="r-1",
    sender_id="s-1", reference="order-42", provider_message_id="ses-1", failure_reason=None, segments=None, cost="0.0001",
)


def test_a_message_reads_as_the_graphql_message_type():
    assert MESSAGE.to_graphql() == {
        "id": "01G8NBDZ6YMH5SCEQ1BGR3QTWG", "to": "jane@example.com", "from": "no-reply@example.com", "subject": "Hi",
        "body": "Hello", "deliveryMethod": "EMAIL", "deliveryStatus": "ACCEPTED", "recipientId": "r-1",
        "senderId": "s-1", "reference": "order-42", "provider": "SES", "providerMessageId": "ses-1",
        "failureReason": None, "segments": None, "cost": "0.0001", "createdAt": "2026-11-23T11:00:00.000Z",
        "updatedAt": "2026-11-23T11:00:01.000Z", "sentAt": None, "completedAt": None, "events": [],
        "templateId": None, "templateVersion": None, "clientId": None, "test": False, "sendAt": None, "batchId": None, "direction": "OUTBOUND",
    }


def test_a_page_reads_as_the_graphql_connection():
    page = Page([MESSAGE], True, "cursor-1")
    assert page.to_graphql() == {"data": [MESSAGE.to_graphql()], "pageInfo": {"hasNextPage": True, "endCursor": "cursor-1"}}
    assert Page([], False, None).to_graphql() == {"data": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


def test_a_message_is_a_plain_record_of_its_fields():
    # Every scalar field; the timeline (`events`) is stored apart, as a list.
    assert MESSAGE.as_dict()["provider_message_id"] == "ses-1" and len(MESSAGE.as_dict()) == 29
    assert "events" not in MESSAGE.as_dict()


def test_a_bad_request_names_its_field_for_the_client():
    error = BadRequest("to", "is required")
    assert (error.error_type, error.message, error.info, error.field, str(error)) == (
        "BadRequest", "to: is required", {"field": "to"}, "to", "to: is required")


def test_a_conflict_and_our_own_errors_have_their_error_types():
    assert Conflict("key reused").error_type == "Conflict"
    error = MessagingError("broken")
    assert (error.error_type, error.message, error.info, str(error)) == ("InternalError", "broken", None, "broken")
    assert Conflict("reused", {"field": "idempotencyKey"}).info == {"field": "idempotencyKey"}


def test_a_client_error_reaches_the_client_as_it_is_and_anything_else_generically():
    from messenger.core.envelope import INTERNAL_MESSAGE, error_envelope

    class Logger:
        def __init__(self):
            self.calls = []

        def info(self, message, extra=None):
            self.calls.append(("info", extra))

        def exception(self, message, extra=None):
            self.calls.append(("exception", extra))

    logger = Logger()
    assert error_envelope(BadRequest("to", "is required"), logger) == {
        "error": {"type": "BadRequest", "message": "to: is required", "info": {"field": "to"}}}
    generic = {"error": {"type": "InternalError", "message": INTERNAL_MESSAGE, "info": None}}
    # Our own errors typed InternalError may name internals: answered like any unexpected exception.
    for error in (MessagingError("table dev-messages not found", {"table": "dev-messages"}), KeyError("PK")):
        assert error_envelope(error, logger) == generic
    assert [kind for kind, _ in logger.calls] == ["info", "exception", "exception"]


def test_a_provider_error_reads_as_its_reason_and_says_whether_to_retry():
    error = ProviderError("SES:Throttling", transient=True)
    assert (str(error), error.reason, error.transient) == ("SES:Throttling", "SES:Throttling", True)
    assert ProviderError("SES:MessageRejected", transient=False).transient is False
    assert isinstance(StatusConflict("x"), Exception)


def test_an_africas_talking_request_error_reads_as_its_reason():
    error = AtRequestError("AfricasTalking:Unauthorized", transient=True, unauthorised=True)
    assert (str(error), error.reason, error.transient, error.unauthorised) == (
        "AfricasTalking:Unauthorized", "AfricasTalking:Unauthorized", True, True)
    assert AtRequestError("AfricasTalking:HTTP400", transient=False).unauthorised is False


def test_credentials_never_show_their_key():
    credentials = Credentials("sandbox", "very-secret-key")
    assert "very-secret-key" not in repr(credentials) and "very-secret-key" not in str(credentials)
    assert repr(credentials) == "Credentials(username='sandbox', api_key=***)"
    assert RecipientResult("+254711000001", 101, "Success", "ATXid_1", None).status_code == 101


T0, T1 = "2026-11-23T12:00:00.000Z", "2026-11-23T13:00:00.000Z"


def test_a_proxy_session_is_open_until_the_moment_it_expires_and_not_at_it():
    from messenger.proxy.models import CLOSED, OPEN, ProxySession

    session = ProxySession("S1", "+254711000001", "+254711000002", "+254700000100", "SNS", OPEN, T0, T1)
    assert session.open_at("2026-11-23T12:59:59.999Z") and not session.open_at(T1)
    assert not ProxySession("S1", "+254711000001", "+254711000002", "+254700000100", "SNS", CLOSED, T0, T1).open_at(T0)


def test_a_rotated_out_webhook_secret_signs_until_the_moment_its_grace_ends_and_not_at_it():
    from messenger.webhooks.models import Webhook

    hook = Webhook("w1", "https://example.com/h", (), T0, "whsec_new", previous_secret="whsec_old",
                   previous_secret_until=T1)
    assert hook.signing_secrets("2026-11-23T12:59:59.999Z") == ("whsec_new", "whsec_old")
    assert hook.signing_secrets(T1) == ("whsec_new",)
    assert Webhook("w2", "https://example.com/h", (), T0, "whsec_only").signing_secrets(T0) == ("whsec_only",)


def test_archiving_a_template_changes_that_flag_only():
    from messenger.templates.models import Template

    template = Template("t1", "Receipt", DeliveryMethod.EMAIL, "Hi", 3, (), T0, T1, subject="S")
    archived = template.with_archived(True)
    assert archived.archived is True and archived.with_archived(False) == template

"""What each of Africa's Talking's per-recipient answers means for a message, read without any request."""

import logging

import pytest
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider
from messenger.sending.models import Receipt, RecipientResult
from messenger.sending.providers.africastalking import AfricasTalkingSender, outcome_of
from messenger.sending.providers.base import Refused
from messenger.suppressions.models import BLACKLISTED


def answer(code, message_id="ATXid_1", cost="KES 0.8000"):
    return RecipientResult("+254711000001", code, "whatever AT wrote", message_id, cost)


@pytest.mark.parametrize("code", [100, 101, 102])
def test_an_accepted_answer_is_a_receipt_with_its_price_with_or_without_an_id(code):
    assert outcome_of(answer(code)) == Receipt("ATXid_1", "KES 0.8000")
    assert outcome_of(answer(code, message_id=None)) == Receipt(None, "KES 0.8000")  # taken: no report will find it


def test_a_message_taken_without_an_id_is_accepted_not_failed_and_not_sent_again():
    from messenger.sending.dispatcher import Dispatcher, Job

    from tests.fakes import FakeQueue, FixedClock, FixedCredentials, MemoryRepository, senders

    class NoIds(Gateway):
        def send(self, credentials, recipients, message, sender_id):
            self.requests.append(recipients)
            return [RecipientResult(n, 101, "Success", None, "KES 0.8000") for n in recipients]

    repository, retries, gateway = MemoryRepository(), FakeQueue(), NoIds(refuse_first_key=False)
    message = repository.add(sms(1))
    worker = Dispatcher(repository, senders({}, gateway, FixedCredentials(), sender_id=None, max_recipients=100),
                        retries, FixedClock(), max_receive_count=5, retry_base_seconds=10, claim_lease_seconds=900)
    report = worker.process([Job("sqs-1", "rh-1", message.to, message.id, 1)])
    again = worker.process([Job("sqs-2", "rh-2", message.to, message.id, 2)])  # SQS delivers the job again
    stored = repository.records[(message.to, message.id)]
    assert (stored.delivery_status, stored.provider_message_id, stored.cost) == (DeliveryStatus.ACCEPTED, None, "KES 0.8000")
    assert (report.accepted, report.retry, again.skipped, retries.delays, len(gateway.requests)) == (1, set(), 1, [], 1)


@pytest.mark.parametrize("code, reason", [(500, "InternalServerError"), (501, "GatewayError"), (502, "RejectedByGateway")])
def test_a_gateway_error_is_refused_for_now(code, reason):
    assert outcome_of(answer(code, message_id=None)) == Refused(reason, transient=True)
    assert outcome_of(answer(code)) == Refused(reason, transient=True)


@pytest.mark.parametrize("code, outcome", [
    (403, Refused("InvalidPhoneNumber", transient=False)),
    (405, Refused("InsufficientBalance", transient=False)),
    (406, Refused("UserInBlacklist", transient=False, suppress=BLACKLISTED)),
    (499, Refused("AfricasTalking:499", transient=False)),
])
def test_other_answers_are_permanent_and_only_a_blacklisting_suppresses(code, outcome):
    assert outcome_of(answer(code, message_id=None)) == outcome
    assert outcome_of(answer(code, message_id="ATXid_9")) == outcome  # an id does not make a refusal a receipt


class Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def errors():
    handler, module_log = Errors(), logging.getLogger("messenger.sending.providers.africastalking")
    module_log.addHandler(handler)
    yield handler.messages
    module_log.removeHandler(handler)


def test_only_an_empty_account_is_logged_as_an_error_an_operator_can_alarm_on(errors):
    for code in (100, 403, 406, 501):
        outcome_of(answer(code))
    assert errors == []
    outcome_of(answer(405, message_id=None))
    assert errors == ["Africa's Talking account has insufficient balance"]


def test_without_a_client_or_credentials_every_message_fails_as_not_configured():
    message = Message("01J0000000000000000000000A", "+254711000001", "Hi", DeliveryMethod.SMS, DeliveryStatus.QUEUED,
                      Provider.AFRICASTALKING, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")  # fmt: skip
    sender = AfricasTalkingSender(None, None, sender_id=None, max_recipients=100)
    result = sender.send_group([message])
    assert result.outcomes == {message.id: Refused("AfricasTalking:NotConfigured", transient=False)}
    assert result.requests == 0


class Gateway:
    """Africa's Talking as the sender sees it: refuses the first key it is given, then takes everything."""

    def __init__(self, refuse_first_key: bool = True) -> None:
        self.requests, self._refuse = [], refuse_first_key

    def send(self, credentials, recipients, message, sender_id):
        from messenger.sending.models import AtRequestError

        self.requests.append((credentials.api_key, recipients, message, sender_id))
        if self._refuse:
            self._refuse = False
            raise AtRequestError("AfricasTalking:Unauthorized", transient=True, unauthorised=True)
        return [RecipientResult(n, 101, "Success", f"ATXid_{i}", "KES 0.8000") for i, n in enumerate(recipients)]


def sms(n: int = 1, sender: str | None = None) -> Message:
    return Message(f"01J000000000000000000000{n:02d}", f"+2547110000{n:02d}", "Your code is 1234", DeliveryMethod.SMS,
                   DeliveryStatus.QUEUED, Provider.AFRICASTALKING, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
                   sender=sender)  # fmt: skip


def test_a_refused_key_is_read_again_and_the_same_request_made_once_more():
    from messenger.sending.models import Credentials

    keys = iter(["old-key", "new-key"])
    forced = []

    def credentials(*, force=False):
        forced.append(force)
        return Credentials("sandbox", next(keys))

    gateway = Gateway()
    sender = AfricasTalkingSender(gateway, credentials, sender_id="ACME", max_recipients=100)
    result = sender.send_group([sms(1), sms(2)])
    assert gateway.requests == [
        ("old-key", ["+254711000001", "+254711000002"], "Your code is 1234", "ACME"),
        ("new-key", ["+254711000001", "+254711000002"], "Your code is 1234", "ACME")]
    assert forced == [False, True] and result.requests == 2
    assert result.outcomes == {sms(1).id: Receipt("ATXid_0", "KES 0.8000"), sms(2).id: Receipt("ATXid_1", "KES 0.8000")}


def test_unreadable_credentials_refuse_the_group_for_now_before_any_request():
    def credentials(*, force=False):
        raise ValueError("the Africa's Talking secret needs 'username' and 'apiKey'")

    gateway = Gateway(refuse_first_key=False)
    result = AfricasTalkingSender(gateway, credentials, sender_id=None, max_recipients=100).send_group([sms(1, "Shop")])
    assert result.outcomes == {sms(1).id: Refused("AfricasTalking:CredentialsUnavailable", transient=True)}
    assert gateway.requests == [] and result.requests == 0

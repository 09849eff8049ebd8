"""sendMessage's less common inputs reach the record: ids and a reference a client attaches, a template
and its HTML, a suppressed recipient, an origination number a caller inside the service chooses, and
what a deployment without templates answers. Also: a request the limits already know to be full is
refused before anything else is done."""

from types import SimpleNamespace

import boto3
import pytest
from messenger.core.caller import Caller
from messenger.core.clock import new_message_id
from messenger.core.errors import BadRequest
from messenger.core.settings import Settings
from messenger.limits.models import LimitExceeded
from messenger.messages.models import DeliveryStatus, Provider
from messenger.sending.dal import SendingTable
from messenger.sending.service import MessageService
from messenger.templates.models import Rendered

from stacks.config import config_from_context
from stacks.domains.sending import SEND_SETTINGS
from stacks.wiring import function_environment
from tests.fakes import FakeChannel, FakeQueue, FixedClock
from tests.support import table_items

SETTINGS = Settings.from_env({"TABLE_NAME": "t", **function_environment(config_from_context({}), SEND_SETTINGS)})
SMS = {"to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS"}


@pytest.fixture
def table(empty_moto_table):
    return empty_moto_table


def service_with(table_name, ses=None, **extra):
    repo, sns = SendingTable(boto3.client("dynamodb"), table_name), FakeChannel("sns")
    service = MessageService(repo, {Provider.SNS: sns, Provider.SES: ses or FakeChannel("ses")}, FakeQueue(),
                             SETTINGS, FixedClock(), new_message_id, **extra)
    return service, repo, sns


def test_the_ids_a_client_attaches_are_recorded(table):
    service, repo, _ = service_with(table)
    sent = service.send({**SMS, "recipientId": "customer-7", "senderId": "shop-3", "reference": "order-9"})
    stored = repo.get(sent.to, sent.id)
    assert (stored.recipient_id, stored.sender_id, stored.reference) == ("customer-7", "shop-3", "order-9")
    assert sent.to_graphql()["recipientId"] == "customer-7"


def test_an_origination_number_is_the_sender_the_provider_and_the_record_get(table):
    service, repo, sns = service_with(table)
    sent = service.send(SMS, origination="+14155550999")
    assert [m.sender for m in sns.sent] == ["+14155550999"]
    assert repo.get(sent.to, sent.id).sender == "+14155550999"


def test_without_templates_a_template_send_is_a_clear_bad_request_and_nothing_is_written(table):
    service, repo, sns = service_with(table)
    with pytest.raises(BadRequest) as refused:
        service.send({"to": "+14155550123", "templateId": "welcome", "deliveryMethod": "SMS"})
    assert str(refused.value) == "templateId: templates are not available here"
    assert table_items(table) == [] and sns.sent == []


class KnownFull:
    """Limits that already saw one request of one client at its cap."""

    def __init__(self, full: tuple[str, str]) -> None:
        self.full, self.asked, self.admitted = full, [], []

    def refuse_known_full(self, client_id, request_id):
        self.asked.append((client_id, request_id))
        if (client_id, request_id) == self.full:
            raise LimitExceeded("Limit exceeded: messages per request", {"limit": "messagesPerRequest"})

    def admit(self, facts):
        self.admitted.append(facts)


def test_a_request_known_full_is_refused_by_client_and_request_before_the_input_is_read(table):
    limits = KnownFull(("shop", "r-1"))
    service, repo, sns = service_with(table, limits=limits)
    shop = Caller("shop", frozenset({"SEND"}), False)
    with pytest.raises(LimitExceeded):
        service.send({"to": "not a number", "deliveryMethod": "SMS"}, shop, "r-1")  # invalid, yet refused first
    other_client = service.send(SMS, Caller("club", frozenset({"SEND"}), False), "r-1")
    other_request = service.send(SMS, shop, "r-2")
    assert limits.asked == [("shop", "r-1"), ("club", "r-1"), ("shop", "r-2")]
    assert [m.delivery_status for m in (other_client, other_request)] == [DeliveryStatus.ACCEPTED] * 2
    assert len(sns.sent) == 2 and len(table_items(table)) == 2


class Suppressed:
    def get(self, recipient):
        return SimpleNamespace(failure_reason="Suppressed: bounce")


def test_a_suppressed_recipient_is_recorded_failed_and_complete_at_once_and_not_sent(table):
    service, repo, sns = service_with(table, suppressions=Suppressed())
    sent = service.send(SMS)
    stored = repo.get(sent.to, sent.id)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, "Suppressed: bounce")
    assert stored.completed_at == stored.created_at and stored.completed_at is not None
    assert [(e.status, e.detail) for e in stored.events] == [(DeliveryStatus.FAILED, "Suppressed: bounce")]
    assert sns.sent == []


class OneTemplate:
    def for_send(self, args, method):
        return Rendered("welcome", 3, method, f"Hi {args['personalisation']['name']}", subject="Welcome",
                        html="<p>Hi</p>")


def test_a_send_by_template_records_which_template_and_version_and_its_html(table):
    ses = FakeChannel("ses")
    service, repo, _ = service_with(table, ses=ses, templates=OneTemplate)
    sent = service.send({"to": "ann@example.com", "templateId": "welcome", "deliveryMethod": "EMAIL",
                         "personalisation": {"name": "Ann"}})
    stored = repo.get(sent.to, sent.id)
    assert (stored.template_id, stored.template_version, stored.html) == ("welcome", 3, "<p>Hi</p>")
    assert (stored.body, stored.subject) == ("Hi Ann", "Welcome")
    assert [(m.html, m.template_version) for m in ses.sent] == [("<p>Hi</p>", 3)]


def test_an_sms_records_how_many_segments_it_takes(table):
    service, repo, _ = service_with(table)
    short, long = service.send(SMS), service.send({**SMS, "body": "x" * 161})
    assert (repo.get(short.to, short.id).segments, repo.get(long.to, long.id).segments) == (1, 2)


def test_the_id_names_the_millisecond_the_clock_gave_the_record():
    from messenger.messages.ulids import milliseconds_of
    from tests.fakes import MemoryRepository

    clock = FixedClock("2026-11-23T12:00:00.123Z")

    class Recording(MemoryRepository):
        def create(self, message):
            self.add(message)

    repo = Recording()
    service = MessageService(repo, {Provider.SNS: FakeChannel("sns")}, FakeQueue(), SETTINGS, clock, new_message_id)
    sent = service.send(SMS)
    assert sent.created_at == "2026-11-23T12:00:00.123Z"
    assert milliseconds_of(sent.id) == clock.epoch() * 1000 + 123


def test_an_idempotency_key_lives_the_configured_hours_from_the_clock(table):
    from messenger.sending.dal import idempotency_item_key

    clock = FixedClock("2026-11-23T12:00:00.000Z")
    service = MessageService(SendingTable(boto3.client("dynamodb"), table), {Provider.SNS: FakeChannel("sns")},
                             FakeQueue(), SETTINGS, clock, new_message_id)
    service.send({**SMS, "idempotencyKey": "order-77"})
    key_item = boto3.client("dynamodb").get_item(TableName=table, Key=idempotency_item_key("order-77", None))["Item"]
    assert SETTINGS.idempotency_ttl_hours == 24
    assert int(key_item["expiresAt"]["N"]) == clock.epoch() + 24 * 3600

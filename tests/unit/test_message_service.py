"""sendMessage and getMessages through the real data-access layer (moto in-process, no sockets)."""

import boto3
import pytest
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.errors import BadRequest, Conflict
from messenger.core.settings import settings
from messenger.messages.history import History
from messenger.messages.models import DeliveryStatus, Provider
from messenger.sending.dal import SendingTable
from messenger.sending.models import Receipt
from messenger.sending.service import MessageService

from tests.fakes import FakeChannel, FakeQueue, permanent, transient
from tests.support import moto_service, table_items


@pytest.fixture
def resources():
    with moto_service() as created:
        yield created


class ServiceWithHistory(MessageService):
    """sendMessage and getMessages over one table, as the API function serves both."""

    def page(self, args):
        return History(self._repo).page(args)


def make_service(resources, ses=None, sns=None, queue=None):
    table = SendingTable(boto3.client("dynamodb"), resources.table_name)
    channels = {Provider.SES: ses or FakeChannel("ses"), Provider.SNS: sns or FakeChannel("sns")}
    service = ServiceWithHistory(
        table, channels, queue if queue is not None else FakeQueue(), settings(), SystemClock(), new_message_id
    )
    return service, table, channels


def email(**extra):
    return {"to": "user@example.com", "body": "Hello", "deliveryMethod": "EMAIL", "subject": "Hi", **extra}


def sms(**extra):
    return {"to": "+14155550123", "body": "Hello", "deliveryMethod": "SMS", **extra}


def test_the_record_exists_before_the_provider_is_called(resources):
    seen = []
    table = SendingTable(boto3.client("dynamodb"), resources.table_name)
    ses = FakeChannel("ses", on_send=lambda m: seen.append(table.get(m.to, m.id)))
    service, _, _ = make_service(resources, ses=ses)
    sent = service.send(email())
    assert seen[0] is not None and seen[0].delivery_status is DeliveryStatus.PENDING
    assert sent.delivery_status is DeliveryStatus.ACCEPTED
    assert sent.provider_message_id == "ses-1"
    assert table.get(sent.to, sent.id).delivery_status is DeliveryStatus.ACCEPTED


def test_send_returns_the_stored_record_with_id_and_created_at(resources):
    service, table, _ = make_service(resources)
    sent = service.send(sms())
    stored = table.get(sent.to, sent.id)
    assert sent == stored
    assert len(sent.id) == 26 and sent.created_at.endswith("Z")


def test_a_permanent_provider_error_ends_failed_with_a_readable_reason(resources):
    service, _, _ = make_service(resources, ses=FakeChannel("ses", failures=[permanent("SES:MessageRejected")]))
    sent = service.send(email())
    assert sent.delivery_status is DeliveryStatus.FAILED
    assert sent.failure_reason == "SES:MessageRejected"


def test_a_concealed_body_is_recorded_while_the_direct_channel_gets_the_real_text(resources):
    service, table, channels = make_service(resources)
    sent = service.send(sms(body="482913 is your code"), record_body="****** is your code")
    assert [m.body for m in channels[Provider.SNS].sent] == ["482913 is your code"]
    assert sent.body == table.get(sent.to, sent.id).body == "****** is your code"


def test_a_concealed_body_refused_for_now_is_queued_with_its_real_text_after_the_retry_delay(resources):
    queue = FakeQueue()
    service, table, _ = make_service(resources, sns=FakeChannel("sns", failures=[transient("SNS:Throttling")]),
                                     queue=queue)
    sent = service.send(sms(body="482913 is your code"), record_body="****** is your code")
    assert (sent.delivery_status, sent.events[-1].detail) == (DeliveryStatus.QUEUED, "retry: SNS:Throttling")
    assert ([m.id for m in queue.jobs], queue.job_texts) == ([sent.id], ["482913 is your code"])
    assert queue.job_delays == [settings().retry_base_seconds] and settings().retry_base_seconds > 0
    assert table.get(sent.to, sent.id).body == "****** is your code"


def test_a_refusal_is_written_in_the_timeline_and_a_record_that_moved_meanwhile_is_answered_as_it_is(resources):
    service, table, _ = make_service(resources, ses=FakeChannel("ses", failures=[permanent("SES:MessageRejected")]))
    sent = service.send(email())
    assert (sent.events[-1].status, sent.events[-1].detail) == (DeliveryStatus.FAILED, "SES:MessageRejected")

    def ended_meanwhile(message):  # the record reached a final status before the refusal is written
        stored = table.get(message.to, message.id)
        accepted = table.transition(stored, DeliveryStatus.ACCEPTED, "2026-11-23T12:00:00.000Z")
        table.transition(accepted, DeliveryStatus.DELIVERED, "2026-11-23T12:00:01.000Z")

    refused = FakeChannel("ses", failures=[permanent("SES:MessageRejected")], on_send=ended_meanwhile)
    service, table, _ = make_service(resources, ses=refused)
    answer = service.send(email(to="other@example.com"))
    assert answer == table.get(answer.to, answer.id) and answer.delivery_status is DeliveryStatus.DELIVERED


def test_a_throttled_direct_send_is_queued_for_retry_not_failed(resources):
    queue = FakeQueue()
    service, _, _ = make_service(resources, sns=FakeChannel("sns", failures=[transient()]), queue=queue)
    sent = service.send(sms())
    assert sent.delivery_status is DeliveryStatus.QUEUED
    assert [m.id for m in queue.jobs] == [sent.id]


def test_africas_talking_messages_are_recorded_queued_and_no_provider_is_called(resources):
    queue = FakeQueue()
    service, _, channels = make_service(resources, queue=queue)
    sent = service.send(sms(to="+254711223344"))
    assert sent.delivery_status is DeliveryStatus.QUEUED
    assert sent.provider is Provider.AFRICASTALKING
    assert [m.id for m in queue.jobs] == [sent.id]
    assert channels[Provider.SNS].sent == []


def test_a_message_that_cannot_be_queued_ends_failed_not_lost(resources):
    service, _, _ = make_service(resources, queue=FakeQueue(broken=True))
    sent = service.send(sms(to="+254711223344"))
    assert sent.delivery_status is DeliveryStatus.FAILED
    assert sent.failure_reason == "QueueUnavailable"


def test_a_queued_channel_without_a_queue_ends_failed_saying_so(resources):
    table = SendingTable(boto3.client("dynamodb"), resources.table_name)
    service = MessageService(table, {Provider.SES: FakeChannel("ses"), Provider.SNS: FakeChannel("sns")}, None,
                             settings(), SystemClock(), new_message_id)
    sent = service.send(sms(to="+254711223344"))  # Africa's Talking: through the queue
    stored = table.get(sent.to, sent.id)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, "QueueNotConfigured")


@pytest.mark.parametrize("args", [email(to="nope"), sms(body=""), email(**{"from": "boss@example.com"})])
def test_bad_input_writes_nothing_and_sends_nothing(resources, args):
    service, _, channels = make_service(resources)
    with pytest.raises(BadRequest):
        service.send(args)
    assert table_items(resources.table_name) == []
    assert channels[Provider.SES].sent == [] and channels[Provider.SNS].sent == []


def test_the_same_idempotency_key_and_input_returns_the_original_and_sends_once(resources):
    service, _, channels = make_service(resources)
    first = service.send(email(idempotencyKey="order-42"))
    again = service.send(email(idempotencyKey="order-42"))
    assert again.id == first.id
    assert len(channels[Provider.SES].sent) == 1


def test_the_same_idempotency_key_with_another_input_is_a_conflict(resources):
    service, _, channels = make_service(resources)
    service.send(email(idempotencyKey="order-42"))
    with pytest.raises(Conflict) as conflict:
        service.send(email(idempotencyKey="order-42", body="Different"))
    assert (conflict.value.message, conflict.value.info) == (
        "idempotencyKey: this key was used with a different input", {"field": "idempotencyKey"})
    assert len(channels[Provider.SES].sent) == 1


def test_idempotency_keys_expire_through_the_ttl_attribute(resources):
    service, _, _ = make_service(resources)
    service.send(email(idempotencyKey="order-42"))
    keys = [i for i in table_items(resources.table_name) if i["PK"]["S"].startswith("IDEMPOTENCY#")]
    assert len(keys) == 1
    assert int(keys[0]["expiresAt"]["N"]) > SystemClock().epoch() + 23 * 3600


def test_an_idempotency_key_answers_only_the_client_that_used_it(resources):
    from messenger.clients.models import STACK_CLIENT
    from messenger.core.caller import ALL_SCOPES, SEND, Caller

    service, _, channels = make_service(resources)
    alice, bob = Caller("01JCLIENTALICE", frozenset({SEND})), Caller("01JCLIENTBOB", frozenset({SEND}))
    stack = Caller(STACK_CLIENT, frozenset(ALL_SCOPES))
    first = {who: service.send(email(idempotencyKey="order-42"), who) for who in (alice, bob, stack)}
    assert len({m.id for m in first.values()}) == 3  # nobody is answered with another client's message
    assert len(channels[Provider.SES].sent) == 3
    assert {who: service.send(email(idempotencyKey="order-42"), who).id for who in first} == {
        who: m.id for who, m in first.items()}
    assert len(channels[Provider.SES].sent) == 3
    names = sorted(i["PK"]["S"] for i in table_items(resources.table_name) if i["PK"]["S"].startswith("IDEMPOTENCY"))
    # The stack's key keeps the name keys had before clients existed: a retry across that deploy replays.
    assert names == ["IDEMPOTENCY#order-42", "IDEMPOTENCY-CLIENT#01JCLIENTALICE#order-42",
                     "IDEMPOTENCY-CLIENT#01JCLIENTBOB#order-42"]


def test_a_key_a_client_used_before_keys_were_named_per_client_still_replays_for_it_only(resources):
    from messenger.core.caller import SEND, Caller

    service, _, channels = make_service(resources)
    alice, bob = Caller("01JCLIENTALICE", frozenset({SEND})), Caller("01JCLIENTBOB", frozenset({SEND}))
    first = service.send(email(idempotencyKey="order-7"), alice)
    db = boto3.client("dynamodb")
    [item] = [i for i in table_items(resources.table_name) if i["PK"]["S"].startswith("IDEMPOTENCY")]
    db.delete_item(TableName=resources.table_name, Key={"PK": item["PK"], "SK": item["SK"]})
    old_name = {"S": "IDEMPOTENCY#order-7"}  # as the release before per-client names wrote it
    db.put_item(TableName=resources.table_name, Item={**item, "PK": old_name, "SK": old_name})
    assert service.send(email(idempotencyKey="order-7"), alice).id == first.id
    assert len(channels[Provider.SES].sent) == 1
    assert service.send(email(idempotencyKey="order-7"), bob).id != first.id  # not bob's
    assert len(channels[Provider.SES].sent) == 2


def _history(service, count):
    return [service.send(email(body=f"Hello {i}")).id for i in range(count)]


def test_pages_walk_the_history_oldest_first_with_an_exact_has_next_page(resources):
    service, _, _ = make_service(resources)
    ids = _history(service, 4)
    seen, after, pages = [], None, []
    while True:
        page = service.page({"filter": {"to": "user@example.com"}, "first": 2, "after": after})
        pages.append(page.has_next_page)
        seen += [m.id for m in page.messages]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == ids
    assert pages == [True, False]  # the exactly full last page says there is no more


def test_newest_first_on_request(resources):
    service, _, _ = make_service(resources)
    ids = _history(service, 3)
    page = service.page({"filter": {"to": "user@example.com"}, "first": 10, "order": "NEWEST_FIRST"})
    assert [m.id for m in page.messages] == ids[::-1]
    assert page.has_next_page is False


def test_each_page_is_exactly_one_dynamodb_query(resources):
    service, table, _ = make_service(resources)
    _history(service, 3)
    calls = []
    table._db.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    page = service.page({"filter": {"to": "user@example.com"}, "first": 1})
    service.page({"filter": {"to": "user@example.com"}, "first": 1, "after": page.end_cursor})
    assert calls == ["Query", "Query"]


def test_a_cursor_from_another_history_is_refused(resources):
    service, _, _ = make_service(resources)
    _history(service, 3)
    page = service.page({"filter": {"to": "user@example.com"}, "first": 1})
    with pytest.raises(BadRequest) as error:
        service.page({"filter": {"to": "other@example.com"}, "first": 1, "after": page.end_cursor})
    assert error.value.field == "after"


def test_an_empty_history_has_no_cursor(resources):
    service, _, _ = make_service(resources)
    page = service.page({"filter": {"to": "nobody@example.com"}})
    assert (page.messages, page.has_next_page, page.end_cursor) == ([], False, None)


class RacingDynamoDB:
    """The real (moto) client, except that the first transaction is cancelled the way DynamoDB
    cancels the loser of two concurrent transactions on one key; `before_cancel` lets the winner
    commit first (or not yet). moto runs transactions one at a time, so the race is staged here."""

    def __init__(self, real, before_cancel=None) -> None:
        self._real, self._before_cancel, self.cancelled = real, before_cancel, 0

    def __getattr__(self, name):
        return getattr(self._real, name)

    def transact_write_items(self, **request):
        if not self.cancelled:
            self.cancelled += 1
            if self._before_cancel:
                self._before_cancel()
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "TransactionCanceledException"},
                               "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}]},
                              "TransactWriteItems")
        return self._real.transact_write_items(**request)


def test_the_loser_of_two_concurrent_requests_with_one_key_replays_the_winner(resources):
    winner_service, table, channels = make_service(resources)
    holder = {}
    racing = RacingDynamoDB(table._db, before_cancel=lambda: holder.update(m=winner_service.send(email(idempotencyKey="burst"))))
    loser_service, loser_table, loser_channels = make_service(resources)
    loser_table._db = racing
    replayed = loser_service.send(email(idempotencyKey="burst"))
    assert replayed.id == holder["m"].id
    assert len(channels[Provider.SES].sent) == 1 and loser_channels[Provider.SES].sent == []
    assert len([i for i in table_items(resources.table_name) if i["PK"]["S"].startswith("MESSAGE#")]) == 1


def test_a_transaction_conflict_with_no_winner_yet_is_tried_again(resources):
    service, table, channels = make_service(resources)
    table._db = RacingDynamoDB(table._db)
    sent = service.send(email(idempotencyKey="retry-me"))
    assert table._db.cancelled == 1 and sent.delivery_status is DeliveryStatus.ACCEPTED
    assert len(channels[Provider.SES].sent) == 1


def test_a_key_past_its_expiry_is_free_again_even_before_ttl_deletes_it(resources):
    service, table, channels = make_service(resources)
    first = service.send(email(idempotencyKey="old-key"))
    key = {"PK": {"S": "IDEMPOTENCY#old-key"}, "SK": {"S": "IDEMPOTENCY#old-key"}}
    boto3.client("dynamodb").update_item(TableName=resources.table_name, Key=key,
                                         UpdateExpression="SET expiresAt = :past",
                                         ExpressionAttributeValues={":past": {"N": "1000"}})
    second = service.send(email(idempotencyKey="old-key", body="A new message"))
    assert second.id != first.id and len(channels[Provider.SES].sent) == 2


def test_replaying_a_key_whose_request_died_mid_send_says_the_outcome_is_unknown(resources):
    service, table, channels = make_service(resources)
    ses = channels[Provider.SES]

    def die(message):
        raise SystemExit("the function was killed")  # between the PENDING write and the answer

    ses._on_send = die
    with pytest.raises(SystemExit):
        service.send(email(idempotencyKey="k-1"))
    ses._on_send = None
    [pending] = [i for i in table_items(resources.table_name) if i["PK"]["S"].startswith("MESSAGE#")]
    assert pending["deliveryStatus"]["S"] == "PENDING"
    assert service.send(email(idempotencyKey="k-1")).delivery_status is DeliveryStatus.PENDING  # still in time
    old = "2020-01-01T00:00:00.000Z"
    boto3.client("dynamodb").update_item(TableName=resources.table_name, Key={"PK": pending["PK"], "SK": pending["SK"]},
                                         UpdateExpression="SET createdAt = :old",
                                         ExpressionAttributeValues={":old": {"S": old}})
    replayed = service.send(email(idempotencyKey="k-1"))
    assert replayed.delivery_status is DeliveryStatus.FAILED
    assert replayed.failure_reason == "Interrupted (may have been sent)"
    assert ses.sent == []


@pytest.mark.parametrize(("created", "status"), [
    ("2026-11-23T11:58:00.000Z", DeliveryStatus.PENDING),  # exactly 120 s before: its request may still be on it
    ("2026-11-23T11:57:59.999Z", DeliveryStatus.FAILED),
])
def test_a_pending_record_is_given_up_on_only_once_older_than_its_requests_could_run(resources, created, status):
    from tests.fakes import FixedClock

    table = SendingTable(boto3.client("dynamodb"), resources.table_name)
    ses = FakeChannel("ses", on_send=lambda message: (_ for _ in ()).throw(SystemExit("killed mid-send")))
    service = ServiceWithHistory(table, {Provider.SES: ses, Provider.SNS: FakeChannel("sns")}, FakeQueue(), settings(),
                                 FixedClock("2026-11-23T12:00:00.000Z"), new_message_id)
    with pytest.raises(SystemExit):
        service.send(email(idempotencyKey=f"k-{created}"))
    [pending] = [i for i in table_items(resources.table_name) if i["PK"]["S"].startswith("MESSAGE#")
                 and i.get("deliveryStatus", {}).get("S") == "PENDING"]
    boto3.client("dynamodb").update_item(TableName=resources.table_name, Key={"PK": pending["PK"], "SK": pending["SK"]},
                                         UpdateExpression="SET createdAt = :at",
                                         ExpressionAttributeValues={":at": {"S": created}})
    assert service.send(email(idempotencyKey=f"k-{created}")).delivery_status is status


def test_a_throttled_send_waits_before_its_retry(resources):
    class DelayQueue(FakeQueue):
        def enqueue(self, message, delay_seconds=0):
            self.delays.append((message.id, delay_seconds))
            super().enqueue(message, delay_seconds)

    queue = DelayQueue()
    service, _, _ = make_service(resources, sns=FakeChannel("sns", failures=[transient()]), queue=queue)
    sent = service.send(sms())
    assert queue.delays == [(sent.id, settings().retry_base_seconds)]


def test_a_page_cut_short_by_dynamodbs_1mb_limit_still_leads_to_the_rest(resources):
    service, _, _ = make_service(resources)
    ids = [service.send(email(body=f"{i}" + "x" * 250_000)).id for i in range(6)]
    seen, after, rounds = [], None, 0
    while rounds < 10:
        rounds += 1
        page = service.page({"filter": {"to": "user@example.com"}, "first": 10, "after": after})
        seen += [m.id for m in page.messages]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == ids
    assert rounds > 1  # 1.5 MB of messages cannot come back in one Query


class CostlyChannel(FakeChannel):
    """A direct channel whose provider prices each message, as Africa's Talking does."""

    def send(self, message):
        receipt = super().send(message)
        return Receipt(receipt.provider_message_id, cost="USD 0.0075")


def test_a_direct_send_keeps_the_price_its_provider_reported(resources):
    service, table, _ = make_service(resources, sns=CostlyChannel("sns"))
    sent = service.send(sms())
    stored = table.get(sent.to, sent.id)
    assert (stored.delivery_status, stored.provider_message_id, stored.cost) == (
        DeliveryStatus.ACCEPTED, "sns-1", "USD 0.0075")


def test_a_key_whose_transaction_never_stops_conflicting_fails_the_request_with_nothing_written_or_sent(
        resources, monkeypatch):
    from messenger.core.errors import StatusConflict

    class AlwaysRacing(RacingDynamoDB):
        def transact_write_items(self, **request):
            self.cancelled = 0  # every attempt is cancelled, and no winner ever shows
            return super().transact_write_items(**request)

    pauses = []
    monkeypatch.setattr("messenger.sending.dal.time.sleep", pauses.append)
    service, table, channels = make_service(resources)
    table._db = AlwaysRacing(table._db)
    with pytest.raises(StatusConflict, match="^idempotency key: transaction kept conflicting$"):
        service.send(email(idempotencyKey="contested"))
    assert pauses == [0.05 * 2**n for n in range(len(pauses))] and len(pauses) >= 3
    assert channels[Provider.SES].sent == [] and table_items(resources.table_name) == []


def test_a_key_whose_message_has_gone_is_an_internal_error_and_nothing_is_sent_again(resources):
    from messenger.core.errors import MessagingError

    service, table, channels = make_service(resources)
    first = service.send(email(idempotencyKey="erased"))
    boto3.client("dynamodb").delete_item(TableName=resources.table_name,
                                         Key={"PK": {"S": f"MESSAGE#{first.to}"}, "SK": {"S": f"MESSAGE#{first.id}"}})
    with pytest.raises(MessagingError) as failed:
        service.send(email(idempotencyKey="erased"))
    assert (failed.value.error_type, failed.value.message) == ("InternalError", "the message this key created is missing")
    assert len(channels[Provider.SES].sent) == 1

"""The dispatch worker's decisions, through the real data-access layer (moto in-process)."""

import itertools

import boto3
import pytest
from messenger.core.clock import SystemClock, new_message_id
from messenger.core.settings import settings
from messenger.messages.models import DeliveryStatus, Provider
from messenger.sending.dal import SendingTable
from messenger.sending.dispatcher import Dispatcher, Job
from messenger.sending.models import AtRequestError
from messenger.sending.service import MessageService

from tests.fakes import (
    FakeAfricasTalking,
    FakeChannel,
    FakeQueue,
    FixedCredentials,
    senders,
    transient,
    unauthorised,
)
from tests.support import moto_service

_receipts = itertools.count(1)


@pytest.fixture
def env():
    with moto_service() as resources:
        table = SendingTable(boto3.client("dynamodb"), resources.table_name)
        yield table


def queue_messages(table, numbers, body="Your code is 1234", sns=None):
    queue = FakeQueue()
    service = MessageService(
        table, {Provider.SNS: sns or FakeChannel("sns"), Provider.SES: FakeChannel("ses")}, queue,
        settings(), SystemClock(), new_message_id,
    )
    for number in numbers:
        service.send({"to": number, "body": body, "deliveryMethod": "SMS", "provider": "AFRICASTALKING"})
    return queue.jobs


def jobs_for(messages, receive_count=1):
    return [Job(f"sqs-{next(_receipts)}", f"rh-{m.id}", m.to, m.id, receive_count) for m in messages]


def dispatcher(table, at=None, credentials=None, retries=None, max_recipients=100, lease=30, channels=None):
    return Dispatcher(
        table,
        senders(channels or {Provider.SNS: FakeChannel("sns")}, at or FakeAfricasTalking(),
                credentials or FixedCredentials(), sender_id="ACME", max_recipients=max_recipients),
        retries or FakeQueue(), SystemClock(),
        max_receive_count=3, retry_base_seconds=10, claim_lease_seconds=lease,
    )


def numbers(count, start=0):
    return [f"+2547{11000000 + i:08d}" for i in range(start, start + count)]


def status_of(table, message):
    return table.get(message.to, message.id)


def test_same_text_messages_share_requests_of_at_most_the_configured_size(env):
    messages = queue_messages(env, numbers(250))
    at = FakeAfricasTalking()
    report = dispatcher(env, at=at).process(jobs_for(messages))
    assert [len(r["to"]) for r in at.requests] == [100, 100, 50]
    assert report.accepted == 250 and report.retry == set()
    assert all(r["from"] == "ACME" for r in at.requests)


def test_different_texts_go_in_different_requests(env):
    messages = queue_messages(env, numbers(2), body="A") + queue_messages(env, numbers(2), body="B")
    at = FakeAfricasTalking()
    dispatcher(env, at=at).process(jobs_for(messages))
    assert sorted((r["message"], len(r["to"])) for r in at.requests) == [("A", 2), ("B", 2)]


def test_one_number_twice_with_one_text_is_split_over_two_requests(env):
    messages = queue_messages(env, ["+254711000001", "+254711000001"])
    at = FakeAfricasTalking()
    dispatcher(env, at=at).process(jobs_for(messages))
    assert [r["to"] for r in at.requests] == [["+254711000001"], ["+254711000001"]]


def test_accepted_recipients_store_at_message_id_and_cost(env):
    [message] = queue_messages(env, numbers(1))
    dispatcher(env).process(jobs_for([message]))
    stored = status_of(env, message)
    assert stored.delivery_status is DeliveryStatus.ACCEPTED
    assert stored.provider_message_id.startswith("ATXid_") and stored.cost == "KES 0.8000"


@pytest.mark.parametrize(("code", "reason"), [(403, "InvalidPhoneNumber"), (406, "UserInBlacklist"), (405, "InsufficientBalance")])
def test_permanent_statuses_fail_without_retry(env, code, reason):
    [message] = queue_messages(env, numbers(1))
    at = FakeAfricasTalking(codes={message.to: code})
    report = dispatcher(env, at=at).process(jobs_for([message]))
    assert report.retry == set()
    stored = status_of(env, message)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, reason)


def test_a_transient_status_retries_only_that_item_with_backoff(env):
    ok, flaky = queue_messages(env, numbers(2))
    at = FakeAfricasTalking(codes={flaky.to: 501})
    retries = FakeQueue()
    jobs = jobs_for([ok, flaky])
    report = dispatcher(env, at=at, retries=retries).process(jobs)
    assert report.retry == {jobs[1].item_id}
    assert retries.delays == [(jobs[1].receipt_handle, 10)]
    assert status_of(env, ok).delivery_status is DeliveryStatus.ACCEPTED
    assert status_of(env, flaky).delivery_status is DeliveryStatus.QUEUED


def test_a_retried_item_is_sent_again_once_the_gateway_recovers(env):
    [message] = queue_messages(env, numbers(1))
    at = FakeAfricasTalking(codes={message.to: [501, 101]})
    worker = dispatcher(env, at=at)
    worker.process(jobs_for([message], receive_count=1))
    worker.process(jobs_for([message], receive_count=2))
    assert status_of(env, message).delivery_status is DeliveryStatus.ACCEPTED
    assert len(at.requests) == 2


def test_the_last_receive_of_a_transient_failure_records_failed_and_still_goes_to_the_dlq(env):
    [message] = queue_messages(env, numbers(1))
    at = FakeAfricasTalking(codes={message.to: 502})
    jobs = jobs_for([message], receive_count=3)
    retries = FakeQueue()
    report = dispatcher(env, at=at, retries=retries).process(jobs)
    assert report.retry == {jobs[0].item_id}
    assert retries.delays == [(jobs[0].receipt_handle, 0)]  # straight on to the DLQ
    stored = status_of(env, message)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, "RejectedByGateway")


@pytest.mark.parametrize("error", [AtRequestError("AfricasTalking:HTTP503", transient=True),
                                   AtRequestError("AfricasTalking:Timeout", transient=True)])
def test_request_level_transient_errors_retry_the_whole_group(env, error):
    messages = queue_messages(env, numbers(3))
    at = FakeAfricasTalking(request_errors=[error])
    jobs = jobs_for(messages)
    report = dispatcher(env, at=at).process(jobs)
    assert report.retry == {j.item_id for j in jobs}
    assert all(status_of(env, m).delivery_status is DeliveryStatus.QUEUED for m in messages)


def test_a_redelivered_job_whose_message_was_accepted_sends_nothing(env):
    [message] = queue_messages(env, numbers(1))
    at = FakeAfricasTalking()
    worker = dispatcher(env, at=at)
    worker.process(jobs_for([message]))
    report = worker.process(jobs_for([message], receive_count=2))
    assert len(at.requests) == 1
    assert report.skipped == 1 and report.retry == set()


def test_every_job_acknowledged_without_sending_is_counted_whether_settled_or_naming_no_record(env):
    sent = queue_messages(env, numbers(2))
    worker = dispatcher(env, at=FakeAfricasTalking())
    worker.process(jobs_for(sent))
    ghosts = [Job(f"sqs-ghost-{n}", f"rh-ghost-{n}", "+254711999999", f"01KAQZ3X8J00000000000000G{n}", 1) for n in range(2)]
    report = worker.process(jobs_for(sent, receive_count=2) + ghosts)
    assert (report.skipped, report.retry, report.accepted) == (4, set(), 0)


def test_two_copies_of_one_job_in_one_batch_send_once(env):
    [message] = queue_messages(env, numbers(1))
    at = FakeAfricasTalking()
    jobs = jobs_for([message, message])
    report = dispatcher(env, at=at).process(jobs)
    assert at.recipients_sent == [(message.to, message.body)]
    # The copy that found the claim held comes back later and then finds the message ACCEPTED.
    assert report.retry == {jobs[1].item_id}


def test_a_fresh_claim_held_elsewhere_is_not_taken_over(env):
    [message] = queue_messages(env, numbers(1))
    assert env.claim(message.to, message.id, "other-worker", SystemClock().now(), SystemClock().ago(30)).granted
    at = FakeAfricasTalking()
    report = dispatcher(env, at=at).process(jobs_for([message]))
    assert at.requests == [] and len(report.retry) == 1


def test_a_stale_claim_from_a_dead_attempt_is_taken_over_and_counted(env):
    messages = queue_messages(env, numbers(2))
    for message in messages:
        env.claim(message.to, message.id, "dead-worker", SystemClock().ago(120), SystemClock().ago(150))
    at = FakeAfricasTalking()
    report = dispatcher(env, at=at, lease=30).process(jobs_for(messages))
    assert report.takeovers == 2
    assert len(at.requests) == 1  # both numbers in one request
    assert {status_of(env, m).delivery_status for m in messages} == {DeliveryStatus.ACCEPTED}


def test_a_401_re_reads_the_secret_once_and_retries(env):
    [message] = queue_messages(env, numbers(1))
    credentials = FixedCredentials()
    at = FakeAfricasTalking(request_errors=[unauthorised()])
    dispatcher(env, at=at, credentials=credentials).process(jobs_for([message]))
    assert credentials.reads == [False, True]
    assert at.requests[0]["credentials"].api_key == "rotated-key"
    assert status_of(env, message).delivery_status is DeliveryStatus.ACCEPTED


def test_a_401_that_persists_after_refresh_is_retried_through_sqs(env):
    [message] = queue_messages(env, numbers(1))
    at = FakeAfricasTalking(request_errors=[unauthorised(), unauthorised()])
    report = dispatcher(env, at=at).process(jobs_for([message]))
    assert len(report.retry) == 1
    assert status_of(env, message).delivery_status is DeliveryStatus.QUEUED


def test_a_throttled_direct_sms_is_sent_by_the_worker(env):
    queue = FakeQueue()
    service = MessageService(env, {Provider.SNS: FakeChannel("sns", failures=[transient()])}, queue,
                             settings(), SystemClock(), new_message_id)
    message = service.send({"to": "+14155550123", "body": "Hi", "deliveryMethod": "SMS"})
    sns = FakeChannel("sns")
    dispatcher(env, channels={Provider.SNS: sns}).process(jobs_for(queue.jobs))
    assert [m.id for m in sns.sent] == [message.id]
    assert status_of(env, message).delivery_status is DeliveryStatus.ACCEPTED


def test_an_unreadable_secret_retries_the_group_without_a_request(env):
    [message] = queue_messages(env, numbers(1))

    def broken(*, force=False):
        raise RuntimeError("secrets manager is down")

    at = FakeAfricasTalking()
    report = dispatcher(env, at=at, credentials=broken).process(jobs_for([message]))
    assert at.requests == [] and report.at_requests == 0 and len(report.retry) == 1
    assert status_of(env, message).delivery_status is DeliveryStatus.QUEUED


def test_an_unexpected_error_in_one_group_does_not_sink_the_others(env):
    good = queue_messages(env, numbers(2), body="fine")
    bad = queue_messages(env, numbers(2, start=10), body="boom")

    class Exploding(FakeAfricasTalking):
        def send(self, credentials, recipients, message, sender_id):
            if message == "boom":
                raise KeyError("a bug")
            return super().send(credentials, recipients, message, sender_id)

    jobs = jobs_for(good + bad)
    report = dispatcher(env, at=Exploding()).process(jobs)
    assert report.accepted == 2 and report.retry == {j.item_id for j in jobs[2:]}
    assert all(status_of(env, m).delivery_status is DeliveryStatus.ACCEPTED for m in good)


def test_no_request_starts_without_the_time_to_finish_it(env):
    messages = (queue_messages(env, numbers(2), body="A") + queue_messages(env, numbers(2), body="B")
                + queue_messages(env, numbers(1), body="C"))
    at, retries = FakeAfricasTalking(), FakeQueue()
    clock = iter([60_000, 5_000, 4_000])  # plenty for the first request, too little for the two others
    jobs = jobs_for(messages)
    report = dispatcher(env, at=at, retries=retries).process(jobs, time_left_ms=lambda: next(clock))
    assert len(at.requests) == 1 and report.accepted == 2
    given_back = {j.item_id for j in jobs if j.message_id not in {m.id for m in messages[:2]}}
    assert report.retry == given_back  # each handed out again at once
    assert sorted(retries.delays) == sorted((j.receipt_handle, 0) for j in jobs if j.item_id in given_back)
    # Given back unclaimed: the next receive sends them without a takeover.
    again = dispatcher(env, at=at).process([j for j in jobs if j.item_id in given_back])
    assert again.takeovers == 0 and again.accepted == 3

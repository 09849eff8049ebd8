"""The worker's answer to a transient failure: back off, try again, and on the last receive give up."""

import pytest
from messenger.core.errors import ProviderError
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider
from messenger.sending.dispatcher import MAX_VISIBILITY_SECONDS, Dispatcher, Job
from messenger.sending.models import AtRequestError

from tests.fakes import (
    FakeAfricasTalking,
    FakeChannel,
    FakeQueue,
    FixedClock,
    FixedCredentials,
    MemoryRepository,
    senders,
)

PHONE = "+254711000001"


def queued(id_="01", provider=Provider.AFRICASTALKING, to=PHONE):
    return Message(id=id_, to=to, body="Your code is 1234", delivery_method=DeliveryMethod.SMS,
                   delivery_status=DeliveryStatus.QUEUED, provider=provider,
                   created_at="2026-11-23T11:00:00.000Z", updated_at="2026-11-23T11:00:00.000Z")


def worker(repository, retries, at=None, channels=None, max_receives=5, base=10):
    return Dispatcher(repository, senders(channels or {}, at or FakeAfricasTalking(codes={PHONE: 501}),
                                          FixedCredentials(), sender_id=None, max_recipients=100),
                      retries, FixedClock(), max_receive_count=max_receives, retry_base_seconds=base,
                      claim_lease_seconds=900)


def attempt(receive_count, max_receives=5, base=10, at=None, channels=None, message=None):
    repository, retries = MemoryRepository(), FakeQueue()
    message = repository.add(message or queued())
    job = Job("sqs-1", "rh-1", message.to, message.id, receive_count)
    report = worker(repository, retries, at, channels, max_receives, base).process([job])
    return report, retries.delays, repository, repository.records[(message.to, message.id)]


@pytest.mark.parametrize(("receive_count", "delay"), [(1, 10), (2, 20), (3, 40), (4, 80)])
def test_each_retry_waits_twice_as_long_as_the_one_before(receive_count, delay):
    report, delays, _, _ = attempt(receive_count)
    assert report.retry == {"sqs-1"} and delays == [("rh-1", delay)]


def test_the_back_off_follows_the_configured_base():
    assert attempt(3, base=7)[1] == [("rh-1", 28)]


def test_the_back_off_never_exceeds_what_sqs_allows():
    assert attempt(9, max_receives=20)[1] == [("rh-1", MAX_VISIBILITY_SECONDS)]
    assert attempt(7, max_receives=20)[1] == [("rh-1", 640)]


def test_before_the_last_receive_the_message_stays_queued_and_unclaimed_for_the_next_attempt():
    report, _, repository, stored = attempt(4)
    assert stored.delivery_status is DeliveryStatus.QUEUED and stored.failure_reason is None
    assert repository.claims == {} and report.failed == 0


@pytest.mark.parametrize("receive_count", [5, 6])
def test_on_the_last_receive_the_message_fails_with_the_reason_and_the_job_leaves_at_once(receive_count):
    report, delays, repository, stored = attempt(receive_count)
    assert (stored.delivery_status, stored.failure_reason) == (DeliveryStatus.FAILED, "GatewayError")
    assert report.retry == {"sqs-1"} and report.failed == 1  # SQS moves it to the DLQ on the next receive
    assert delays == [("rh-1", 0)]
    assert "release" not in repository.calls and repository.claims == {}  # the failing write ended the claim
    assert (stored.events[-1].status, stored.events[-1].detail) == (DeliveryStatus.FAILED, "GatewayError")


def test_every_message_of_a_batch_that_fails_for_good_is_counted():
    repository, retries = MemoryRepository(), FakeQueue()
    others = "+254711000002"
    messages = [repository.add(queued("01")), repository.add(queued("02", to=others))]
    at = FakeAfricasTalking(codes={PHONE: 403, others: 403})  # InvalidPhoneNumber: final at once
    report = worker(repository, retries, at).process([Job(f"s{m.id}", f"r{m.id}", m.to, m.id, 1) for m in messages])
    assert report.failed == 2


def test_a_request_that_failed_as_a_whole_retries_with_its_own_reason():
    at = FakeAfricasTalking(request_errors=[AtRequestError("AfricasTalking:HTTP503", transient=True)] * 2)
    _, delays, _, stored = attempt(5, at=at)
    assert stored.failure_reason == "AfricasTalking:HTTP503" and delays == [("rh-1", 0)]


def test_a_number_missing_from_the_answer_is_retried_as_not_sent():
    class Silent(FakeAfricasTalking):
        def send(self, credentials, recipients, message, sender_id):
            super().send(credentials, recipients, message, sender_id)
            return []

    report, delays, _, stored = attempt(1, at=Silent())
    assert stored.delivery_status is DeliveryStatus.QUEUED and delays == [("rh-1", 10)]
    _, _, _, stored = attempt(5, at=Silent())
    assert stored.failure_reason == "AfricasTalking:NoResultForRecipient"


def test_direct_channels_back_off_the_same_way():
    sns = FakeChannel("sns", failures=[ProviderError("SNS:Throttling", transient=True)] * 2)
    message = queued(provider=Provider.SNS, to="+14155550123")
    _, delays, _, stored = attempt(2, channels={Provider.SNS: sns}, message=message)
    assert delays == [("rh-1", 20)] and stored.delivery_status is DeliveryStatus.QUEUED
    sns = FakeChannel("sns", failures=[ProviderError("SNS:Throttling", transient=True)])
    _, delays, _, stored = attempt(5, channels={Provider.SNS: sns}, message=message)
    assert (stored.failure_reason, delays) == ("SNS:Throttling", [("rh-1", 0)])


def test_without_a_retry_scheduler_the_queue_timeout_decides_and_nothing_breaks():
    repository = MemoryRepository()
    message = repository.add(queued())
    report = worker(repository, None).process([Job("sqs-1", "rh-1", message.to, message.id, 1)])
    assert report.retry == {"sqs-1"}


def test_a_scheduler_that_fails_does_not_stop_the_retry():
    class Broken(FakeQueue):
        def delay_retry(self, receipt_handle, seconds):
            raise ConnectionError("sqs down")

    repository = MemoryRepository()
    message = repository.add(queued())
    report = worker(repository, Broken()).process([Job("sqs-1", "rh-1", message.to, message.id, 1)])
    assert report.retry == {"sqs-1"} and repository.claims == {}

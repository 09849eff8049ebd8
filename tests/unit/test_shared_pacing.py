"""Provider pacing across workers (SharedPacer over a shared per-second counter) and throttling answers."""

from __future__ import annotations

import collections
import threading
import time

import pytest
from botocore.exceptions import ClientError
from messenger.adapters import ses, sns
from messenger.core.errors import ProviderError
from messenger.messages.models import DeliveryStatus, Provider
from messenger.sending.dispatcher import Dispatcher, Job
from messenger.sending.providers.base import OneByOne, Pacer, SharedPacer

from tests.fakes import FakeChannel, FakeQueue, FixedClock, MemoryRepository
from tests.unit.test_retry_behaviour import queued


class MemoryCounter:
    """The table's per-second counter in memory: one conditional increment per request, thread-safe."""

    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()
        self._lock = threading.Lock()

    def take(self, key: str, second: int, limit: int) -> bool:
        with self._lock:
            if self.counts[(key, second)] >= limit:
                return False
            self.counts[(key, second)] += 1
            return True


class FakeTime:
    def __init__(self, start: float = 1_000.25) -> None:
        self.now, self.slept = start, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_one_worker_gets_at_most_the_rate_in_each_second():
    clock, counter = FakeTime(), MemoryCounter()
    pacer = SharedPacer(3, counter, "SES", now=lambda: clock.now, sleep=clock.sleep)
    granted = []
    for _ in range(10):
        pacer.wait()
        granted.append(int(clock.now))
    assert collections.Counter(granted) == {1000: 3, 1001: 3, 1002: 3, 1003: 1}
    assert clock.slept == [0.75, 1.0, 1.0]  # to the start of each next second


def test_concurrent_workers_together_never_exceed_the_rate_and_reach_it():
    clock, counter = FakeTime(), MemoryCounter()
    workers = [SharedPacer(5, counter, "SNS", now=lambda: clock.now, sleep=clock.sleep) for _ in range(4)]
    granted = []
    while len(granted) < 40:  # the workers take turns, each asking for its next request
        for pacer in workers:
            pacer.wait()
            granted.append(int(clock.now))
    per_second = collections.Counter(granted)
    assert max(per_second.values()) == 5 and set(per_second.values()) == {5}
    assert max(per_second) - min(per_second) + 1 == 8  # 40 requests at 5/s: 8 seconds, no more


def test_threads_sharing_one_counter_stay_within_the_rate_in_real_time():
    counter, granted, lock = MemoryCounter(), [], threading.Lock()

    def worker():
        pacer = SharedPacer(20, counter, "AT")
        for _ in range(8):
            pacer.wait()
            with lock:
                granted.append(int(time.time()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(granted) == 32 and max(collections.Counter(granted).values()) <= 20


def test_a_throttling_answer_pauses_the_worker_longer_each_time_in_a_row_until_one_succeeds():
    clock, counter = FakeTime(), MemoryCounter()
    pacer = SharedPacer(100, counter, "SES", now=lambda: clock.now, sleep=clock.sleep)
    pacer.throttled()
    pacer.wait()
    pacer.throttled()
    pacer.wait()
    pacer.succeeded()
    pacer.throttled()
    pacer.wait()
    assert clock.slept == [1.0, 2.0, 1.0]


def test_no_slot_within_the_time_left_is_a_refusal_not_a_wait():
    clock, counter = FakeTime(1_000.5), MemoryCounter()
    pacer = SharedPacer(1, counter, "SES", now=lambda: clock.now, sleep=clock.sleep)
    assert pacer.acquire(0.1) is True
    assert pacer.acquire(0.1) is False and clock.slept == []  # the next slot is 0.5 s away
    assert pacer.acquire(1.0) is True and clock.slept == [0.5]


def test_an_unreachable_counter_falls_back_to_spacing_this_workers_requests():
    class Broken:
        def take(self, key, second, limit):
            raise ConnectionError("down")

    clock = FakeTime()
    pacer = SharedPacer(4, Broken(), "SES", now=lambda: clock.now, sleep=clock.sleep)
    for _ in range(3):
        assert pacer.acquire(None) is True
    assert clock.slept == [0.25, 0.25]


# -- the worker ---------------------------------------------------------------------------------------
def worker(repository, queue, channel, pacer=None, max_receives=3):
    return Dispatcher(repository, {Provider.SNS: OneByOne(channel)}, queue, FixedClock(), max_receive_count=max_receives,
                      retry_base_seconds=10, claim_lease_seconds=30, pacers={Provider.SNS: pacer or Pacer(None)})  # fmt: skip


def throttled():
    return ProviderError("SNS:Throttling", transient=True, throttled=True)


@pytest.mark.parametrize("receive_count", [1, 3])  # 3: the last receive, where a transient failure is final
def test_a_throttled_message_stays_queued_and_is_requeued_never_failed(receive_count):
    repository, queue = MemoryRepository(), FakeQueue()
    channel = FakeChannel("sns", failures=[throttled()])
    message = repository.add(queued("01", Provider.SNS, to="+14155550123"))
    report = worker(repository, queue, channel).process([Job("sqs-1", "rh-1", message.to, message.id, receive_count)])
    stored = repository.records[(message.to, message.id)]
    assert stored.delivery_status is DeliveryStatus.QUEUED and repository.claims == {}
    assert report.retry == set() and report.throttled == 1  # this job is acknowledged...
    assert [m.id for m in queue.jobs] == [message.id]  # ...and a fresh one queued
    assert queue.job_delays == [10]  # after the retry base
    # The fresh job sends it, once.
    worker(repository, FakeQueue(), channel).process([Job("sqs-2", "rh-2", message.to, message.id, 1)])
    assert [m.id for m in channel.sent] == [message.id]
    assert repository.records[(message.to, message.id)].delivery_status is DeliveryStatus.ACCEPTED


def test_the_report_counts_every_throttled_message_of_a_batch_and_only_those():
    repository, queue = MemoryRepository(), FakeQueue()
    channel = FakeChannel("sns", failures=[throttled(), None, throttled()])
    messages = [repository.add(queued(f"0{n}", Provider.SNS, to=f"+1415555012{n}")) for n in range(3)]
    report = worker(repository, queue, channel).process(
        [Job(f"sqs-{n}", f"rh-{n}", m.to, m.id, 1) for n, m in enumerate(messages)])
    assert report.throttled == 2
    assert sorted(m.id for m in queue.jobs) == sorted([messages[0].id, messages[2].id])
    assert [m.id for m in channel.sent] == [messages[1].id]


def test_a_throttling_answer_slows_the_worker_down_for_the_next_request():
    class Recording(Pacer):
        def __init__(self):
            super().__init__(None)
            self.calls = []

        def throttled(self):
            self.calls.append("throttled")

        def succeeded(self):
            self.calls.append("succeeded")

    repository, pacer = MemoryRepository(), Recording()
    channel = FakeChannel("sns", failures=[throttled(), None])
    messages = [repository.add(queued(f"0{i}", Provider.SNS, to=f"+1415555012{i}")) for i in range(2)]
    worker(repository, FakeQueue(), channel, pacer).process([Job(f"s{m.id}", f"r{m.id}", m.to, m.id, 1) for m in messages])
    assert pacer.calls == ["throttled", "succeeded"]


def test_a_rate_taken_for_longer_than_the_time_left_requeues_without_sending():
    class Full(Pacer):
        def acquire(self, max_wait=None):
            return False

    repository, queue, channel = MemoryRepository(), FakeQueue(), FakeChannel("sns")
    message = repository.add(queued("01", Provider.SNS, to="+14155550123"))
    report = worker(repository, queue, channel, Full(None)).process(
        [Job("sqs-1", "rh-1", message.to, message.id, 1)], time_left_ms=lambda: 20_000)
    assert channel.sent == [] and report.paced == 1 and report.retry == set()
    assert [m.id for m in queue.jobs] == [message.id] and repository.claims == {}
    assert queue.job_delays == [1]  # a second: the pacer's window


@pytest.mark.parametrize(("left_ms", "max_wait"), [(None, None), (20_000, 5.0), (15_000, 0.0)])
def test_the_pacer_waits_at_most_the_time_left_after_a_requests_budget(left_ms, max_wait):
    class Recording(Pacer):
        def acquire(self, max_wait=None):
            waits.append(max_wait)
            return True

    waits, repository = [], MemoryRepository()
    message = repository.add(queued("01", Provider.SNS, to="+14155550123"))
    time_left = None if left_ms is None else (lambda: left_ms)
    worker(repository, FakeQueue(), FakeChannel("sns"), Recording(None)).process(
        [Job("sqs-1", "rh-1", message.to, message.id, 1)], **({"time_left_ms": time_left} if time_left else {}))
    assert waits == [max_wait]  # no clock given: as long as it takes


def test_every_message_held_back_by_the_pacer_is_counted_and_one_not_requeued_is_retried_by_its_job():
    class Full(Pacer):
        def acquire(self, max_wait=None):
            return False

    repository = MemoryRepository()
    messages = [repository.add(queued(f"0{n}", Provider.SNS, to=f"+1415555012{n}")) for n in range(2)]
    jobs = [Job(f"sqs-{n}", f"rh-{n}", m.to, m.id, 1) for n, m in enumerate(messages)]
    report = worker(repository, FakeQueue(), FakeChannel("sns"), Full(None)).process(jobs, time_left_ms=lambda: 20_000)
    assert report.paced == 2
    broken = FakeQueue(broken=True)
    report = worker(repository, broken, FakeChannel("sns"), Full(None)).process(jobs[:1], time_left_ms=lambda: 20_000)
    assert report.retry == {"sqs-0"} and broken.delays == [("rh-0", 1)]


def test_a_throttled_message_waits_at_least_a_second_whatever_the_retry_base():
    repository, queue = MemoryRepository(), FakeQueue()
    message = repository.add(queued("01", Provider.SNS, to="+14155550123"))
    quick = Dispatcher(repository, {Provider.SNS: OneByOne(FakeChannel("sns", failures=[throttled()]))}, queue,
                       FixedClock(), max_receive_count=3, retry_base_seconds=0, claim_lease_seconds=30)
    quick.process([Job("sqs-1", "rh-1", message.to, message.id, 1)])
    assert queue.job_delays == [1]


def test_a_throttled_message_that_cannot_be_requeued_is_retried_by_its_own_job_after_the_same_wait():
    repository, queue = MemoryRepository(), FakeQueue(broken=True)
    channel = FakeChannel("sns", failures=[throttled()])
    message = repository.add(queued("01", Provider.SNS, to="+14155550123"))
    report = worker(repository, queue, channel).process([Job("sqs-1", "rh-1", message.to, message.id, 1)])
    assert report.retry == {"sqs-1"} and queue.delays == [("rh-1", 10)]  # SQS hands this job out again
    assert repository.records[(message.to, message.id)].delivery_status is DeliveryStatus.QUEUED
    assert repository.claims == {}  # released: the next attempt claims it afresh


# -- what providers' answers mean -------------------------------------------------------------------
def _client_error(code, message="", status=400):
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "x")


@pytest.mark.parametrize(("classify", "code", "message", "is_throttle"), [
    (ses.classify, "TooManyRequestsException", "", True),
    (ses.classify, "Throttling", "Maximum sending rate exceeded.", True),
    (ses.classify, "MaxSendingRateExceeded", "", True),
    (ses.classify, "MessageRejected", "", False),
    (sns.classify, "Throttled", "", True),
    (sns.classify, "ThrottledException", "", True),
    (sns.classify, "InvalidParameter", "", False),
])
def test_throttling_answers_are_recognised(classify, code, message, is_throttle):
    error = classify(_client_error(code, message))
    assert error.throttled is is_throttle
    assert error.transient or not is_throttle


def test_the_table_counter_refuses_past_the_limit_and_expires(tmp_path):
    import boto3

    from messenger.sending.dal import SendingTable
    from tests.support import moto_service

    with moto_service() as resources:
        table = SendingTable(boto3.client("dynamodb"), resources.table_name)
        assert [table.take("SES", 1_000, 2) for _ in range(3)] == [True, True, False]
        assert table.take("SES", 1_001, 2) and table.take("SNS", 1_000, 2)
        item = boto3.client("dynamodb").get_item(TableName=resources.table_name,
                                                 Key={"PK": {"S": "PACE#SES"}, "SK": {"S": "1000"}})["Item"]  # fmt: skip
        assert item["requests"] == {"N": "2"} and int(item["expiresAt"]["N"]) > 1_000


def test_a_throttle_pause_past_the_time_left_is_a_refusal_and_one_ending_at_it_a_wait():
    clock, counter = FakeTime(1_000.0), MemoryCounter()
    pacer = SharedPacer(100, counter, "SES", now=lambda: clock.now, sleep=clock.sleep)
    pacer.throttled()  # paused until 1,001.0
    assert pacer.acquire(0.5) is False and clock.slept == []
    assert pacer.acquire(1.0) is True and clock.slept == [1.0]  # the pause ends exactly at the deadline
    assert counter.counts == {("SES", 1_001): 1}  # slots are counted under the provider's key


def test_a_slot_whose_second_ends_exactly_at_the_deadline_is_waited_for():
    clock, counter = FakeTime(1_000.5), MemoryCounter()
    pacer = SharedPacer(1, counter, "SNS", now=lambda: clock.now, sleep=clock.sleep)
    assert pacer.acquire(0.1) is True
    assert pacer.acquire(0.5) is True and clock.slept == [0.5]


def test_a_slot_taken_as_its_second_ended_is_given_up_and_the_next_one_taken():
    clock = FakeTime(1_000.9)

    class SlowCounter(MemoryCounter):
        def take(self, key, second, limit):
            taken = super().take(key, second, limit)
            if second == 1_000:
                clock.now = 1_001.05  # the conditional write came back after the second had passed
            return taken

    counter = SlowCounter()
    pacer = SharedPacer(5, counter, "SES", now=lambda: clock.now, sleep=clock.sleep)
    assert pacer.acquire(None) is True
    assert counter.counts == {("SES", 1_000): 1, ("SES", 1_001): 1}


def test_a_fresh_pacer_does_not_wait_whatever_its_clock_reads():
    clock, counter = FakeTime(0.25), MemoryCounter()  # a clock near its start, as a monotonic one may be
    pacer = SharedPacer(10, counter, "SES", now=lambda: clock.now, sleep=clock.sleep)
    assert pacer.acquire(None) is True and clock.slept == []
    plain = Pacer(10, now=lambda: clock.now, sleep=clock.sleep)
    plain.wait()
    assert clock.slept == []

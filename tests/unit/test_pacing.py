"""The providers' pacing hook: a paced provider's requests are spaced; the worker asks before each one."""

from messenger.messages.models import Provider
from messenger.sending.dispatcher import Dispatcher, Job
from messenger.sending.providers.base import Pacer

from tests.fakes import FakeAfricasTalking, FakeQueue, FixedClock, FixedCredentials, MemoryRepository, senders
from tests.unit.test_retry_behaviour import queued


class FakeTime:
    def __init__(self) -> None:
        self.now, self.slept = 100.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_a_paced_provider_gets_at_most_its_rate_of_requests():
    time = FakeTime()
    pacer = Pacer(2.0, now=lambda: time.now, sleep=time.sleep)
    for _ in range(3):
        pacer.wait()
    assert time.slept == [0.5, 0.5]  # the first goes at once, the next two half a second apart


def test_time_already_passed_counts_towards_the_gap():
    time = FakeTime()
    pacer = Pacer(2.0, now=lambda: time.now, sleep=time.sleep)
    pacer.wait()
    time.now += 0.4
    pacer.wait()
    assert time.slept == [0.1]


def test_an_unpaced_provider_never_waits():
    time = FakeTime()
    pacer = Pacer(None, now=lambda: time.now, sleep=time.sleep)
    for _ in range(5):
        pacer.wait()
    assert time.slept == []


class CountingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__(None)
        self.waits = 0

    def wait(self) -> None:
        self.waits += 1


def test_the_worker_asks_the_providers_pacer_before_each_request():
    repository, pacer = MemoryRepository(), CountingPacer()
    texts = ("a", "a", "b")  # two texts: two Africa's Talking requests
    messages = [repository.add(queued(f"0{i}", to=f"+25471100000{i}")) for i in range(3)]
    messages = [repository.add(m.__class__(**{**m.__dict__, "body": text})) for m, text in zip(messages, texts)]
    jobs = [Job(f"sqs-{m.id}", f"rh-{m.id}", m.to, m.id, 1) for m in messages]
    worker = Dispatcher(repository, senders({}, FakeAfricasTalking(), FixedCredentials(), sender_id=None, max_recipients=100),
                        FakeQueue(), FixedClock(), max_receive_count=3, retry_base_seconds=10, claim_lease_seconds=900,
                        pacers={Provider.AFRICASTALKING: pacer})  # fmt: skip
    report = worker.process(jobs)
    assert report.at_requests == 2 and pacer.waits == 2

"""Seeded fault injection over the real logic and data-access layer (moto in-process).

Each run sends 501 messages through MessageService (e-mail, SNS SMS and Africa's Talking SMS), then
drains a simulated SQS queue in batches of 100 (AT requests of at most 10 numbers, so that
request-level faults strike often; receive counts, redrive to a DLQ after 3 receives, duplicate
deliveries) through the Dispatcher while the providers throttle, fail with 5xx, time out, drop
connections (before or after the provider took the message), and the worker crashes between claiming a message and calling Africa's Talking (and
after AT took it). Delivery reports are then applied duplicated and shuffled.

Invariants checked after every run:
- every message the API accepted has a record, in a final status, or QUEUED with its job in the DLQ;
- no provider received a message twice, except in the two documented windows (a worker crash after
  AT took the message; a timeout after AT took it), each of which is counted and bounds the repeats;
- every AT-accepted message ends in the status its last final delivery report says.
"""

from __future__ import annotations

import collections
import datetime as dt
import random
import uuid

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from messenger.adapters.aws import transport_failure
from messenger.core.clock import iso
from messenger.core.errors import ProviderError
from messenger.core.settings import settings
from messenger.delivery_reports.logic import apply_report, parse_report
from messenger.messages.models import DeliveryStatus, Provider
from messenger.sending.dispatcher import Dispatcher, Job
from messenger.sending.models import (
    AtRequestError,
    Credentials,
    Receipt,
    RecipientResult,
)
from messenger.sending.service import MessageService

from tests.fakes import senders
from tests.support import full_table, moto_service

MESSAGES = 501
MAX_RECEIVES = 3
SEEDS = [7, 2026]


class WorkerCrash(BaseException):
    """The execution environment dies: nothing after it runs, no batch response is sent."""


class SimClock:
    def __init__(self) -> None:
        self.t = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

    def advance(self, seconds: int) -> None:
        self.t += dt.timedelta(seconds=seconds)

    def now(self) -> str:
        self.t += dt.timedelta(milliseconds=1)
        return iso(self.t)

    def epoch(self) -> int:
        return int(self.t.timestamp())

    def ago(self, seconds: int) -> str:
        return iso(self.t - dt.timedelta(seconds=seconds))


class Ledger:
    """What each provider really received: (provider, recipient, text) -> times."""

    def __init__(self) -> None:
        self.received = collections.Counter()
        self.crash_after_send = 0
        self.ambiguous_timeouts = 0
        self.injected = collections.Counter()


class FlakyChannel:
    def __init__(self, provider: str, rng: random.Random, ledger: Ledger) -> None:
        self.provider, self.rng, self.ledger = provider, rng, ledger

    def send(self, message) -> Receipt:
        roll = self.rng.random()
        if roll < 0.15:
            self.ledger.injected[f"{self.provider} throttled"] += 1
            raise ProviderError(f"{self.provider}:Throttling", transient=True)
        if roll < 0.25:
            self.ledger.injected[f"{self.provider} 5xx"] += 1
            raise ProviderError(f"{self.provider}:InternalFailure", transient=True)
        if roll < 0.28:
            self.ledger.injected[f"{self.provider} permanent refusal"] += 1
            raise ProviderError(f"{self.provider}:MessageRejected", transient=False)
        if roll < 0.31:
            self.ledger.injected[f"{self.provider} connect timeout (request never left)"] += 1
            raise transport_failure(self.provider, ConnectTimeoutError(endpoint_url="https://provider"))
        self.ledger.received[(self.provider, message.to, message.body)] += 1
        if roll < 0.34:
            self.ledger.injected[f"{self.provider} read timeout after it took the message"] += 1
            raise transport_failure(self.provider, ReadTimeoutError(endpoint_url="https://provider"))
        return Receipt(provider_message_id=f"{self.provider}-{uuid.UUID(int=self.rng.getrandbits(128))}")


class FlakyAfricasTalking:
    def __init__(self, rng: random.Random, ledger: Ledger) -> None:
        self.rng, self.ledger = rng, ledger
        self.outcomes: dict[str, str] = {}  # AT message id -> final report status
        self.numbers: dict[str, str] = {}  # AT message id -> the number it went to (reports name it)
        self.requests = 0

    # The first requests of every run meet these faults, so each window is exercised whatever the
    # seed; the rest are drawn at random.
    SCRIPTED = [0.11, 0.13, 0.09]  # crash after AT took it, read timeout after, crash before AT

    def send(self, credentials: Credentials, recipients, text, sender_id):
        roll = self.SCRIPTED[self.requests] if self.requests < len(self.SCRIPTED) else self.rng.random()
        self.requests += 1
        if roll < 0.05:
            self.ledger.injected["AT HTTP 5xx"] += 1
            raise AtRequestError("AfricasTalking:HTTP503", transient=True)
        if roll < 0.08:
            self.ledger.injected["AT connection dropped before sending"] += 1
            raise AtRequestError("AfricasTalking:ProtocolError", transient=True)
        if roll < 0.10:
            self.ledger.injected["worker crash after claim, before AT"] += 1
            raise WorkerCrash()
        results = []
        for number in recipients:
            code = self.rng.choices([101, 501, 403], weights=[90, 7, 3])[0]
            message_id = None
            if code == 101:
                self.ledger.received[("AFRICASTALKING", number, text)] += 1
                message_id = f"ATXid_{uuid.UUID(int=self.rng.getrandbits(128)).hex}"
                self.outcomes[message_id] = self.rng.choice(["Success", "Success", "Success", "Failed"])
                self.numbers[message_id] = number
            results.append(RecipientResult(number, code, "x", message_id, "KES 0.8000" if message_id else "0"))
        if roll < 0.12:
            self.ledger.injected["worker crash after AT took the batch"] += 1
            self.ledger.crash_after_send += sum(1 for r in results if r.message_id)
            raise WorkerCrash()
        if roll < 0.16:
            self.ledger.injected["read timeout after AT took the batch"] += 1
            self.ledger.ambiguous_timeouts += sum(1 for r in results if r.message_id)
            raise AtRequestError("AfricasTalking:Timeout", transient=True)
        return results


class SimQueue:
    """SQS as the worker sees it: receive counts, redrive to a DLQ, and at-least-once delivery."""

    def __init__(self, rng: random.Random, duplicate_rate: float) -> None:
        self.rng, self.duplicate_rate = rng, duplicate_rate
        self.visible: list[dict] = []
        self.dlq: list[dict] = []
        self.duplicates = 0

    def enqueue(self, message, delay_seconds: int = 0) -> None:
        self.visible.append({"sqs_id": str(uuid.UUID(int=self.rng.getrandbits(128))), "to": message.to,
                             "id": message.id, "receives": 0})

    def delay_retry(self, receipt_handle: str, seconds: int) -> None:
        pass

    def receive(self, size: int) -> list[dict]:
        batch, self.visible = self.visible[:size], self.visible[size:]
        for job in batch:
            job["receives"] += 1
        return batch

    def settle(self, batch: list[dict], failed: set[str]) -> None:
        for job in batch:
            if job["sqs_id"] in failed:
                (self.dlq if job["receives"] >= MAX_RECEIVES else self.visible).append(job)
            elif self.rng.random() < self.duplicate_rate:
                self.duplicates += 1  # deleted, yet SQS hands out a copy again later
                self.visible.append({**job, "receives": 0})


def run(seed: int) -> dict:
    rng = random.Random(seed)
    ledger, clock = Ledger(), SimClock()
    table = full_table(settings().table_name)
    queue = SimQueue(rng, duplicate_rate=0.05)
    channels = {Provider.SES: FlakyChannel("SES", rng, ledger), Provider.SNS: FlakyChannel("SNS", rng, ledger)}
    at = FlakyAfricasTalking(rng, ledger)
    service = MessageService(table, channels, queue, settings(), clock, lambda at=None: _ulid(clock, rng))
    worker = Dispatcher(table, senders(channels, at, lambda force=False: Credentials("sandbox", "k"),
                                       sender_id=None, max_recipients=10),
                        queue, clock, max_receive_count=MAX_RECEIVES, retry_base_seconds=1, claim_lease_seconds=30)

    accepted = []
    for i in range(MESSAGES):
        kind = i % 3
        if kind == 0:
            args = {"to": f"user{i}@example.com", "subject": "s", "body": f"Mail {i % 7}", "deliveryMethod": "EMAIL"}
        elif kind == 1:
            args = {"to": f"+1415555{i:04d}", "body": f"Text {i % 5}", "deliveryMethod": "SMS", "provider": "SNS"}
        else:
            args = {"to": f"+2547{11000000 + i:08d}", "body": f"Code {i % 4}", "deliveryMethod": "SMS"}
        accepted.append(service.send(args))

    ticks, crashes = 0, 0
    while queue.visible and ticks < 500:
        ticks += 1
        batch = queue.receive(100)
        jobs = [Job(j["sqs_id"], j["sqs_id"], j["to"], j["id"], j["receives"]) for j in batch]
        try:
            failed = worker.process(jobs).retry
        except WorkerCrash:
            crashes += 1
            failed = {j["sqs_id"] for j in batch}  # no answer: every job comes back
        queue.settle(batch, failed)
        clock.advance(200)  # past the visibility timeout and the claim lease

    # Delivery reports: each twice, with an in-flight "Sent" among them, in a shuffled order.
    reports = []
    for message_id, final in at.outcomes.items():
        reports += [(message_id, final), (message_id, final), (message_id, "Sent")]
    rng.shuffle(reports)
    for message_id, status in reports:
        form = {"id": message_id, "status": status, "phoneNumber": at.numbers[message_id]}
        if status == "Failed":
            form["failureReason"] = "DeliveryFailure"
        apply_report(table, clock, parse_report(form))

    return {"accepted": accepted, "table": table, "queue": queue, "ledger": ledger, "at": at,
            "ticks": ticks, "crashes": crashes}


def _ulid(clock: SimClock, rng: random.Random) -> str:
    from ulid import ULID

    return str(ULID.from_timestamp(clock.t.timestamp()).__class__.from_bytes(
        int(clock.t.timestamp() * 1000).to_bytes(6, "big") + rng.getrandbits(80).to_bytes(10, "big")))


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_is_lost_and_nothing_is_sent_twice_outside_the_documented_windows(seed, capsys):
    with moto_service():
        result = run(seed)
        table, queue, ledger, at = result["table"], result["queue"], result["ledger"], result["at"]
        records = {m.id: table.get(m.to, m.id) for m in result["accepted"]}
        dlq_ids = {j["id"] for j in queue.dlq}

        assert not queue.visible, "the queue drained"
        statuses = collections.Counter()
        for message in result["accepted"]:
            record = records[message.id]
            assert record is not None, "an accepted message has a record"
            statuses[record.delivery_status.value] += 1
            if record.delivery_status in (DeliveryStatus.PENDING, DeliveryStatus.QUEUED):
                assert message.id in dlq_ids, "a message not final waits in the DLQ"
            if record.delivery_status is DeliveryStatus.ACCEPTED:
                assert record.provider_message_id

        repeats = sum(n - 1 for n in ledger.received.values() if n > 1)
        allowed = ledger.crash_after_send + ledger.ambiguous_timeouts
        assert repeats <= allowed, "repeats only come from the documented windows"
        assert ledger.crash_after_send and ledger.ambiguous_timeouts, "both windows were exercised"
        direct_repeats = sum(n - 1 for (p, _, _), n in ledger.received.items() if n > 1 and p != "AFRICASTALKING")
        assert direct_repeats == 0  # SES/SNS: a send that may have happened is never tried again

        final_by_at_id = {r.provider_message_id: r for r in records.values() if r.provider_message_id in at.outcomes}
        for at_id, record in final_by_at_id.items():
            expected = DeliveryStatus.DELIVERED if at.outcomes[at_id] == "Success" else DeliveryStatus.FAILED
            assert record.delivery_status is expected

        with capsys.disabled():
            print(f"\n[fault injection seed={seed}] messages={len(result['accepted'])} statuses={dict(statuses)} "
                  f"in DLQ={len(queue.dlq)} worker crashes={result['crashes']} SQS duplicates={queue.duplicates} "
                  f"repeats={repeats} (crash-window={ledger.crash_after_send}, ambiguous-timeout="
                  f"{ledger.ambiguous_timeouts}) injected={dict(ledger.injected)}")

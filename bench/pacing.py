"""Provider pacing: N queued SMS through concurrent dispatch workers, at a configured rate.

A stand-in provider takes at most LIMIT requests a second and answers "Throttled" past that (as SNS
does). Workers share one queue (in memory, with SQS's delays) and the real table (in-process moto),
where the records and the pacing counter live. Two runs in the same process:
- baseline: unpaced workers (each sends as fast as it can; throttling answers requeue the message);
- paced: the same workers with SharedPacer at RATE = LIMIT.
Printed per run: wall time, achieved rate, the most requests in any one wall-clock second, throttling
answers, and every message's final status (each sent exactly once). Target: paced ≤ RATE in every
second, achieved ≥ 90 % of RATE, no throttling, every message ACCEPTED exactly once.

Usage: .venv/bin/python bench/pacing.py [--messages N] [--rate R] [--workers W]
"""

from __future__ import annotations

import argparse
import collections
import heapq
import itertools
import sys
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]

from tests.support import moto_service  # noqa: E402


class Provider:
    """Takes at most `limit` requests per wall-clock second; past that it answers Throttled."""

    def __init__(self, limit: int) -> None:
        from messenger.sending.models import Receipt

        self._receipt, self._limit = Receipt, limit
        self._lock = threading.Lock()
        self.per_second: collections.Counter = collections.Counter()
        self.sent: list[str] = []
        self.throttled = 0
        self.times: list[float] = []

    def send(self, message):
        from messenger.core.errors import ProviderError

        now = time.time()
        with self._lock:
            if self.per_second[int(now)] >= self._limit:
                self.throttled += 1
                raise ProviderError("SNS:Throttled", transient=True, throttled=True)
            self.per_second[int(now)] += 1
            self.sent.append(message.id)
            self.times.append(now)
        return self._receipt(f"sns-{len(self.sent)}")


class Queue:
    """SQS in memory: jobs with a delay, received in batches, handed back after a visibility delay."""

    def __init__(self) -> None:
        self._ready: list = []
        self._order = itertools.count()
        self._lock = threading.Lock()

    def put(self, job, delay: float = 0) -> None:
        with self._lock:
            heapq.heappush(self._ready, (time.monotonic() + delay, next(self._order), job))

    def enqueue(self, message, delay_seconds: int = 0) -> None:
        from messenger.sending.dispatcher import Job

        self.put(Job(f"j{next(self._order)}", "rh", message.to, message.id, 1), delay_seconds)

    def delay_retry(self, receipt_handle: str, seconds: int) -> None:
        pass  # `run` puts retried jobs back itself

    def take(self, size: int) -> list:
        with self._lock:
            out = []
            while self._ready and self._ready[0][0] <= time.monotonic() and len(out) < size:
                out.append(heapq.heappop(self._ready)[2])
            return out


def run(table, messages, rate: int | None, limit: int, workers: int) -> dict:
    from dataclasses import replace

    from messenger.core.clock import SystemClock
    from messenger.messages.models import DeliveryStatus
    from messenger.messages.models import Provider as P
    from messenger.sending.dispatcher import Dispatcher, Job
    from messenger.sending.providers.base import OneByOne, Pacer, SharedPacer

    provider, queue = Provider(limit), Queue()
    for message in messages:
        table.create(message)
        queue.put(Job(f"first-{message.id}", "rh", message.to, message.id, 1))
    done = threading.Event()
    throttled_reports = []

    def worker() -> None:
        pacer = SharedPacer(rate, table, f"bench-{id(messages)}") if rate else Pacer(None)
        dispatcher = Dispatcher(table, {P.SNS: OneByOne(provider)}, queue, SystemClock(), max_receive_count=3,
                                retry_base_seconds=1, claim_lease_seconds=30, pacers={P.SNS: pacer})  # fmt: skip
        while not done.is_set():
            jobs = queue.take(10)
            if not jobs:
                time.sleep(0.01)
                continue
            report = dispatcher.process(jobs)
            throttled_reports.append(report.throttled)
            for job in jobs:
                if job.item_id in report.retry:
                    queue.put(replace(job, receive_count=job.receive_count + 1), 1)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    while len(provider.sent) < len(messages) and time.monotonic() - started < 300:
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    done.set()
    for thread in threads:
        thread.join(30)
    statuses = collections.Counter(table.get(m.to, m.id).delivery_status.value for m in messages)
    span = (max(provider.times) - min(provider.times)) if provider.times else 0
    return {
        "seconds": elapsed,
        "achieved": (len(provider.sent) - 1) / span if span else float("inf"),
        "max_per_second": max(provider.per_second.values()),
        "throttled": provider.throttled,
        "statuses": dict(statuses),
        "sent_once": len(provider.sent) == len(set(provider.sent)) == len(messages),
        "all_final_accepted": statuses == {DeliveryStatus.ACCEPTED.value: len(messages)},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rate", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with moto_service(env={"POWERTOOLS_LOG_LEVEL": "ERROR"}):
        import logging

        import boto3
        from messenger.core.settings import settings
        from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message
        from messenger.messages.models import Provider as P
        from messenger.sending.dal import SendingTable

        logging.disable(logging.WARNING)
        table = SendingTable(boto3.client("dynamodb"), settings().table_name)
        now = "2026-11-23T12:00:00.000Z"

        def batch(tag: str) -> list[Message]:
            from messenger.core.clock import new_message_id

            return [Message(id=new_message_id(), to=f"+1415555{i:04d}", body=f"{tag} {i}", delivery_method=DeliveryMethod.SMS,
                            delivery_status=DeliveryStatus.QUEUED, provider=P.SNS, created_at=now, updated_at=now,
                            events=()) for i in range(args.messages)]  # fmt: skip

        print(f"{args.messages} queued SMS, {args.workers} workers, provider limit {args.rate}/s")
        results = {
            "baseline (unpaced)": run(table, batch("b"), None, args.rate, args.workers),
            f"paced at {args.rate}/s": run(table, batch("p"), args.rate, args.rate, args.workers),
        }
        for name, r in results.items():
            print(f"{name:>20}: {r['seconds']:6.2f} s wall, achieved {r['achieved']:6.1f}/s, "
                  f"max {r['max_per_second']:3d} in one second, {r['throttled']:4d} throttling answers, "
                  f"statuses {r['statuses']}, each sent once: {r['sent_once']}")  # fmt: skip
        paced = results[f"paced at {args.rate}/s"]
        print(f"paced: achieved / configured rate = {paced['achieved'] / args.rate:.2f}; "
              f"max in one second / rate = {paced['max_per_second'] / args.rate:.2f}; "
              f"throttling answers vs baseline: {paced['throttled']} vs {results['baseline (unpaced)']['throttled']}")
        ok = (paced["max_per_second"] <= args.rate and paced["all_final_accepted"] and paced["sent_once"]
              and results["baseline (unpaced)"]["all_final_accepted"])  # fmt: skip
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Load on the local mode: concurrent clients, a bounded number of mixed requests, then a reconciliation.

Each client sends, in a seeded order, e-mails and SNS SMS (60 %) and pages through histories (40 %).
Prints throughput, latency percentiles and errors, then reconciles what the API accepted with what
was stored and sent: records in the table == messages accepted == entries in the outbox.
Target: zero errors, zero mismatches. The local mode runs every function as one warm instance on
this machine, so the figures measure the code path and moto, not AWS's scaling.

Usage: .venv/bin/python bench/load.py [--clients 20] [--requests 5000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.e2e.conftest import start_local_mode  # noqa: E402 - the same launcher the e2e suite uses

SEND = "mutation($input: MessageInput!){ sendMessage(input: $input){ id deliveryStatus } }"
PAGE = ("query($f: MessageFilter!, $first: Int, $after: String){ getMessages(filter: $f, first: $first, after: $after)"
        "{ data { id } pageInfo { hasNextPage endCursor } } }")
RECIPIENTS = 50


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    plan = []
    for i in range(args.requests):
        r = rng.randrange(RECIPIENTS)
        if rng.random() < 0.6:
            if r % 2:
                variables = {"input": {"to": f"load{r}@example.com", "subject": "Load", "body": f"Load test {i}",
                                       "deliveryMethod": "EMAIL"}}
            else:
                variables = {"input": {"to": f"+1415555{r:04d}", "body": f"Load test {i}", "deliveryMethod": "SMS"}}
            plan.append(("send", variables))
        else:
            to = f"load{r}@example.com" if r % 2 else f"+1415555{r:04d}"
            plan.append(("page", {"f": {"to": to}, "first": rng.choice([5, 20, 100])}))

    api = start_local_mode()
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"send": [], "page": []}
    errors: list[str] = []
    accepted: set[str] = set()
    try:
        def run(step):
            kind, variables = step
            started = time.perf_counter()
            status, body = api.graphql(SEND if kind == "send" else PAGE, variables)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies[kind].append(elapsed)
                if status != 200 or body.get("errors"):
                    errors.append(f"{kind}: HTTP {status} {str(body)[:200]}")
                elif kind == "send":
                    if body["data"]["sendMessage"]["deliveryStatus"] != "ACCEPTED":
                        errors.append(f"send not ACCEPTED: {body['data']}")
                    accepted.add(body["data"]["sendMessage"]["id"])

        started = time.monotonic()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(run, plan))
        duration = time.monotonic() - started
        records = api.get("/local/table")[1]["items"]
        outbox = {entry["providerMessageId"] for entry in api.outbox()}
    finally:
        api.stop(signal.SIGINT)

    total = sum(len(v) for v in latencies.values())
    print(f"{total} requests from {args.clients} clients in {duration:.1f} s: {total / duration:.1f} requests/s")
    for kind, values in latencies.items():
        if values:
            print(f"  {kind:<5} n={len(values):5d}  p50={statistics.median(values):7.1f} ms  "
                  f"p95={percentile(values, 95):7.1f} ms  p99={percentile(values, 99):7.1f} ms  "
                  f"max={max(values):7.1f} ms")
    print(f"  errors: {len(errors)}")
    for error in errors[:5]:
        print(f"    {error}")
    mismatches = int(records != len(accepted)) + int(len(outbox) != len(accepted))
    print(f"reconciliation: messages accepted {len(accepted)}, records in the table {records}, "
          f"outbox entries {len(outbox)} -> mismatches: {mismatches}")
    return 0 if not errors and not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())

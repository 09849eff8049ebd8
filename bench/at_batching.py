"""Africa's Talking batching: 1,000 AT-bound messages through the local mode.

Sends the messages with concurrent clients (one text by default, like a campaign; --texts for more),
waits until every one has reached the Africa's Talking stand-in, then prints the AT requests made and the SQS and DynamoDB calls per message, counted
where the calls are made (`/local/aws-calls`: the handlers' calls, and the event source mapping's).
Target: at most 1 AT request per 100 same-text messages.

The worker can only group what one batch holds: a batch closes at `workerBatchSize` (100) messages or
when the batching window ends, so a window that closes before 100 messages arrived costs an extra
request. The bench runs with a 10 s window by default (what a bulk-sending deployment would set);
`--window 2` shows the cdk.json default's figure (docs/benchmarks.md has both).

Usage: .venv/bin/python bench/at_batching.py [--messages N] [--texts N] [--window SECONDS]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.e2e.conftest import start_local_mode  # noqa: E402 - the same launcher the e2e suite uses

SEND = "mutation($input: MessageInput!){ sendMessage(input: $input){ id deliveryStatus } }"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--texts", type=int, default=1)
    parser.add_argument("--window", type=int, default=10, help="workerBatchingWindowSeconds")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    overrides = {"workerBatchingWindowSeconds": args.window}
    api = start_local_mode(LOCAL_CONFIG=json.dumps(overrides), LOCAL_AT_REPORT_DELAY="3600")
    try:
        started = time.monotonic()

        def send(i: int) -> str:
            number = f"+2547{20000000 + i:08d}"
            status, body = api.graphql(SEND, {"input": {"to": number, "body": f"Notice {i % args.texts}: your parcel is ready",
                                                        "deliveryMethod": "SMS"}})
            assert status == 200 and body["data"]["sendMessage"]["deliveryStatus"] == "QUEUED", body
            return body["data"]["sendMessage"]["id"]

        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(send, range(args.messages)))
        sent_in = time.monotonic() - started
        deadline = time.monotonic() + 300
        while api.get("/local/africastalking/stats")[1]["recipients"] < args.messages:
            if time.monotonic() > deadline:
                print("not every message reached the stand-in within 300 s")
                return 1
            time.sleep(0.5)
        # The stand-in has every recipient; wait until the worker has written every outcome too.
        calls, previous = api.get("/local/aws-calls")[1], None
        while calls.get("handlers") != previous:  # the event source keeps polling; the handlers go quiet
            time.sleep(2)
            previous, calls = calls.get("handlers"), api.get("/local/aws-calls")[1]
        settled_in = time.monotonic() - started
        at = api.get("/local/africastalking/stats")[1]
        outbox = [e for e in api.outbox() if e["provider"] == "AFRICASTALKING"]
    finally:
        api.stop(signal.SIGINT)

    handlers, source = calls.get("handlers", {}), calls.get("event source", {})
    n = args.messages

    def total(counts: dict, service: str) -> int:
        return sum(v for k, v in counts.items() if k.startswith(service + "."))

    per_100_same_text = at["requests"] / (n / 100)
    print(f"{n} AT-bound messages, {args.texts} text(s), {args.clients} clients, batching window {args.window} s")
    print(f"  sent in {sent_in:.1f} s, all handed to AT in {settled_in:.1f} s; outbox entries: {len(outbox)}")
    print(f"  AT requests: {at['requests']}  recipients: {at['recipients']}  "
          f"-> {per_100_same_text:.2f} requests per 100 same-text messages "
          f"(target <= 1: {'met' if per_100_same_text <= 1 else 'MISSED'})")
    print(f"  SQS calls per message: handlers {total(handlers, 'sqs') / n:.3f}, "
          f"event source mapping {total(source, 'sqs') / n:.3f}  ({json.dumps(source)})")
    print(f"  DynamoDB calls per message: {total(handlers, 'dynamodb') / n:.2f}  ({json.dumps({k: v for k, v in handlers.items() if k.startswith('dynamodb')})})")
    ok = per_100_same_text <= 1 and len(outbox) == n and at["recipients"] == n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

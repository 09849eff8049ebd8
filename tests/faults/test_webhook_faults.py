"""Seeded fault injection over the webhook worker's real logic and data-access layer (moto in-process).

Status events for two webhooks go through a simulated SQS queue (receive counts, redrive to a DLQ after
3 receives, DelaySeconds) into the Deliverer, while the receivers answer 200, 500, 429, 400 or time out,
and the worker crashes after a POST and before recording it (the SQS message is then received again).

Invariants checked after every run:
- every copy of an event ends delivered (a 2xx), refused (a 4xx, not retried) or in the DLQ;
- a copy is POSTed again after a 2xx only when the worker crashed after a POST, and accepted again at
  most once per crash, with the same `webhook-id` and body, each signed as `standardwebhooks` signs;
- no copy is recorded as delivered twice.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import random

import boto3
import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from messenger.webhooks.dal import WebhooksTable
from messenger.webhooks.delivery import Deliverer
from messenger.webhooks.models import Delivery, Outcome
from messenger.webhooks.service import Webhooks
from tests.support import moto_service

EVENTS = 10
MAX_RECEIVES = 3
SEEDS = [11]
SCHEDULE = [5, 300, 1800]


class WorkerCrash(BaseException):
    """The execution environment dies after the POST: nothing after it runs."""


class CrashingTable:
    """The real table, whose `record` (the write after the POST) sometimes never happens."""

    def __init__(self, table: WebhooksTable, rng: random.Random) -> None:
        self._table, self._rng, self.crashes = table, rng, collections.Counter()

    def __getattr__(self, name):
        return getattr(self._table, name)

    def record(self, attempt, attempt_id):
        if self._rng.random() < 0.15:
            self.crashes[(attempt.webhook_id, attempt.event_id)] += 1
            raise WorkerCrash
        self._table.record(attempt, attempt_id)


class SimQueue:
    def __init__(self) -> None:
        self.messages: list[list] = []  # [due, body, receives]
        self.dlq: list[dict] = []

    def send(self, body: dict, delay_seconds: int = 0) -> None:
        self.messages.append([CLOCK.t + delay_seconds, json.loads(json.dumps(body)), 0])

    def park(self, body: dict) -> None:
        self.dlq.append(body)


class Clock:
    t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


CLOCK = Clock()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_crash_after_a_post_repeats_it_at_most_once_with_the_same_webhook_id(seed):
    rng = random.Random(seed)
    with moto_service():
        real = WebhooksTable(boto3.client("dynamodb"), __import__("os").environ["TABLE_NAME"])
        service = Webhooks(real, allow_loopback=False, grace_seconds=0, resolve=lambda h, p: ["93.184.215.14"])
        hooks = [service.create({"input": {"url": f"https://hooks.example.com/{n}", "events": ["MESSAGE_STATUS"]}})
                 for n in range(2)]
        secrets = {hook["id"]: hook["secret"] for hook in hooks}
        table, queue = CrashingTable(real, rng), SimQueue()
        posts: list[tuple[str, str, dict, int]] = []  # (webhook, event, headers+body, status)

        def receiver(url, host, address, port, body, headers, timeout):
            answer = rng.choices([200, 500, 429, 400, None], weights=[70, 12, 5, 5, 8])[0]
            webhook_id = next(h["id"] for h in hooks if h["url"] == url)
            posts.append((webhook_id, headers["webhook-id"], {"headers": headers, "body": body.decode()}, answer))
            return Outcome(http_status=answer) if answer else Outcome(error="Timeout")

        deliverer = Deliverer(table, queue, receiver, schedule=SCHEDULE, allow_loopback=False, timeout_seconds=5,
                              disable_after_seconds=10 * 86_400, now=CLOCK,
                              resolve=lambda h, p: ["93.184.215.14"])
        for n in range(EVENTS):
            queue.send({"kind": "event", "eventId": f"msg_{n:04d}_1", "eventType": "MESSAGE_STATUS",
                        "payload": {"type": "message.status", "data": {"id": str(n), "to": "+254711000001"}}})
        while queue.messages:
            queue.messages.sort(key=lambda m: m[0])
            message = queue.messages.pop(0)
            CLOCK.t = max(CLOCK.t, message[0])
            message[2] += 1
            body = message[1]
            try:
                if body["kind"] == "event":
                    deliverer.fan_out(body["eventId"], body["eventType"], body["payload"])
                else:
                    deliverer.attempt(Delivery(**{k: v for k, v in body.items() if k != "kind"}))
            except WorkerCrash:
                if message[2] >= MAX_RECEIVES:
                    queue.dlq.append(body)  # SQS's redrive after maxReceiveCount
                else:
                    queue.messages.append([CLOCK.t + 30, body, message[2]])  # visible again after the timeout

        by_copy = collections.defaultdict(list)
        for webhook_id, event_id, request, status in posts:
            by_copy[(webhook_id, event_id)].append((request, status))
        parked = {(b["webhook_id"], b["event_id"]) for b in queue.dlq if b.get("kind") == "delivery"}
        delivered_records = collections.Counter()
        for hook in hooks:
            attempts, _ = real.attempts(hook["id"], 1000, None)
            delivered_records.update((hook["id"], a.event_id) for _, a in attempts if a.delivered)

        assert len(by_copy) == 2 * EVENTS  # every event reached both webhooks at least once
        assert sum(table.crashes.values()) > 0  # the fault did strike
        assert any(s != 200 for _, _, _, s in posts)  # and so did failing receivers
        for copy, requests in by_copy.items():
            statuses = [status for _, status in requests]
            first_ok = next((i for i, s in enumerate(statuses) if s and 200 <= s < 300), None)
            assert first_ok is not None or statuses[-1] == 400 or copy in parked, (copy, statuses)
            if first_ok is not None:
                # Accepted again only after a crash: one more acceptance per crash at most (the repeated
                # copy is itself retried if the receiver fails it, like any other).
                accepted = sum(1 for s in statuses if s and 200 <= s < 300)
                assert accepted <= 1 + table.crashes[copy], (copy, statuses)
                assert len(statuses) == first_ok + 1 or table.crashes[copy], (copy, statuses)
                assert delivered_records[copy] <= 1
            assert len({r["headers"]["webhook-id"] for r, _ in requests}) == 1
            assert len({r["body"] for r, _ in requests}) == 1
            for request, _ in requests:  # the library's own signing (the simulated clock is not "now")
                headers = request["headers"]
                at = dt.datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=dt.timezone.utc)
                expected = Verifier(secrets[copy[0]]).sign(headers["webhook-id"], at, request["body"])
                assert expected in headers["webhook-signature"].split(" ")

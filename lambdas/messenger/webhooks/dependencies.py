"""The webhooks domain's composition root, built on first use."""

from __future__ import annotations

import json
from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.webhooks.dal import WebhooksTable

    return WebhooksTable(client("dynamodb"), settings().table_name)


@cache
def service():
    from messenger.webhooks.service import Webhooks

    return Webhooks(
        table(), allow_loopback=settings().webhook_allow_loopback,
        grace_seconds=settings().webhook_secret_grace_hours * 3600,
    )


class SqsQueue:
    def __init__(self, sqs, url: str, dead_letter_url: str) -> None:
        self._sqs, self._url, self._dlq = sqs, url, dead_letter_url

    def send(self, body: dict, delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps(body), DelaySeconds=delay_seconds)

    def park(self, body: dict) -> None:
        self._sqs.send_message(QueueUrl=self._dlq, MessageBody=json.dumps(body))


@cache
def deliverer():
    import os

    from messenger.adapters.aws import client
    from messenger.adapters.webhook_http import post
    from messenger.webhooks.delivery import Deliverer

    s = settings()
    queue = SqsQueue(client("sqs"), os.environ["WEBHOOK_QUEUE_URL"], os.environ["WEBHOOK_DEAD_LETTER_QUEUE_URL"])
    return Deliverer(
        table(), queue, post, schedule=[int(v) for v in s.webhook_retry_schedule_seconds],
        allow_loopback=s.webhook_allow_loopback, timeout_seconds=s.webhook_timeout_seconds,
        disable_after_seconds=s.webhook_disable_after_hours * 3600,
    )

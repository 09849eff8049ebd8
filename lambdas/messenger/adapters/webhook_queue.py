"""The webhooks queue (SQS): status events from the status writers, delivery copies from the worker
(with a delay for retries), and the copies the worker parks in the dead-letter queue itself."""

from __future__ import annotations

import json


class WebhookQueue:
    def __init__(self, sqs, url: str, dead_letter_url: str = "") -> None:
        self._sqs, self._url, self._dlq = sqs, url, dead_letter_url

    def send(self, body: dict, delay_seconds: int = 0) -> None:
        request = {"QueueUrl": self._url, "MessageBody": json.dumps(body, separators=(",", ":"))}
        if delay_seconds:
            request["DelaySeconds"] = delay_seconds
        self._sqs.send_message(**request)

    def park(self, body: dict) -> None:
        self._sqs.send_message(QueueUrl=self._dlq, MessageBody=json.dumps(body, separators=(",", ":")))

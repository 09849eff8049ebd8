"""Feeds a queue's worker the way Lambda's SQS event source mapping does.

Per poll: receive until the batch is full or the batching window (counted from the first message)
has passed, invoke the worker with an SQS event, then delete every record the worker did not list
in `batchItemFailures`. A worker that raises, or reports an identifier that is not in the batch,
fails the whole batch: nothing is deleted and SQS redelivers after the visibility timeout.
Moving a message to the DLQ after maxReceiveCount receives is moto's RedrivePolicy, as in SQS.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from typing import Any

import boto3
from moto.sqs.models import sqs_backends

from local.http import LocalHttpServer, json_response
from local.lambda_runtime import ACCOUNT_ID, LambdaFunction
from local.resources import LocalQueue
from stacks.wiring import QueueSpec

log = logging.getLogger(__name__)

_RECORD_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")


class SqsPoller:
    def __init__(
        self, spec: QueueSpec, queue: LocalQueue, worker: LambdaFunction, region: str, watch=lambda client: client
    ) -> None:
        self._spec, self._queue, self._worker, self._region = spec, queue, worker, region
        self._sqs = watch(boto3.client("sqs", region_name=region))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller-{spec.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        if self._thread.ident is not None:  # a start-up that failed before start() must not hide its error
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._receive_batch()
                if batch:
                    self._deliver(batch)
            except Exception:  # noqa: BLE001 - keep polling, as the event source mapping does
                if self._stop.is_set():
                    return
                log.exception("poller %s failed; retrying in 1 s", self._spec.name)
                self._stop.wait(1)

    def _receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = None
        while not self._stop.is_set() and len(batch) < self._spec.batch_size:
            response = self._sqs.receive_message(
                QueueUrl=self._queue.url,
                MaxNumberOfMessages=min(10, self._spec.batch_size - len(batch)),
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            batch.extend(response.get("Messages", []))
            if batch:
                deadline = deadline or time.monotonic() + self._spec.max_batching_window_seconds
                if time.monotonic() >= deadline:
                    break
        return batch

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(message) for message in batch]}
        try:
            response = self._worker.invoke(event)
        except Exception:  # noqa: BLE001 - a failed invocation leaves the batch for redelivery
            log.exception("worker %s raised; %d message(s) left for redelivery", self._worker.spec.name, len(batch))
            return
        failures = {item.get("itemIdentifier") for item in (response or {}).get("batchItemFailures") or []}
        ids = {message["MessageId"] for message in batch}
        if not failures <= ids:
            log.error("worker %s reported unknown batch item failures; whole batch failed", self._worker.spec.name)
            return
        done = [message for message in batch if message["MessageId"] not in failures]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                for i, message in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self._queue.url, Entries=entries)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = message.get("Attributes", {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {name: attributes[name] for name in _RECORD_ATTRIBUTES if name in attributes},
            "messageAttributes": {
                name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue.arn,
            "awsRegion": self._region,
        }


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API shape (StringValue, DataType) -> the shape Lambda puts in an event (stringValue, dataType)."""
    attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def add_dead_letter_route(server: LocalHttpServer, queues: list[LocalQueue], region: str) -> None:
    server.add_get("/local/dlq", lambda _: json_response(200, {"messages": peek_dead_letters(queues, region)}))


def peek_dead_letters(queues: list[LocalQueue], region: str) -> list[dict[str, Any]]:
    """What sits in each DLQ, read from moto's backend so that looking changes nothing (no receive)."""
    backend = sqs_backends[ACCOUNT_ID][region]
    listed = []
    for queue in queues:
        for message in backend.get_queue(queue.dlq_name).messages:
            listed.append(
                {
                    "queue": queue.dlq_name,
                    "messageId": message.id,
                    "body": message.body,
                    "attributes": {
                        "ApproximateReceiveCount": str(message.approximate_receive_count),
                        "SentTimestamp": str(message.sent_timestamp),
                    },
                    "messageAttributes": {
                        name: {"dataType": value.get("DataType"), "stringValue": value.get("StringValue")}
                        for name, value in message.message_attributes.items()
                    },
                }
            )
    return listed

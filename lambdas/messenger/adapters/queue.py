"""The outbound SQS queue: jobs that point at a message record, and retry back-off."""

from __future__ import annotations

import json

from messenger.messages.models import Message

JOB_VERSION = 1
SEND_BATCH = 10  # SendMessageBatch's limit
SEND_ATTEMPTS = 5


def job_body(message: Message) -> str:
    """A job names the record; the record, not the job, is the source of truth."""
    return json.dumps({"v": JOB_VERSION, "to": message.to, "id": message.id}, separators=(",", ":"))


def parse_job(body: str) -> tuple[str, str]:
    data = json.loads(body)
    if not isinstance(data, dict) or data.get("v") != JOB_VERSION:
        raise ValueError("unknown job version")
    to, message_id = data.get("to"), data.get("id")
    if not isinstance(to, str) or not isinstance(message_id, str) or not to or not message_id:
        raise ValueError("job without a message key")
    return to, message_id


class SqsJobQueue:
    def __init__(self, client, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url
        self.calls = 0  # SendMessageBatch calls made (the bench reads it)

    def enqueue(self, message: Message, delay_seconds: int = 0) -> None:
        self._sqs.send_message(
            QueueUrl=self._url, MessageBody=job_body(message), DelaySeconds=delay_seconds
        )

    def enqueue_many(self, messages: list[Message]) -> int:
        """SendMessageBatch, 10 jobs a call; entries SQS failed are sent again. Returns the calls made."""
        calls = 0
        for start in range(0, len(messages), SEND_BATCH):
            entries = [{"Id": str(i), "MessageBody": job_body(m)} for i, m in enumerate(messages[start:start + SEND_BATCH])]
            for _ in range(SEND_ATTEMPTS):
                calls += 1
                failed = {f["Id"] for f in self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries).get("Failed", [])}
                entries = [e for e in entries if e["Id"] in failed]
                if not entries:
                    break
            else:
                raise ConnectionError(f"{len(entries)} jobs could not be queued")
        self.calls += calls
        return calls

    def delay_retry(self, receipt_handle: str, seconds: int) -> None:
        """Keep a failed job invisible for `seconds` before SQS hands it out again."""
        self._sqs.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )

"""The outbound SQS queue: jobs that point at a message record, and retry back-off."""

from __future__ import annotations

import json

from messenger.messages.models import Message

JOB_VERSION = 1
SEND_BATCH = 10  # SendMessageBatch's limit
SEND_ATTEMPTS = 5


def job_body(message: Message, text: str | None = None) -> str:
    """A job names the record; the record, not the job, is the source of truth. `text`: the text to send
    when the record keeps a masked one (a verification code); the job is deleted once settled."""
    job = {"v": JOB_VERSION, "to": message.to, "id": message.id}
    if text is not None:
        job["text"] = text
    return json.dumps(job, separators=(",", ":"))


def parse_job(body: str) -> tuple[str, str]:
    to, message_id, _ = parse_job_text(body)
    return to, message_id


def parse_job_text(body: str) -> tuple[str, str, str | None]:
    data = json.loads(body)
    if not isinstance(data, dict) or data.get("v") != JOB_VERSION:
        raise ValueError("unknown job version")
    to, message_id, text = data.get("to"), data.get("id"), data.get("text")
    if not isinstance(to, str) or not isinstance(message_id, str) or not to or not message_id:
        raise ValueError("job without a message key")
    if text is not None and not isinstance(text, str):
        raise ValueError("job text is not text")
    return to, message_id, text


class SqsJobQueue:
    def __init__(self, client, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url
        self.calls = 0  # SendMessageBatch calls made (the bench reads it)

    def enqueue(self, message: Message, delay_seconds: int = 0, text: str | None = None) -> None:
        self._sqs.send_message(
            QueueUrl=self._url, MessageBody=job_body(message, text), DelaySeconds=delay_seconds
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


CALLBACK_JOB_VERSION = 1


def callback_job(source: str, kind: str, form: dict[str, str], received_at: str) -> str:
    """A provider's callback kept as it came (its form), for the inbound worker to read."""
    return json.dumps({"v": CALLBACK_JOB_VERSION, "source": source, "kind": kind, "form": form,
                       "receivedAt": received_at}, separators=(",", ":"))


class SqsCallbackQueue:
    """The inbound queue: the function URL puts Africa's Talking's callbacks on it as they came."""

    def __init__(self, client, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def put(self, source: str, kind: str, form: dict[str, str], received_at: str) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=callback_job(source, kind, form, received_at))


class SqsBodyQueue:
    """A queue of small JSON bodies its worker reads itself (the batch jobs: batches/jobs.py)."""

    def __init__(self, client, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def put(self, body: str, delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body, DelaySeconds=delay_seconds)

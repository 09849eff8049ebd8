"""moto's SQS in the local mode, made proportional to the work asked for instead of to the backlog.

moto keeps a queue as one list of messages and answers every call by walking it: `SendMessage` builds
the queue's attributes (three counts over every message) to read `ContentBasedDeduplication`;
`ReceiveMessage` lists every visible message before taking ten, then builds the attributes again per
message handed out for its retention check; `DeleteMessage` and `ChangeMessageVisibility` search the
list for the receipt handle, twice. With thousands of jobs waiting (a CSV batch fanned out) each call
cost time in proportion to the backlog and the dispatch worker's poller fell ever further behind
(py-spy: over a third of the local mode's process; docs/benchmarks.md, "Batches").

For standard queues (the stack has no FIFO queue) the four calls here give moto's answers with work in
proportion to what they return: the retention check reads the period straight from the queue, a send
skips the attributes (content-based deduplication exists only on FIFO queues), a receive walks the
list only until it has its messages, and each queue keeps a map from every receipt handle it gave out
to its message. FIFO queues, and a handle the map never saw, keep moto's own code.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.utils import unix_time, unix_time_millis
from moto.moto_api._internal import mock_random as random
from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.models import MAXIMUM_MESSAGE_DELAY, Message, Queue, SQSBackend, _filter_message_attributes

_MAXIMUM_VISIBLE_AFTER_SENT_MS = 43_200 * 1000


def _handles(queue: Queue) -> dict[str, Message]:
    """Every receipt handle this queue gave out through `_receive`, to its message."""
    try:
        return queue._local_handles  # type: ignore[attr-defined]
    except AttributeError:
        queue._local_handles = {}  # type: ignore[attr-defined]
        return queue._local_handles  # type: ignore[attr-defined]


def _is_retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    period = int(self.get_queue(queue_name).message_retention_period)
    return period + message.sent_timestamp / 1000 > unix_time()  # type: ignore[operator]


def _send(original):
    def send_message(self: SQSBackend, queue_name: str, message_body: str,
                     message_attributes: dict[str, Any] | None = None, delay_seconds: int | None = None,
                     deduplication_id: str | None = None, group_id: str | None = None,
                     system_attributes: dict[str, Any] | None = None, validate_group_id: bool = True) -> Message:
        queue = self.get_queue(queue_name)
        if queue.fifo_queue:
            return original(self, queue_name, message_body, message_attributes, delay_seconds, deduplication_id,
                            group_id, system_attributes, validate_group_id)
        delay = int(delay_seconds or 0)
        self._validate_message(queue, message_body=message_body, delay_seconds=delay,
                               deduplication_id=deduplication_id, group_id=group_id,
                               validate_group_id=validate_group_id)
        delay = int(queue.delay_seconds) if delay_seconds is None else delay  # type: ignore[arg-type]
        if delay > MAXIMUM_MESSAGE_DELAY:
            raise InvalidParameterValue(f"Value {delay} for parameter DelaySeconds is invalid. "
                                        "Reason: DelaySeconds must be >= 0 and <= 900.")
        message = Message(str(random.uuid4()), message_body, system_attributes)
        if group_id is not None:
            message.group_id = group_id
        if message_attributes:
            message.message_attributes = message_attributes
        message.mark_sent(delay_seconds=delay)
        queue.add_message(message)
        return message

    return send_message


def _take(self: SQSBackend, queue: Queue, count: int, visibility_timeout: int, names: list[str]) -> list[Message]:
    """One pass over the queue, stopping once `count` messages are taken (moto's order and rules)."""
    taken: list[Message] = []
    to_dead_letters: list[Message] = []
    policy = queue.redrive_policy if queue.dead_letter_queue is not None else None
    handles = _handles(queue)
    with queue._messages_lock:
        for message in queue._messages:
            if not message.visible or message.delayed:
                continue
            queue.pending_messages.discard(message)  # visible again: its consumer timed out
            if policy and message.approximate_receive_count >= policy["maxReceiveCount"]:
                to_dead_letters.append(message)
                continue
            queue.pending_messages.add(message)
            message.mark_received(visibility_timeout=visibility_timeout)
            handles[message.receipt_handle] = message  # type: ignore[index]
            if not _is_retained(self, queue.name, message):
                break
            answer = copy.deepcopy(message)
            _filter_message_attributes(answer, names)
            taken.append(answer)
            if len(taken) >= count:
                break
        for message in to_dead_letters:
            queue._messages.remove(message)
            for handle in message.all_receipt_handles:
                handles.pop(handle, None)  # type: ignore[arg-type]
    for message in to_dead_letters:
        queue.dead_letter_queue.add_message(message)  # type: ignore[union-attr]
    return taken


def _receive(original):
    def receive_message(self: SQSBackend, queue_name: str, count: int, wait_seconds_timeout: int,
                        visibility_timeout: int, message_attribute_names: list[str] | None = None) -> list[Message]:
        queue = self.get_queue(queue_name)
        if queue.fifo_queue:
            return original(self, queue_name, count, wait_seconds_timeout, visibility_timeout,
                            message_attribute_names)
        polling_end = unix_time() + wait_seconds_timeout
        while True:
            taken = _take(self, queue, count, visibility_timeout, message_attribute_names or [])
            if taken or not wait_seconds_timeout or unix_time() > polling_end:
                return taken
            queue.wait_for_messages(1)

    return receive_message


def _delete(original):
    def delete_message(self: Queue, receipt_handle: str) -> None:
        message = _handles(self).get(receipt_handle)
        if self.fifo_queue or message is None or receipt_handle in self.deleted_messages:
            return original(self, receipt_handle)
        with self._messages_lock:
            self._messages.remove(message)
            for handle in message.all_receipt_handles:
                _handles(self).pop(handle, None)  # type: ignore[arg-type]
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]

    return delete_message


def _change_visibility(original):
    def change_message_visibility(self: SQSBackend, queue_name: str, receipt_handle: str,
                                  visibility_timeout: int) -> None:
        queue = self.get_queue(queue_name)
        message = _handles(queue).get(receipt_handle)
        if queue.fifo_queue or message is None:
            return original(self, queue_name, receipt_handle, visibility_timeout)
        if unix_time_millis() + int(visibility_timeout) * 1000 - message.sent_timestamp > (  # type: ignore[operator]
                _MAXIMUM_VISIBLE_AFTER_SENT_MS):
            raise InvalidParameterValue(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                "VisibilityTimeout for the message is beyond the limit [43200 seconds]")
        message.change_visibility(visibility_timeout)
        if message.visible:
            queue.pending_messages.discard(message)
        return None

    return change_message_visibility


def replacements() -> list[tuple[type, str, Any]]:
    """(owner, attribute, replacement) for each call taken over, built on moto's current ones."""
    return [
        (SQSBackend, "is_message_valid_based_on_retention_period", _is_retained),
        (SQSBackend, "send_message", _send(SQSBackend.send_message)),
        (SQSBackend, "receive_message", _receive(SQSBackend.receive_message)),
        (SQSBackend, "change_message_visibility", _change_visibility(SQSBackend.change_message_visibility)),
        (Queue, "delete_message", _delete(Queue.delete_message)),
    ]


def in_proportion() -> None:
    """Installs the replacements on moto's SQS for the whole process (idempotent)."""
    if getattr(SQSBackend, "_local_in_proportion", False):
        return
    for owner, name, replacement in replacements():
        setattr(owner, name, replacement)
    SQSBackend._local_in_proportion = True

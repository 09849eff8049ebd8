"""moto's SQS receive made proportional to what it returns for the local mode, with the same results.

For every message it hands out, moto checks the queue's retention period by asking for the queue's
attributes, and building them counts the queue's messages three times over (visible, in flight,
delayed), reading the clock once per message each time. With thousands of jobs waiting (a CSV batch
fanned out) each `ReceiveMessage` therefore cost time in proportion to ten times the backlog, and the
dispatch worker's poller fell ever further behind (py-spy: over a third of the local mode's process;
docs/benchmarks.md, "Batches"). The retention check here reads the same value straight from the queue:
the same answer for every message, without the counts.
"""

from __future__ import annotations

from moto.core.utils import unix_time
from moto.sqs.models import Message, SQSBackend


def retention_from_the_queue() -> None:
    """Installs the direct retention check (idempotent)."""
    if getattr(SQSBackend, "_local_direct_retention", False):
        return

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > unix_time()  # type: ignore[operator]

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    SQSBackend._local_direct_retention = True

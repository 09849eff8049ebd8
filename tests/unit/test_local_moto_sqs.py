"""moto's SQS in the local mode (local/moto_sqs.py): the retention check reads the queue's period directly
and answers what moto's own check answers, so a message past retention is still never received."""

from __future__ import annotations

import boto3
from moto import mock_aws
from moto.core.utils import unix_time_millis
from moto.sqs.models import sqs_backends

from local.moto_sqs import retention_from_the_queue


def test_messages_past_the_queues_retention_are_not_received_and_the_rest_are(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    retention_from_the_queue()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        for body in ("fresh", "old"):  # moto stops its receive at the first expired message
            sqs.send_message(QueueUrl=url, MessageBody=body)
        backend = sqs_backends["123456789012"]["us-east-1"]
        old = next(m for m in backend.get_queue("q")._messages if m.body == "old")
        old.sent_timestamp = int(unix_time_millis()) - 61_000  # sent 61 s ago: past its 60 s retention
        by_moto = {m.body: m.sent_timestamp / 1000 + backend.get_queue_attributes("q", ["MessageRetentionPeriod"])[
            "MessageRetentionPeriod"] > unix_time_millis() / 1000 for m in backend.get_queue("q")._messages}
        assert {m.body: backend.is_message_valid_based_on_retention_period("q", m)
                for m in backend.get_queue("q")._messages} == by_moto == {"old": False, "fresh": True}
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        assert [m["Body"] for m in received] == ["fresh"]

"""moto's SQS in the local mode (local/moto_sqs.py) answers what moto itself answers.

The same script of calls (sends with and without delay, receives with attribute filters, deletes by
current, old, repeated and unknown handles, visibility changes, redrive to a dead-letter queue, expired
messages) runs once on moto as shipped and once with the local mode's replacements installed; every
answer a client can see must be the same."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.utils import unix_time_millis
from moto.sqs.models import Message, sqs_backends

from local import moto_sqs


def _bodies(response: dict) -> list[str]:
    return [m["Body"] for m in response.get("Messages", [])]


def _error(call) -> str | None:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


def _script() -> list:
    """Runs the calls and returns everything a client saw, in order (ids and handles left out)."""
    seen: list = []
    sqs = boto3.client("sqs", region_name="us-east-1")
    dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="q", Attributes={
        "MessageRetentionPeriod": "120",
        "RedrivePolicy": f'{{"deadLetterTargetArn": "{dead_arn}", "maxReceiveCount": "2"}}',
    })["QueueUrl"]
    for i in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", DelaySeconds=900 if i % 7 == 3 else 0,
                         MessageAttributes={"kind": {"DataType": "String", "StringValue": f"k{i % 3}"}})
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(10)])
    seen.append(_error(lambda: sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)))
    seen.append(_error(lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")))

    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30,
                                MessageAttributeNames=["kind"], AttributeNames=["ApproximateReceiveCount"])
    seen.append([(m["Body"], m.get("MessageAttributes"), m["Attributes"]) for m in first["Messages"]])
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4, VisibilityTimeout=30)
    seen.append([(m["Body"], m.get("MessageAttributes")) for m in second["Messages"]])

    handles = [m["ReceiptHandle"] for m in first["Messages"]]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[0])
    seen.append(_error(lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[0])))  # again: no error
    seen.append(_error(lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")))
    result = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": handles[1]}, {"Id": "b", "ReceiptHandle": "unknown"}])
    seen.append((sorted(e["Id"] for e in result.get("Successful", [])),
                 sorted((e["Id"], e["Code"]) for e in result.get("Failed", []))))

    for handle in handles[2:6]:  # back to visible: received again, counting towards the redrive
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    seen.append(_error(lambda: sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handles[0],
                                                             VisibilityTimeout=0)))  # deleted
    seen.append(_error(lambda: sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handles[6],
                                                             VisibilityTimeout=43_201)))
    time.sleep(0.01)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30,
                                AttributeNames=["ApproximateReceiveCount"])
    seen.append([(m["Body"], m["Attributes"]) for m in again["Messages"]])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[2])  # an old handle of a message received again
    seen.append(_error(lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle=again["Messages"][0]["ReceiptHandle"])))

    for message in again["Messages"][1:4]:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    time.sleep(0.01)
    seen.append(_bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)))
    moved = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, VisibilityTimeout=30)
    seen.append(_bodies(moved))
    for message in moved.get("Messages", []):
        sqs.delete_message(QueueUrl=dead, ReceiptHandle=message["ReceiptHandle"])
    seen.append(_bodies(sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10)))

    queue = sqs_backends["123456789012"]["us-east-1"].get_queue("q")
    for message in queue._messages[-3:]:  # sent long ago: past the queue's 120 s retention
        message.sent_timestamp = int(unix_time_millis()) - 121_000
    seen.append(_bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)))
    seen.append(_bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)))
    seen.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"])["Attributes"])
    return seen


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_every_answer_is_the_one_moto_itself_gives(aws, monkeypatch):
    with mock_aws():
        by_moto = _script()
    for owner, name, replacement in moto_sqs.replacements():
        monkeypatch.setattr(owner, name, replacement)
    with mock_aws():
        by_the_local_mode = _script()
    assert by_the_local_mode == by_moto
    assert by_moto[-1] != {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
                           "ApproximateNumberOfMessagesDelayed": "0"}  # the script left work in the queue
    assert by_moto[-5]  # and messages reached the dead-letter queue


def test_a_receive_visits_only_the_messages_it_needs(aws, monkeypatch):
    """The point of the replacements: with 2,000 messages waiting, taking ten looks at about ten."""
    for owner, name, replacement in moto_sqs.replacements():
        monkeypatch.setattr(owner, name, replacement)
    looked = []
    original = Message.visible
    monkeypatch.setattr(Message, "visible", property(lambda self: looked.append(1) or original.fget(self)))
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        for start in range(0, 2_000, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"{start + i}"}
                                                          for i in range(10)])
        looked.clear()
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                         for i, m in enumerate(received)])
    assert [m["Body"] for m in received] == [str(i) for i in range(10)]
    assert len(looked) <= 20

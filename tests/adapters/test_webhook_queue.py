"""The webhooks queue's requests: compact JSON bodies, a delay only when asked, parked copies on the DLQ."""

import boto3
from botocore.stub import Stubber
from messenger.adapters.webhook_queue import WebhookQueue

URL, DLQ = "https://sqs.us-east-1.amazonaws.com/1/webhooks", "https://sqs.us-east-1.amazonaws.com/1/webhooks-dlq"
BODY = {"eventId": "e1", "attempt": 2, "payload": {"status": "DELIVERED", "to": "+1***0123"}}
COMPACT = '{"eventId":"e1","attempt":2,"payload":{"status":"DELIVERED","to":"+1***0123"}}'


def sqs():
    return boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_events_go_to_the_queue_as_compact_json_delayed_only_when_asked():
    client = sqs()
    with Stubber(client) as stub:
        stub.add_response("send_message", {"MessageId": "m1"}, {"QueueUrl": URL, "MessageBody": COMPACT})
        stub.add_response("send_message", {"MessageId": "m2"},
                          {"QueueUrl": URL, "MessageBody": COMPACT, "DelaySeconds": 30})
        queue = WebhookQueue(client, URL, DLQ)
        queue.send(BODY)
        queue.send(BODY, delay_seconds=30)
        stub.assert_no_pending_responses()


def test_a_parked_copy_goes_to_the_dead_letter_queue_readable_as_it_was():
    client = sqs()
    with Stubber(client) as stub:
        stub.add_response("send_message", {"MessageId": "m1"}, {"QueueUrl": DLQ, "MessageBody": COMPACT})
        WebhookQueue(client, URL, DLQ).park(BODY)
        stub.assert_no_pending_responses()

"""The work queues (outbound, receipts), their dead-letter queues, the workers' event sources, the alarms."""

from __future__ import annotations

import pytest

DAY = 86_400
QUEUES = ("outbound", "receipts", "uploads", "webhooks", "inbound")


def _queue(synth, name="outbound", suffix=""):
    return synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-{name}{suffix}")


def _alarm_topic(synth):
    return synth.one("AWS::SNS::Topic", TopicName=f"{synth.config.resource_prefix()}-alarms")


def _policy_statements(synth, queue_id):
    (policy,) = [
        p["Properties"] for p in synth.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    return policy["PolicyDocument"]["Statement"]


def test_the_wiring_has_exactly_the_queues_these_tests_cover(wiring):
    assert tuple(spec.name for spec in wiring.queues) == QUEUES


@pytest.mark.parametrize("name", QUEUES)
@pytest.mark.parametrize("suffix", ["", "-dlq"])
def test_queue_is_encrypted_at_rest(synth, name, suffix):
    assert _queue(synth, name, suffix)[1]["Properties"]["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize("name", QUEUES)
@pytest.mark.parametrize("suffix", ["", "-dlq"])
def test_queue_policy_denies_every_request_without_tls(synth, name, suffix):
    statements = _policy_statements(synth, _queue(synth, name, suffix)[0])
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Action"] == "sqs:*"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_queue_policies_allow_nothing_but_sns_into_receipts_and_s3_into_uploads(synth):
    # The receipts queue's one allow (SNS from the event topic) is pinned in test_receipts.py, the uploads
    # queue's (S3 for the uploads bucket) in test_uploads_bucket.py.
    for name in QUEUES:
        for suffix in ("", "-dlq"):
            allows = [s for s in _policy_statements(synth, _queue(synth, name, suffix)[0]) if s["Effect"] == "Allow"]
            assert len(allows) == (1 if name in ("receipts", "uploads", "inbound") and suffix == "" else 0)


@pytest.mark.parametrize("name", QUEUES)
def test_visibility_timeout_is_at_least_six_times_the_worker_timeout(synth, wiring, name):
    spec = wiring.queue(name)
    worker_timeout = synth.function(spec.worker)[1]["Properties"]["Timeout"]
    visibility = _queue(synth, name)[1]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * worker_timeout
    assert visibility == wiring.visibility_timeout_seconds(spec)


@pytest.mark.parametrize("name", QUEUES)
def test_failed_messages_move_to_the_dlq_after_three_receives(synth, name):
    dlq_id = _queue(synth, name, "-dlq")[0]
    assert _queue(synth, name)[1]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }


@pytest.mark.parametrize("name", QUEUES)
def test_dlq_keeps_messages_for_14_days(synth, name):
    assert _queue(synth, name, "-dlq")[1]["Properties"]["MessageRetentionPeriod"] == 14 * DAY


@pytest.mark.parametrize(("name", "batch_size"), [("outbound", 100), ("receipts", 10), ("uploads", 1), ("webhooks", 5),
                                                ("inbound", 10)])
def test_worker_consumes_the_queue_reporting_batch_item_failures(synth, wiring, name, batch_size):
    spec = wiring.queue(name)
    queue_arn = {"Fn::GetAtt": [_queue(synth, name)[0], "Arn"]}
    (mapping,) = [m for m in synth.of_type("AWS::Lambda::EventSourceMapping").values() if m["Properties"]["EventSourceArn"] == queue_arn]
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": synth.function(spec.worker)[0]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == spec.batch_size == batch_size
    assert props.get("MaximumBatchingWindowInSeconds", 0) == spec.max_batching_window_seconds


def test_each_queue_has_exactly_one_worker(synth):
    sources = [m["Properties"]["EventSourceArn"] for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()]
    assert sorted(s["Fn::GetAtt"][0] for s in sources) == sorted(_queue(synth, name)[0] for name in QUEUES)


@pytest.mark.parametrize("name", QUEUES)
def test_an_alarm_fires_on_the_first_message_in_the_dlq(synth, name):
    dlq_name = {"Fn::GetAtt": [_queue(synth, name, "-dlq")[0], "QueueName"]}
    (alarm,) = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Properties"]["Dimensions"] == [{"Name": "QueueName", "Value": dlq_name}]
    ]
    assert alarm["AlarmName"] == f"{synth.config.resource_prefix()}-{name}-dlq-not-empty"
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [{"Ref": _alarm_topic(synth)[0]}]


def test_every_function_has_an_error_alarm(synth, wiring):
    alarmed = {
        a["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "Errors"
    }
    assert alarmed == {synth.function(spec.name)[0] for spec in wiring.functions}


def test_alarm_topic_is_encrypted_and_tls_only(synth):
    topic_id, topic = _alarm_topic(synth)
    assert "KmsMasterKeyId" in topic["Properties"]
    (policy,) = [p for p in synth.of_type("AWS::SNS::TopicPolicy").values() if p["Properties"]["Topics"] == [{"Ref": topic_id}]]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _email_subscriptions(synth):
    return [s["Properties"] for s in synth.of_type("AWS::SNS::Subscription").values() if s["Properties"]["Protocol"] == "email"]


def test_alarm_email_is_subscribed_only_when_configured(synth, variant_synth):
    assert _email_subscriptions(synth) == []
    (subscription,) = _email_subscriptions(variant_synth)
    assert subscription["Endpoint"] == "ops@example.com"
    assert subscription["TopicArn"] == {"Ref": _alarm_topic(variant_synth)[0]}


@pytest.mark.parametrize("name", QUEUES)
def test_outputs_give_what_the_dlq_redrive_command_needs(synth, name):
    outputs = synth.template["Outputs"]
    queue_id, dlq_id = _queue(synth, name)[0], _queue(synth, name, "-dlq")[0]
    label = name.capitalize()
    assert outputs[f"{label}QueueArn"]["Value"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert outputs[f"{label}QueueUrl"]["Value"] == {"Ref": queue_id}
    assert outputs[f"{label}DeadLetterQueueArn"]["Value"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    assert outputs[f"{label}DeadLetterQueueUrl"]["Value"] == {"Ref": dlq_id}

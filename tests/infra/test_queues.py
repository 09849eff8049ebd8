"""The outbound queue, its dead-letter queue, the worker's event source and the DLQ alarm."""

from __future__ import annotations

import pytest

DAY = 86_400


def _queue(synth, suffix=""):
    return synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-outbound{suffix}")


@pytest.mark.parametrize("suffix", ["", "-dlq"])
def test_queue_is_encrypted_at_rest(synth, suffix):
    assert _queue(synth, suffix)[1]["Properties"]["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize("suffix", ["", "-dlq"])
def test_queue_policy_denies_every_request_without_tls(synth, suffix):
    queue_id = _queue(synth, suffix)[0]
    (policy,) = [
        p["Properties"] for p in synth.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "sqs:*"
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_visibility_timeout_is_at_least_six_times_the_worker_timeout(synth, wiring):
    (spec,) = wiring.queues
    worker_timeout = synth.function(spec.worker)[1]["Properties"]["Timeout"]
    visibility = _queue(synth)[1]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * worker_timeout
    assert visibility == wiring.visibility_timeout_seconds(spec)


def test_failed_messages_move_to_the_dlq_after_three_receives(synth):
    dlq_id = _queue(synth, "-dlq")[0]
    assert _queue(synth)[1]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }


def test_dlq_keeps_messages_for_14_days(synth):
    assert _queue(synth, "-dlq")[1]["Properties"]["MessageRetentionPeriod"] == 14 * DAY


def test_worker_consumes_the_queue_reporting_batch_item_failures(synth, wiring):
    (spec,) = wiring.queues
    (mapping,) = synth.of_type("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [_queue(synth)[0], "Arn"]}
    assert props["FunctionName"] == {"Ref": synth.function(spec.worker)[0]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == spec.batch_size == 100
    assert props["MaximumBatchingWindowInSeconds"] == spec.max_batching_window_seconds


def test_an_alarm_fires_on_the_first_message_in_the_dlq(synth):
    dlq_name = {"Fn::GetAtt": [_queue(synth, "-dlq")[0], "QueueName"]}
    (alarm,) = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": dlq_name}]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [{"Ref": synth.one("AWS::SNS::Topic")[0]}]


def test_every_function_has_an_error_alarm(synth, wiring):
    alarmed = {
        a["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "Errors"
    }
    assert alarmed == {synth.function(spec.name)[0] for spec in wiring.functions}


def test_alarm_topic_is_encrypted_and_tls_only(synth):
    topic_id, topic = synth.one("AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic["Properties"]
    (policy,) = synth.of_type("AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_alarm_email_is_subscribed_only_when_configured(synth, variant_synth):
    assert synth.of_type("AWS::SNS::Subscription") == {}
    (subscription,) = variant_synth.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"


def test_outputs_give_what_the_dlq_redrive_command_needs(synth):
    outputs = synth.template["Outputs"]
    queue_id, dlq_id = _queue(synth)[0], _queue(synth, "-dlq")[0]
    assert outputs["OutboundQueueArn"]["Value"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert outputs["OutboundQueueUrl"]["Value"] == {"Ref": queue_id}
    assert outputs["OutboundDeadLetterQueueArn"]["Value"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    assert outputs["OutboundDeadLetterQueueUrl"]["Value"] == {"Ref": dlq_id}

"""The sweeper's schedule and alarm, and the dashboard: metric names and dimensions as the functions emit them."""

from __future__ import annotations

import json

import pytest

from stacks.wiring import CHANNELS

# Written out here, independently of stacks/constructs/metrics.py.
NAMESPACE = "Messaging"
SERVICE = "dev-messaging"


def test_the_sweeper_runs_every_five_minutes(synth):
    (rule,) = synth.of_type("AWS::Events::Rule").values()
    props = rule["Properties"]
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert props["State"] == "ENABLED"
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [synth.function("sweeper")[0], "Arn"]}
    # A run that could not start within one period is dropped: the next run does its work.
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 300, "MaximumRetryAttempts": 2}


def test_only_that_rule_may_invoke_the_sweeper_and_a_failed_run_is_not_retried(synth):
    sweeper_id = synth.function("sweeper")[0]
    sweeper_arn = {"Fn::GetAtt": [sweeper_id, "Arn"]}
    (permission,) = [p["Properties"] for p in synth.of_type("AWS::Lambda::Permission").values() if p["Properties"]["FunctionName"] == sweeper_arn]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": [synth.one("AWS::Events::Rule")[0], "Arn"]}
    (invoke_config,) = synth.of_type("AWS::Lambda::EventInvokeConfig").values()
    assert invoke_config["Properties"]["FunctionName"] == {"Ref": sweeper_id}
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 0


def test_metrics_are_read_with_the_dimensions_every_function_emits(synth, wiring):
    for spec in wiring.functions:
        variables = synth.function(spec.name)[1]["Properties"]["Environment"]["Variables"]
        assert (variables["POWERTOOLS_METRICS_NAMESPACE"], variables["POWERTOOLS_SERVICE_NAME"]) == (NAMESPACE, SERVICE)


def _sweeper_alarm(synth):
    return synth.one("AWS::CloudWatch::Alarm", AlarmName=f"{synth.config.resource_prefix()}-sweeper-closed-many")[1]["Properties"]


@pytest.mark.parametrize(("fixture", "threshold"), [("synth", 100), ("variant_synth", 7)])
def test_an_alarm_fires_when_the_sweeper_closes_more_than_the_threshold_in_an_hour(request, fixture, threshold):
    synth = request.getfixturevalue(fixture)
    alarm = _sweeper_alarm(synth)
    assert alarm["Threshold"] == threshold == synth.config.sweeper_alarm_threshold
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": synth.one("AWS::SNS::Topic", TopicName=f"{SERVICE}-alarms")[0]}]
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert expression["ReturnData"] is True
    inputs = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
    # Every channel, a channel without data counting as 0.
    assert expression["Expression"] == " + ".join(f"FILL({key}, 0)" for key in inputs)
    assert sorted(
        (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"], stat["Period"],
         tuple((d["Name"], d["Value"]) for d in stat["Metric"]["Dimensions"]))
        for stat in inputs.values()
    ) == sorted((NAMESPACE, "SweeperClosed", "Sum", 3600, (("channel", c), ("service", SERVICE))) for c in CHANNELS)  # fmt: skip


def test_the_alarms_are_exactly_the_expected_ones(synth, wiring):
    names = {a["Properties"]["AlarmName"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()}
    assert names == {
        *(f"{SERVICE}-{q.name}-dlq-not-empty" for q in wiring.queues),
        *(f"{SERVICE}-{f.name.replace('_', '-')}-errors" for f in wiring.functions),
        f"{SERVICE}-sweeper-closed-many",
    }


def _dashboard(synth) -> dict:
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    return json.loads(synth.render(dashboard["Properties"]["DashboardBody"]))


def _graph(synth, title_start: str) -> dict:
    (widget,) = [w["properties"] for w in _dashboard(synth)["widgets"] if w["properties"]["title"].startswith(title_start)]
    return widget


def _lines(widget) -> set[tuple]:
    """(namespace, metric, dimension values..., stat) of each line."""
    return {(*line[:-1], line[-1].get("stat")) for line in widget["metrics"]}


@pytest.mark.parametrize(("title", "metric"), [
    ("Messages sent", "MessagesSent"),
    ("Messages delivered", "MessagesDelivered"),
    ("Messages failed", "MessagesFailed"),
    ("Closed by the sweeper", "SweeperClosed"),
])
def test_the_dashboard_counts_per_channel(synth, title, metric):
    assert _lines(_graph(synth, title)) == {(NAMESPACE, metric, "channel", c, "service", SERVICE, "Sum") for c in CHANNELS}


def test_the_dashboard_shows_receipt_latency_p50_and_p95_per_channel(synth):
    assert _lines(_graph(synth, "Receipt latency")) == {
        (NAMESPACE, "ReceiptLatency", "channel", c, "service", SERVICE, stat) for c in CHANNELS for stat in ("p50", "p95")
    }


def test_the_dashboard_shows_suppressions_added_by_reason(synth):
    # The runtime puts the reason in the `channel` dimension (suppressions/dependencies.py).
    assert _lines(_graph(synth, "Suppressions added")) == {
        (NAMESPACE, "SuppressionsAdded", "channel", reason, "service", SERVICE, "Sum")
        for reason in ("bounce", "complaint", "blacklisted")
    }


def test_the_dashboard_shows_the_depth_of_every_dead_letter_queue(synth, wiring):
    dlq_names = {
        "${%s.QueueName}" % synth.one("AWS::SQS::Queue", QueueName=f"{SERVICE}-{q.name}-dlq")[0] for q in wiring.queues
    }
    assert _lines(_graph(synth, "Dead-letter queues")) == {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name, "Maximum") for name in dlq_names
    }

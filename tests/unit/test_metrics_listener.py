"""The status writer's metrics: which status counts under which name, the receipt latency, and the
CloudWatch embedded-metric line each one becomes."""

from __future__ import annotations

import json

import pytest
from messenger.messages import metrics
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider


def message(status: DeliveryStatus, sent_at=None, completed_at=None) -> Message:
    return Message(id="01ARZ3NDEKTSV4RRFFQ69G5FAV", to="+254711000001", body="b", delivery_method=DeliveryMethod.SMS,
                   delivery_status=status, provider=Provider.AFRICASTALKING, created_at="2026-11-23T12:00:00.000Z",
                   updated_at="2026-11-23T12:00:00.000Z", sent_at=sent_at, completed_at=completed_at)


@pytest.fixture
def emitted(monkeypatch):
    calls = []
    monkeypatch.setattr(metrics, "count", lambda name, channel: calls.append(("count", name, channel)))
    monkeypatch.setattr(metrics, "measure", lambda name, channel, ms: calls.append(("measure", name, channel, ms)))
    return calls


@pytest.mark.parametrize(("status", "name"), [(DeliveryStatus.QUEUED, "MessagesQueued"),
                                              (DeliveryStatus.FAILED, "MessagesFailed")])
def test_a_record_written_queued_or_failed_is_counted(emitted, status, name):
    metrics.MetricListener().recorded(message(status))
    assert emitted == [("count", name, "SMS/AFRICASTALKING")]


@pytest.mark.parametrize("status", [DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED, DeliveryStatus.ACCEPTED])
def test_other_records_are_counted_when_they_move(emitted, status):
    metrics.MetricListener().recorded(message(status))
    assert emitted == []


def test_a_final_status_counts_and_measures_the_time_since_the_hand_off(emitted):
    metrics.MetricListener().moved(message(DeliveryStatus.DELIVERED, "2026-11-23T12:00:01.000Z", "2026-11-23T12:00:03.500Z"))
    assert emitted == [("count", "MessagesDelivered", "SMS/AFRICASTALKING"),
                       ("measure", "ReceiptLatency", "SMS/AFRICASTALKING", 2500.0)]


def test_a_final_status_without_a_hand_off_is_counted_but_not_measured(emitted):
    metrics.MetricListener().moved(message(DeliveryStatus.FAILED, None, "2026-11-23T12:00:03.500Z"))
    metrics.MetricListener().moved(message(DeliveryStatus.CANCELLED, "2026-11-23T12:00:01.000Z", "2026-11-23T12:00:02.000Z"))
    assert emitted == [("count", "MessagesFailed", "SMS/AFRICASTALKING"),
                       ("measure", "ReceiptLatency", "SMS/AFRICASTALKING", 1000.0)]


def test_a_move_to_accepted_counts_a_send(emitted):
    metrics.MetricListener().moved(message(DeliveryStatus.ACCEPTED, "2026-11-23T12:00:01.000Z"))
    assert emitted == [("count", "MessagesSent", "SMS/AFRICASTALKING")]


def test_each_metric_is_one_embedded_metric_line_with_its_channel(monkeypatch, capsys):
    from messenger.core import observability

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setattr(observability.metrics, "namespace", "Messaging")  # Lambda's environment names it
    observability.measure("ReceiptLatency", "EMAIL/SES", 250.0)
    observability.count("MessagesSent", "SMS/SNS")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(line["ReceiptLatency"] if "ReceiptLatency" in line else line["MessagesSent"], line["channel"])
            for line in lines] == [([250.0], "EMAIL/SES"), ([1.0], "SMS/SNS")]
    [first, second] = [line["_aws"]["CloudWatchMetrics"][0] for line in lines]
    assert first["Metrics"] == [{"Name": "ReceiptLatency", "Unit": "Milliseconds"}]
    assert second["Metrics"] == [{"Name": "MessagesSent", "Unit": "Count"}]
    assert "channel" in first["Dimensions"][0] and (first["Namespace"], second["Namespace"]) == ("Messaging",) * 2

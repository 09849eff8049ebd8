"""The X-Ray SDK (behind Powertools' Tracer) is loaded only for an invocation X-Ray keeps, in Lambda."""

from __future__ import annotations

import pytest

from messenger.core import observability

SAMPLED = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"
NOT_SAMPLED = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=0"


class FakeTracer:
    def __init__(self) -> None:
        self.captured: list[str] = []

    def capture_lambda_handler(self, handler, capture_response):
        assert capture_response is False  # a response may hold personal data

        def captured(event, context):
            self.captured.append(event["n"])
            return handler(event, context)

        return captured


@pytest.fixture
def built(monkeypatch):
    """The tracers built (each stands for the X-Ray SDK being loaded)."""
    tracers: list[FakeTracer] = []

    def tracer():
        if not tracers:
            tracers.append(FakeTracer())
        return tracers[0]

    monkeypatch.setattr(observability, "tracer", tracer)
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "POWERTOOLS_TRACE_DISABLED", "_X_AMZN_TRACE_ID"):
        monkeypatch.delenv(name, raising=False)
    return tracers


def handler_under_test():
    return observability.traced(lambda event, context: {"handled": event["n"]})


def test_outside_lambda_nothing_is_loaded_even_when_a_header_says_sampled(built, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    assert handler_under_test()({"n": 1}, None) == {"handled": 1}
    assert built == []


def test_in_lambda_an_unsampled_invocation_loads_nothing_and_a_sampled_one_is_captured(built, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "dev-messaging-api")
    handler = handler_under_test()
    monkeypatch.setenv("_X_AMZN_TRACE_ID", NOT_SAMPLED)
    assert handler({"n": 1}, None) == {"handled": 1}
    assert built == []
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    assert handler({"n": 2}, None) == {"handled": 2}
    monkeypatch.setenv("_X_AMZN_TRACE_ID", NOT_SAMPLED)
    assert handler({"n": 3}, None) == {"handled": 3}
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    assert handler({"n": 4}, None) == {"handled": 4}
    [tracer] = built
    assert tracer.captured == [2, 4]


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_tracing_switched_off_in_lambda_loads_nothing(built, monkeypatch, value):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "dev-messaging-api")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", value)
    assert handler_under_test()({"n": 1}, None) == {"handled": 1}
    assert built == []


def test_a_header_without_a_sampling_decision_is_not_traced(built, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "dev-messaging-api")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-67891233-abcdef012345678912345678;Sampled=10")
    handler_under_test()({"n": 1}, None)
    assert built == []

"""The local mode's in-process short cuts: the handlers' signed AppSync calls to the local endpoint
(local/loopback.py) get the same checks and answers as over HTTP, and nothing else is diverted."""

from __future__ import annotations

import pytest

from local.graphql_server import GraphqlEndpoint
from local.loopback import InProcessEndpoint
from messenger.adapters import appsync

URL = "http://127.0.0.1:4999/graphql"


class RecordingApi:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def execute(self, query, variables, operation_name, trace_id=None, auth=None, api_key=None):
        self.calls.append((query, variables, auth))
        return {"data": {"publishMessageUpdate": {"id": variables["message"]["id"]}}}


@pytest.fixture
def endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "handlers-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "handlers-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    api = RecordingApi()
    served = GraphqlEndpoint("da2-key", api, ("handlers-key", "handlers-secret"))
    sent_out: list = []
    monkeypatch.setattr(appsync, "urlopen", InProcessEndpoint(URL, served._handle, lambda *a, **k: sent_out.append(a)))
    return api, sent_out


def test_a_signed_call_is_checked_and_answered_in_process(endpoint):
    api, sent_out = endpoint
    result = appsync.call_graphql(URL, "us-east-1", "mutation M { x }", {"message": {"id": "m-1"}}, timeout=3)
    assert result == {"data": {"publishMessageUpdate": {"id": "m-1"}}}
    assert api.calls == [("mutation M { x }", {"message": {"id": "m-1"}}, "AWS_IAM")]
    assert sent_out == []


def test_a_call_signed_with_other_credentials_is_refused_as_over_http(endpoint, monkeypatch):
    api, _ = endpoint
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "someone-else")
    with pytest.raises(appsync.GraphqlCallFailed, match="HTTP 401"):
        appsync.call_graphql(URL, "us-east-1", "mutation M { x }", {"message": {"id": "m-1"}}, timeout=3)
    assert api.calls == []


def test_other_urls_go_out_as_before(endpoint):
    api, sent_out = endpoint
    with pytest.raises(TypeError):  # the stand-in "network" returns None, which is not a response
        appsync.call_graphql("http://127.0.0.1:4999/other", "us-east-1", "q", {}, timeout=3)
    assert len(sent_out) == 1 and sent_out[0][0].full_url == "http://127.0.0.1:4999/other"
    assert api.calls == []


def test_the_cpu_moto_spends_on_in_process_calls_is_counted_per_call(monkeypatch):
    """bench/local_throughput.py divides this by the sends: one count per call answered in-process."""
    import boto3
    from moto import mock_aws

    from local.in_process_aws import answer_in_process, moto_cpu

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # nothing listens: only the short cut answers
    with mock_aws():  # moto's state is reset when the test ends
        sqs = answer_in_process(boto3.client("sqs", region_name="us-east-1"))
        before = moto_cpu.snapshot()
        url = sqs.create_queue(QueueName="cpu-counted")["QueueUrl"]
        for _ in range(3):
            sqs.send_message(QueueUrl=url, MessageBody="x")
        after = moto_cpu.snapshot()
    assert after["motoCalls"] - before["motoCalls"] == 4
    assert 0 < after["motoSeconds"] - before["motoSeconds"] <= after["processSeconds"] - before["processSeconds"]

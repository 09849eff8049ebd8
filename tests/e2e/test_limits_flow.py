"""Send limits and the SMS fraud guard over HTTP against the local mode (docs/limits.md).

One local mode with low limits (few real sends keep it quick): 4 sends per GraphQL request, 2 identical
/ 3 any SMS per number and 2 e-mails per address per hour, 12 messages a day for the client. Windows resetting is tested
with an injected clock in tests/unit/test_limits.py; the per-minute window is also waited out once here.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
import time

import pytest

from tests.e2e.conftest import start_local_mode

CONFIG = {
    "messagesPerRequest": 4, "clientMessagesPerMinute": 1000, "clientMessagesPerDay": 12,
    "smsIdenticalPerNumberPerHour": 2, "smsPerNumberPerHour": 3, "emailsPerAddressPerHour": 2,
}
SEND = "mutation($input: MessageInput!){ sendMessage(input: $input){ id deliveryStatus } }"


@pytest.fixture(scope="module")
def api():
    now = dt.datetime.now(dt.UTC)
    if (now.hour, now.minute) == (23, 59) or now.minute == 59 and now.second > 50:
        pytest.skip("the hour or day window ends within the test: run it again in a minute")
    local = start_local_mode(LOCAL_CONFIG=json.dumps(CONFIG))
    yield local
    assert local.stop(signal.SIGINT) == 0


def counts(api) -> tuple[int, int]:
    return api.get("/local/table")[1]["items"], len(api.outbox())


def aliased(first: int, count: int) -> str:
    """One request of `count` aliased sendMessage fields, each to its own address, values in variables."""
    params = ", ".join(f"$i{n}: MessageInput!" for n in range(first, first + count))
    fields = " ".join(f"m{n}: sendMessage(input: $i{n}){{ id }}" for n in range(first, first + count))
    return f"mutation({params}){{ {fields} }}"


def aliased_inputs(first: int, count: int, prefix: str) -> dict:
    return {f"i{n}": {"to": f"{prefix}{n}@example.com", "subject": "Hi", "body": "Hello", "deliveryMethod": "EMAIL"}
            for n in range(first, first + count)}


def send(api, to, body="Hello", method="SMS"):
    status, answer = api.graphql(SEND, {"input": {"to": to, "body": body, "deliveryMethod": method,
                                                  **({"subject": "Hi"} if method == "EMAIL" else {})}})
    assert status == 200, answer
    return answer


def error_type(answer):
    return answer["errors"][0]["errorType"] if answer.get("errors") else None


def literal_aliases(count: int) -> str:
    """Inline values, not variables: each field's event carries every variable of the request (as
    AppSync's does), which for 500 aliases makes the local mode's copying quadratic."""
    fields = " ".join(f'm{n}: sendMessage(input: {{to: "alias{n}@example.com", subject: "Hi", body: "Hello", '
                      f'deliveryMethod: EMAIL}}){{ id }}' for n in range(count))
    return f"mutation {{ {fields} }}"


def test_500_aliased_sends_in_one_request_send_exactly_the_cap(api):
    _, sent_before = counts(api)
    status, body = api.graphql(literal_aliases(500))
    assert status == 200
    sent = [key for key, value in body["data"].items() if value is not None]
    assert len(sent) == 4
    errors = body["errors"]
    assert len(errors) == 496
    assert {tuple(e["path"]) for e in errors} | {(k,) for k in sent} == {(f"m{n}",) for n in range(500)}
    assert {e["errorType"] for e in errors} == {"LimitExceeded"}
    assert "per GraphQL request" in errors[0]["message"] and "another request" in errors[0]["message"]
    assert counts(api)[1] - sent_before == 4


def test_identical_and_any_texts_per_number_trip_at_their_limits(api):
    answers = [send(api, "+14155550100", "Your code is 1234") for _ in range(3)]
    assert [error_type(a) for a in answers] == [None, None, "TooManyRequests"]
    assert "at most 2 identical messages per hour" in answers[2]["errors"][0]["message"]
    assert "retry after" in answers[2]["errors"][0]["message"]
    others = [send(api, "+14155550100", f"Text {n}") for n in range(2)]
    assert [error_type(a) for a in others] == [None, "TooManyRequests"]
    assert "at most 3 messages per hour to one number" in others[1]["errors"][0]["message"]


def test_an_email_address_trips_at_its_hourly_limit_and_nothing_is_written(api):
    answers = [send(api, "limited@example.com", f"Mail {n}", "EMAIL") for n in range(2)]
    assert [error_type(a) for a in answers] == [None] * 2
    before = counts(api)
    refused = send(api, "limited@example.com", "Mail 3", "EMAIL")
    assert error_type(refused) == "TooManyRequests"
    assert refused["errors"][0]["errorInfo"]["retryAfterSeconds"] >= 1
    assert counts(api) == before, "a refused send writes nothing (no record, no counter) and sends nothing"


@pytest.mark.parametrize("number, why", [
    ("+449012345678", "premium rate numbers"),  # a UK premium-rate number
    ("+33612345678", "country calling code +33"),  # a French mobile: France is not in the list
])
def test_the_fraud_guard_refuses_before_anything_is_written(api, number, why):
    before = counts(api)
    answer = send(api, number, "Hello")
    assert error_type(answer) == "BadRequest"
    assert why in answer["errors"][0]["message"]
    assert answer["errors"][0]["errorInfo"] == {"field": "to"}
    assert counts(api) == before


def test_invisible_format_characters_are_refused_naming_the_field(api):
    before = counts(api)
    answer = send(api, "+14155550102", "Pay \u202eevil")
    assert error_type(answer) == "BadRequest" and answer["errors"][0]["errorInfo"] == {"field": "body"}
    assert counts(api) == before


def test_20_concurrent_clients_cannot_pass_the_daily_quota(api):
    """Whatever ran before, the day's quota is never exceeded: of 20 concurrent sends, exactly what is
    left of it is sent (the earlier tests of this module sent 9 of the 12)."""
    _, sent_before = counts(api)
    left = CONFIG["clientMessagesPerDay"] - sent_before
    assert 0 < left < 20
    answers: list[dict] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        status, body = api.graphql(aliased(n, 1), aliased_inputs(n, 1, "concurrent"))
        assert status == 200
        with lock:
            answers.append(body)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 20
    admitted = sum(1 for body in answers for value in body["data"].values() if value is not None)
    errors = [e for body in answers for e in body.get("errors", [])]
    assert admitted == left
    assert len(errors) == 20 - left
    assert {e["errorType"] for e in errors} == {"LimitExceeded"}
    assert all("per day for this client" in e["message"] for e in errors)
    assert counts(api)[1] - sent_before == left


def test_the_per_minute_limit_trips_at_its_number_and_resets_when_its_window_ends():
    """A client's per-minute window over the local mode's real clock: the third send of a minute is
    refused with the minute's end as retryAfter, and the same send after that time is accepted.
    (Hourly and daily windows reset the same way: tests/unit/test_limits.py, with an injected clock.)"""
    while dt.datetime.now(dt.UTC).second >= 50:  # both sends and the refusal fall in one minute
        time.sleep(0.5)
    local = start_local_mode(LOCAL_CONFIG=json.dumps({"clientMessagesPerMinute": 2}))
    try:
        assert [error_type(send(local, f"minute{n}@example.com", method="EMAIL")) for n in range(2)] == [None, None]
        refused = send(local, "minute2@example.com", method="EMAIL")
        assert error_type(refused) == "TooManyRequests"
        info = refused["errors"][0]["errorInfo"]
        assert info["limit"] == "at most 2 messages per minute for this client"
        retry_at = dt.datetime.fromisoformat(info["retryAfter"])
        assert retry_at.second == 0 and 0 < (retry_at - dt.datetime.now(dt.UTC)).total_seconds() <= 60
        assert len(local.outbox()) == 2
        time.sleep(max((retry_at - dt.datetime.now(dt.UTC)).total_seconds(), 0) + 0.2)
        assert error_type(send(local, "minute2@example.com", method="EMAIL")) is None
        assert len(local.outbox()) == 3
    finally:
        assert local.stop(signal.SIGINT) == 0


def test_a_batch_over_the_daily_quota_is_limit_exceeded_with_nothing_written(api):
    """A batch's rows count against the client's day (batches/logic.py): 13 rows never fit in 12."""
    before = counts(api)
    rows = [{"to": f"+1415555{i:04d}", "deliveryMethod": "SMS"} for i in range(CONFIG["clientMessagesPerDay"] + 1)]
    status, body = api.graphql("mutation($input: BatchInput!){ sendBatch(input: $input){ id status } }",
                               {"input": {"messages": rows, "body": "quota"}})
    [error] = body["errors"]
    assert error["errorType"] == "LimitExceeded" and "per day" in error["message"] and error["errorInfo"]["rows"] == 13
    assert body["data"]["sendBatch"] is None and counts(api) == before

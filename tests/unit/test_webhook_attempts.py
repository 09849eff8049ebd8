"""One webhook attempt as the worker decides it: what is posted, recorded, sent on or parked, for a
disabled, deleted, refused, early or recovering webhook. Over the fakes of test_webhooks.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace

import pytest

from messenger.messages import ulids
from messenger.webhooks import signing
from messenger.webhooks.delivery import Deliverer, attempt_id, delivery_body, iso, message_of
from messenger.webhooks.models import Delivery, Outcome, Webhook, WebhookEvent
from tests.unit.test_webhooks import PUBLIC, FakeQueue, FakeTable

NOW = 1000.0
EVENT = Delivery("w1", "msg_c_3", "MESSAGE_STATUS", {"type": "MESSAGE_STATUS", "data": {"id": "m1", "n": [1, 2]}},
                 attempt=2)


class RecordingTable(FakeTable):
    """Also remembers the recovery writes and can answer `failed` as the table would for a deleted hook."""

    def __init__(self, webhook, after_failure="same") -> None:
        super().__init__(webhook)
        self.recovered, self.after_failure = [], after_failure

    def delivered(self, webhook_id):
        self.recovered.append(webhook_id)

    def failed(self, webhook_id, now, disable_if_failing_since):
        return self.webhook if self.after_failure == "same" else None


class Posts:
    """The POSTs made (body and headers), answered in turn from `answers`."""

    def __init__(self) -> None:
        self.made, self.answers = [], []

    def __call__(self, url, host, address, port, body, headers, timeout):
        self.made.append((body, headers))
        self.sent_to = (url, host, address, port, timeout)
        return self.answers.pop(0)


def _hooked(allow_loopback=True, **changes):
    """A deliverer whose webhook has `changes`: it, its table, queue and posts."""
    hook = Webhook("w1", "http://127.0.0.1:9/h", (WebhookEvent.MESSAGE_STATUS,), "t", signing.new_secret())
    table, queue, posts = RecordingTable(replace(hook, **changes)), FakeQueue(), Posts()
    d = Deliverer(table, queue, posts, schedule=[5, 300, 1800, 7200, 18000, 36000], allow_loopback=allow_loopback,
                  timeout_seconds=5, disable_after_seconds=86400, now=lambda: NOW, resolve=PUBLIC)
    return d, table, queue, posts


def test_a_disabled_webhook_posts_nothing_records_why_and_parks_the_event_as_it_came():
    d, table, queue, posts = _hooked(disabled=True)
    assert d.attempt(EVENT) is None
    [attempt] = table.records
    assert (attempt.webhook_id, attempt.event_id, attempt.event_type, attempt.attempt, attempt.at, attempt.error,
            attempt.delivered, attempt.next_retry_at) == (
        "w1", "msg_c_3", "MESSAGE_STATUS", 2, "1970-01-01T00:16:40.000Z", "WebhookDisabled", False, None)
    assert (posts.made, queue.sent) == ([], [])
    assert queue.parked == [{"kind": "delivery", "webhook_id": "w1", "event_id": "msg_c_3", "event_type": "MESSAGE_STATUS",
                             "payload": EVENT.payload, "attempt": 2, "not_before": EVENT.not_before}]


def test_the_body_posted_is_the_compact_json_of_the_event_and_its_signature_covers_it():
    d, table, _, posts = _hooked(url="https://hooks.example.com:8443/h")
    posts.answers = [Outcome(http_status=204)]
    assert d.attempt(EVENT).delivered
    [(body, headers)] = posts.made
    assert body == b'{"type":"MESSAGE_STATUS","data":{"id":"m1","n":[1,2]}}'
    key = base64.b64decode(table.webhook.secret.removeprefix("whsec_"))
    signed = hmac.new(key, b"msg_c_3.1000." + body, hashlib.sha256).digest()  # id.timestamp.body
    assert (headers["webhook-id"], headers["webhook-timestamp"]) == ("msg_c_3", "1000")
    assert headers["webhook-signature"] == "v1," + base64.b64encode(signed).decode()
    assert posts.sent_to == ("https://hooks.example.com:8443/h", "hooks.example.com", "93.184.215.14", 8443, 5)
    assert [(a.http_status, a.delivered) for a in table.records] == [(204, True)]  # as recorded


def test_a_delivery_after_failures_clears_the_webhooks_failing_state_and_a_healthy_one_writes_nothing_more():
    d, table, _, posts = _hooked(failing_since="1970-01-01T00:00:01.000Z")
    posts.answers = [Outcome(http_status=200)]
    d.attempt(EVENT)
    assert table.recovered == ["w1"]
    d, table, _, posts = _hooked()
    posts.answers = [Outcome(http_status=200)]
    d.attempt(EVENT)
    assert table.recovered == []


def test_a_url_refused_at_sending_time_is_recorded_with_the_reason_and_not_retried():
    d, table, queue, posts = _hooked(allow_loopback=False, url="https://10.0.0.1/hook")
    outcome = d.attempt(EVENT)
    assert outcome.error == "Refused: host resolves to a private, loopback, link-local or metadata address"
    assert [a.error for a in table.records] == [outcome.error] and posts.made == []
    assert (queue.sent, queue.parked) == ([], [])


def test_a_failure_whose_webhook_was_deleted_meanwhile_still_schedules_the_retry():
    d, table, queue, posts = _hooked()
    table.after_failure = "deleted"
    posts.answers = [Outcome(http_status=503)]
    assert d.attempt(EVENT).http_status == 503
    [(body, delay)] = queue.sent
    assert (body["attempt"], delay) == (3, 300)


def test_the_last_retryable_failure_parks_the_event_as_it_came():
    d, _, queue, posts = _hooked()
    posts.answers = [Outcome(error="Timeout")]
    last = replace(EVENT, attempt=7)
    d.attempt(last)
    assert (queue.sent, queue.parked) == ([], [delivery_body(last)])


@pytest.mark.parametrize(("early_by", "wait"), [(120.0, 120), (0.4, 1), (2000.0, 900)])
def test_an_event_received_before_its_time_is_sent_on_for_the_rest_of_the_wait(early_by, wait):
    d, table, queue, posts = _hooked()
    early = replace(EVENT, not_before=NOW + early_by)
    assert d.attempt(early) is None
    assert (queue.sent, posts.made, table.records) == ([(delivery_body(early), wait)], [], [])


def test_an_event_due_this_very_moment_is_posted_now():
    d, _, queue, posts = _hooked()
    posts.answers = [Outcome(http_status=200)]
    assert d.attempt(replace(EVENT, not_before=NOW)).delivered and len(posts.made) == 1 and queue.sent == []


def test_an_attempt_id_sorts_by_its_time_and_two_of_one_moment_differ():
    first, second = attempt_id(1000.5), attempt_id(1000.5)
    assert ulids.milliseconds_of(first) == ulids.milliseconds_of(second) == 1_000_500 and first != second
    assert attempt_id(1000.499) < attempt_id(1000.501)


@pytest.mark.parametrize("payload", [None, [], "text", {"data": "x"}, {"data": {"to": "+254711000001"}}])
def test_an_event_that_names_no_message_has_no_subject_to_check_for_erasure(payload):
    assert message_of("MESSAGE_STATUS", payload) is None


@pytest.mark.parametrize(("epoch", "text"), [(0.0, "1970-01-01T00:00:00.000Z"), (1001.25, "1970-01-01T00:16:41.250Z"),
                                             (1000.6005, "1970-01-01T00:16:40.600Z"),  # cut, not rounded
                                             (1795428000.999, "2026-11-23T10:00:00.999Z")])
def test_attempt_times_are_written_to_the_millisecond(epoch, text):
    assert iso(epoch) == text

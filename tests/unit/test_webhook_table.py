"""The webhooks' records in the real table (moto): failing, recovering, being disabled and enabled again
(each with the subscriptions item kept in step), and the delivery attempts' lifetime."""

from __future__ import annotations

import time

import boto3
import pytest
from messenger.webhooks.dal import ATTEMPT_TTL_DAYS, WebhooksTable
from messenger.webhooks.models import Attempt, Webhook, WebhookEvent

from tests.support import table_items

T1, T2, T3 = "2026-11-23T12:00:00.000Z", "2026-11-23T13:00:00.000Z", "2026-11-24T13:00:00.000Z"


@pytest.fixture
def table(empty_moto_table):
    return WebhooksTable(boto3.client("dynamodb"), empty_moto_table)


def hook(webhook_id: str = "w1", events=(WebhookEvent.MESSAGE_STATUS,)) -> Webhook:
    return Webhook(webhook_id, "https://hooks.example.com/h", tuple(events), T1, "whsec_x")


def test_the_first_failure_is_kept_until_a_delivery_clears_it(table):
    table.add(hook())
    assert table.failed("w1", T1, "2026-11-22T12:00:00.000Z").failing_since == T1
    assert table.failed("w1", T2, "2026-11-22T12:00:00.000Z").failing_since == T1  # the first one stays
    table.delivered("w1")
    assert table.get("w1").failing_since is None
    assert table.failed("w1", T2, "2026-11-22T12:00:00.000Z").failing_since == T2


def test_failing_past_the_limit_disables_and_unsubscribes_and_enabling_undoes_both(table):
    table.add(hook())
    table.add(hook("w2", (WebhookEvent.MESSAGE_STATUS, WebhookEvent.BATCH_COMPLETED)))
    table.failed("w1", T1, "2026-11-22T12:00:00.000Z")
    disabled = table.failed("w1", T3, T2)  # failing since T1, before T2
    assert (disabled.disabled, disabled.disabled_at) == (True, T3)
    assert table.get("w1").disabled is True
    assert table.subscribed_event_types() == {"MESSAGE_STATUS", "BATCH_COMPLETED"}  # w2 still takes both
    table.delete("w2")
    assert table.subscribed_event_types() == frozenset()
    assert table.failed("w1", T3, T2).disabled is True  # disabling twice changes nothing
    enabled = table.enable("w1")
    assert (enabled.disabled, enabled.failing_since, enabled.disabled_at) == (False, None, None)
    assert (table.get("w1").disabled, table.get("w1").failing_since) == (False, None)
    assert table.subscribed_event_types() == {"MESSAGE_STATUS"}


def test_a_delivery_does_not_touch_a_disabled_webhook(table):
    table.add(hook())
    table.failed("w1", T1, T2)  # failing since T1 <= T2: disabled at once
    table.delivered("w1")
    assert (table.get("w1").disabled, table.get("w1").failing_since) == (True, T1)


def test_unknown_webhooks_change_nothing(table):
    assert table.enable("nope") is None and table.failed("nope", T1, T2) is None
    table.delivered("nope")
    assert table.delete("nope") is False and table_items(table._table) == []


def test_an_enable_racing_a_delete_answers_none(table, monkeypatch):
    table.add(hook())
    real_get = table.get

    def read_then_deleted(webhook_id):
        found = real_get(webhook_id)
        table.delete(webhook_id)
        return found

    monkeypatch.setattr(table, "get", read_then_deleted)
    assert table.enable("w1") is None
    assert table.subscribed_event_types() == frozenset()


def test_a_disable_racing_a_delete_answers_what_is_left(table, monkeypatch):
    table.add(hook())
    table.failed("w1", T1, "2026-11-22T12:00:00.000Z")
    real_update = table._update

    def failed_then_deleted(*args, **kwargs):
        answer = real_update(*args, **kwargs)
        table.delete("w1")
        return answer

    monkeypatch.setattr(table, "_update", failed_then_deleted)
    assert table.failed("w1", T3, T2) is None


def test_attempts_are_kept_for_thirty_days(table):
    before = int(time.time())
    table.record(Attempt("w1", "msg_1_1", "MESSAGE_STATUS", 1, T1, error="timeout", next_retry_at=T2), "A1")
    [item] = [i for i in table_items(table._table) if i["SK"]["S"].endswith("A1")]
    assert before + ATTEMPT_TTL_DAYS * 86_400 <= int(item["expiresAt"]["N"]) <= int(time.time()) + ATTEMPT_TTL_DAYS * 86_400
    assert ATTEMPT_TTL_DAYS == 30
    assert (item["error"]["S"], item["nextRetryAt"]["S"], "httpStatus" in item) == ("timeout", T2, False)
    [(attempt_id, attempt)] = table.attempts("w1", 10, None)[0]
    assert (attempt_id, attempt.error, attempt.http_status, attempt.delivered) == ("A1", "timeout", None, False)


def test_an_answered_attempt_reads_back_with_its_status(table):
    table.record(Attempt("w1", "msg_1_1", "MESSAGE_STATUS", 2, T1, http_status=204, delivered=True), "A2")
    [(attempt_id, attempt)] = table.attempts("w1", 10, None)[0]
    assert attempt == Attempt("w1", "msg_1_1", "MESSAGE_STATUS", 2, T1, http_status=204, delivered=True)

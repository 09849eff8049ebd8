"""The report URL's tokens during and after a rotation (delivery_reports/tokens.py)."""

import json

import pytest
from messenger.delivery_reports.logic import Report, same_number
from messenger.delivery_reports.tokens import accepted_tokens

NOW = "2026-11-23T12:00:00.000Z"


def rotation(**values):
    return json.dumps({"token": "new-token", "previous": "old-token", "previousValidUntil": NOW} | values)


def test_a_plain_secret_is_the_one_token():
    assert accepted_tokens(" plain-token\n", NOW) == ["plain-token"]
    assert accepted_tokens("  ", NOW) == []


def test_the_previous_token_is_accepted_until_the_grace_period_ends():
    assert accepted_tokens(rotation(previousValidUntil="2026-11-23T12:00:00.001Z"), NOW) == ["new-token", "old-token"]
    assert accepted_tokens(rotation(), NOW) == ["new-token"]  # the end itself is past
    assert accepted_tokens(rotation(previousValidUntil="2026-11-23T11:59:59.999Z"), NOW) == ["new-token"]


@pytest.mark.parametrize("secret", [
    "{not json", json.dumps(["new-token"]), json.dumps({"previous": "old-token"}), json.dumps({"token": ""}),
    json.dumps({"token": 5}),
])
def test_a_malformed_rotation_accepts_nothing(secret):
    assert accepted_tokens(secret, NOW) == []


@pytest.mark.parametrize("values", [{"previous": ""}, {"previous": None}, {"previousValidUntil": None},
                                    {"previous": 7}])
def test_an_incomplete_previous_is_ignored(values):
    assert accepted_tokens(rotation(**({"previousValidUntil": "2999-01-01T00:00:00.000Z"} | values)), NOW) == [
        "new-token"]


@pytest.mark.parametrize("phone, same", [("+254711000001", True), ("+254 711 000001", True),
                                         ("+254711000002", False), ("", False), (None, False), ("garbage", False)])
def test_a_report_matches_only_its_records_number(phone, same):
    assert same_number(Report("ATXid_1", "Success", None, phone), "+254711000001") is same


def test_any_non_empty_token_counts_even_one_character():
    assert accepted_tokens("z", NOW) == ["z"]
    one = json.dumps({"token": "n", "previous": "o", "previousValidUntil": "2999-01-01T00:00:00.000Z"})
    assert accepted_tokens(one, NOW) == ["n", "o"]

"""Proxy numbers and sessions in the real table (moto): the pool, one transaction per session with a
lock per participant, the TTL, closing once and releasing only the session's own locks."""

from __future__ import annotations

import boto3
import pytest
from messenger.proxy.dal import ProxyTable
from messenger.proxy.models import NO_EXPIRY, OPEN, ProxyNumber, ProxySession

from tests.support import table_items

NUMBER, ANN, BO, CY = "+254700000100", "+254711000001", "+254711000002", "+254711000003"
T1, T2, T3 = "2026-11-23T12:00:00.000Z", "2026-11-23T13:00:00.000Z", "2026-11-23T14:00:00.000Z"


@pytest.fixture
def table(empty_moto_table):
    return ProxyTable(boto3.client("dynamodb"), empty_moto_table)


def session(session_id: str, a: str = ANN, b: str = BO, until: str = T2) -> ProxySession:
    return ProxySession(session_id, a, b, NUMBER, "AFRICASTALKING", OPEN, T1, until)


def items(table) -> dict[str, dict]:
    return {item["SK"]["S"]: item for item in table_items(table._table)}


def test_a_number_joins_the_pool_once_and_leaves_it_once(table):
    assert table.add_number(ProxyNumber(NUMBER, "SNS", T1)) is True
    assert table.add_number(ProxyNumber(NUMBER, "AFRICASTALKING", T2)) is False
    assert table.get_number(NUMBER) == ProxyNumber(NUMBER, "SNS", T1)
    table.add_number(ProxyNumber("+254700000101", "AFRICASTALKING", T2))
    assert [n.number for n in table.numbers()] == [NUMBER, "+254700000101"]
    assert table.remove_number(NUMBER) is True and table.remove_number(NUMBER) is False
    assert table.get_number(NUMBER) is None


def test_a_session_is_found_from_either_participant_with_every_field(table):
    assert table.allocate(session("S1"), T1, 1795438800) is True
    for participant in (ANN, BO):
        assert table.session_of(NUMBER, participant) == session("S1")
    assert table.session_of(NUMBER, CY) is None and table.get_session("S2") is None
    stored = items(table)
    assert {sk: item["expiresAt"]["N"] for sk, item in stored.items()} == {
        "SESSION#S1": "1795438800", f"PROXYLOCK#{NUMBER}#{ANN}": "1795438800", f"PROXYLOCK#{NUMBER}#{BO}": "1795438800"}


def test_a_session_without_expiry_has_no_ttl(table):
    assert table.allocate(session("S1", until=NO_EXPIRY), T1, None) is True
    assert all("expiresAt" not in item for item in items(table).values())
    assert table.get_session("S1").expires_at == NO_EXPIRY


def test_a_participant_holding_the_number_refuses_a_second_session_until_the_first_ends(table):
    assert table.allocate(session("S1"), T1, None) is True
    assert table.allocate(session("S2", a=CY, b=BO), T1, None) is False  # BO holds the number
    assert table.get_session("S2") is None and table.session_of(NUMBER, CY) is None  # nothing half written
    assert table.allocate(session("S3", a=CY, b=BO, until=T3), T2, None) is True  # S1's locks ran out at T2
    assert table.session_of(NUMBER, BO).id == "S3" and table.session_of(NUMBER, ANN).id == "S1"


def test_a_session_id_is_written_once_even_for_other_participants(table):
    assert table.allocate(session("S1"), T1, None) is True
    assert table.allocate(session("S1", a=CY, b="+254711000004"), T1, None) is False
    assert table.get_session("S1") == session("S1")
    assert table.session_of(NUMBER, CY) is None  # its locks were not written either


def test_closing_happens_once_and_releases_only_the_sessions_own_locks(table):
    table.allocate(session("S1"), T1, None)
    closed = table.close(session("S1"), T2)
    assert (closed.id, closed.status) == ("S1", "CLOSED")
    assert table.close(session("S1"), T2) is None
    assert table.session_of(NUMBER, ANN) is None and table.session_of(NUMBER, BO) is None
    table.allocate(session("S2", until=T3), T2, None)
    table.close(session("S1"), T2)  # a stale close of S1 leaves S2's locks alone
    assert table.session_of(NUMBER, ANN).id == "S2"


def test_sessions_page_in_id_order(table):
    for n, (a, b) in enumerate([(ANN, BO), (CY, "+254711000004"), ("+254711000005", "+254711000006")]):
        table.allocate(session(f"S{n}", a=a, b=b), T1, None)
    first, more = table.page_sessions(2, None)
    assert [s.id for s in first] == ["S0", "S1"]
    rest, _ = table.page_sessions(2, "S1")
    assert [s.id for s in rest] == ["S2"]

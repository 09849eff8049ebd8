"""Proxy sessions: pool allocation under concurrent starts, relaying, expiry checked when relaying."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import boto3
import pytest

from messenger.inbound.models import InboundSms
from messenger.messages.models import Provider
from messenger.proxy.dal import ProxyTable
from messenger.proxy.logic import ProxyService
from messenger.proxy.models import OPEN, NoProxyNumberFree, ProxyNotFound, ProxyNumber
from tests.fakes import FixedClock


class AtomicTable:
    """The DAL's contract: `allocate` puts both participant locks and the session atomically, each lock only
    if it is absent or expired (as the conditional transaction does), here under a lock."""

    def __init__(self, numbers):
        self._numbers = [ProxyNumber(n, "SNS", "t") for n in numbers]
        self.locks, self.sessions = {}, {}
        self._mutex = threading.Lock()

    def numbers(self):
        return list(self._numbers)

    def get_number(self, number):
        return next((n for n in self._numbers if n.number == number), None)

    def allocate(self, session, now, expires_epoch):
        with self._mutex:
            keys = [(session.number, p) for p in (session.participant_a, session.participant_b)]
            if any(k in self.locks and self.locks[k][1] > now for k in keys):
                return False
            threading.Event().wait(0.001)  # widen the race window the conditions must close
            for k in keys:
                self.locks[k] = (session.id, session.expires_at)
            self.sessions[session.id] = session
            return True

    def session_of(self, number, participant):
        lock = self.locks.get((number, participant))
        return self.sessions.get(lock[0]) if lock else None


def service(table, sent, clock=None):
    counter = iter(range(10_000))
    return ProxyService(table, lambda args, origination: sent.append((args, origination)), clock or FixedClock(),
                        lambda: f"S{next(counter):05d}", at_country_codes=("254",), organisation="Org",
                        start_text="{organisation}: started", end_text="ended", no_session_text="{organisation}: none")


def test_concurrent_starts_never_give_one_participant_a_number_twice():
    pool = [f"+1415555{1000 + i}" for i in range(10)]
    table, sent = AtomicTable(pool), []
    proxy = service(table, sent)

    def start(i):
        try:
            return proxy.start({"participantA": "+14155550001", "participantB": f"+1415556{1000 + i}"})["number"]
        except NoProxyNumberFree:
            return None

    with ThreadPoolExecutor(max_workers=16) as workers:
        numbers = list(workers.map(start, range(16)))
    given = [n for n in numbers if n is not None]
    assert sorted(given) == sorted(pool)  # every number once, and only once, for the shared participant
    assert numbers.count(None) == 6
    assert len(sent) == 2 * len(given)  # a start text to both participants of each session


def test_relays_both_ways_from_the_pool_number_and_answers_strangers():
    table, sent = AtomicTable(["+14155551000"]), []
    proxy = service(table, sent)
    session = proxy.start({"participantA": "+14155550001", "participantB": "+14155550002"})
    sent.clear()

    def sms(sender, text, pid):
        return InboundSms(Provider.SNS, pid, sender, session["number"], text, "2026-11-23T12:00:00.000Z")

    assert proxy.relay(sms("+14155550001", "hi B", "1"), "m1") == session["id"]
    assert proxy.relay(sms("+14155550002", "hi A", "2"), "m2") == session["id"]
    assert proxy.relay(sms("+14155550003", "me?", "3"), "m3") is None  # the no-session text
    assert [(a["to"], a["body"], a["provider"], o, a["idempotencyKey"]) for a, o in sent] == [
        ("+14155550002", "hi B", "SNS", "+14155551000", "inbound-m1-relay"),  # a repeated callback relays once
        ("+14155550001", "hi A", "SNS", "+14155551000", "inbound-m2-relay"),
        ("+14155550003", "Org: none", "SNS", "+14155551000", "inbound-m3-no-session"),
    ]
    assert proxy.relay(InboundSms(Provider.SNS, "4", "+14155550001", "+19999999999", "x", "t"), "m4") is None


def test_an_expired_session_relays_nothing_even_before_the_ttl():
    table, sent = AtomicTable(["+14155551000"]), []
    proxy = service(table, sent)
    session = proxy.start({"participantA": "+14155550001", "participantB": "+14155550002", "expiresInMinutes": 5})
    sent.clear()
    stored = table.sessions[session["id"]]
    table.sessions[session["id"]] = replace(stored, expires_at="2026-11-23T11:00:00.000Z")  # past FixedClock's now
    proxy.relay(InboundSms(Provider.SNS, "1", "+14155550001", "+14155551000", "late", "t"), "m1")
    assert [a["body"] for a, _ in sent] == ["Org: none"]
    assert stored.status == OPEN


@pytest.mark.parametrize(("bad", "message"), [
    ("x", "input: is required"),
    ({"participantA": "+14155550001", "participantB": "+1 415 555 0001"}, "participantB: must differ from participantA"),
    ({"participantA": "+14155550001", "participantB": "+14155550002", "expiresInMinutes": 0}, "expiresInMinutes: 1 to 10080"),
    ({"participantA": "+14155550001", "participantB": "+14155550002", "expiresInMinutes": 10081}, "expiresInMinutes: 1 to 10080"),
    ({"participantA": "+14155550001", "participantB": "+14155550002", "expiresInMinutes": True}, "expiresInMinutes: 1 to 10080"),
    ({"participantB": "+14155550002"}, "participantA: is required"),
    ({"participantA": "+14155550001", "participantB": "  "}, "participantB: is required"),
    ({"participantA": "14155550001", "participantB": "+14155550002"},
     "participantA: a phone number must be in E.164 form: + and the country code"),
])
def test_bad_session_input_is_refused(bad, message):
    from messenger.core.errors import BadRequest

    sent = []
    with pytest.raises(BadRequest) as refused:
        service(AtomicTable(["+14155551000"]), sent).start(bad)
    assert str(refused.value) == message and sent == []


def test_a_pool_number_takes_its_provider_from_its_country_or_from_the_request():
    from messenger.core.errors import BadRequest
    from messenger.proxy.dal import ProxyTable
    from tests.support import moto_service

    with moto_service() as resources:
        import boto3

        proxy = service(ProxyTable(boto3.client("dynamodb"), resources.table_name), [])
        assert proxy.add_number({"number": "+254 700 000 100"}) == {
            "number": "+254700000100", "provider": "AFRICASTALKING", "addedAt": "2026-11-23T12:00:00.000Z"}
        assert proxy.add_number({"number": "+14155551000"})["provider"] == "SNS"
        assert proxy.add_number({"number": "+14155551001", "provider": "AFRICASTALKING"})["provider"] == "AFRICASTALKING"
        assert proxy.add_number({"number": "+254700000100", "provider": "SNS"})["provider"] == "AFRICASTALKING"  # kept
        for args, message in [({"number": "+14155551002", "provider": "SES"}, "provider: must be SNS or AFRICASTALKING"),
                              ({}, "number: is required"),
                              ({"number": "0700000100"}, "number: a phone number must be in E.164 form: + and the country code")]:
            with pytest.raises(BadRequest) as refused:
                proxy.add_number(args)
            assert str(refused.value) == message


@pytest.fixture
def real(empty_moto_table):
    """The service over the real data-access layer (on moto), with two pool numbers."""
    table = ProxyTable(boto3.client("dynamodb"), empty_moto_table)
    for number in ("+14155551000", "+14155551001"):
        table.add_number(ProxyNumber(number, "SNS", "2026-11-23T00:00:00.000Z"))
    sent = []
    return service(table, sent), table, sent


def test_ending_a_session_texts_both_participants_once_and_a_second_end_answers_it_closed(real):
    proxy, table, sent = real
    started = proxy.start({"participantA": "+14155550001", "participantB": "+14155550002"})
    sent.clear()
    ended = proxy.end({"id": started["id"]})
    assert (ended["id"], ended["status"]) == (started["id"], "CLOSED")
    assert [(args["to"], args["body"], args["idempotencyKey"], origination) for args, origination in sent] == [
        (p, "ended", f"proxy-{started['id']}-end-{p}", started["number"]) for p in ("+14155550001", "+14155550002")]
    again = proxy.end({"id": started["id"]})  # closed already: answered as it is, nobody texted again
    assert (again["id"], again["status"], len(sent)) == (started["id"], "CLOSED", 2)
    assert table.session_of(started["number"], "+14155550001") is None  # the participants are free again


@pytest.mark.parametrize("args", [{"id": "S99999"}, {"id": ""}, {}])
def test_ending_an_unknown_session_is_not_found_and_texts_nobody(real, args, monkeypatch):
    proxy, table, sent = real
    looked_up = []
    monkeypatch.setattr(table, "get_session", lambda session_id: looked_up.append(session_id))
    with pytest.raises(ProxyNotFound) as error:
        proxy.end(args)
    assert (error.value.message, sent, looked_up) == ("no such proxy session", [], [args.get("id", "")])


def test_sessions_are_paged_oldest_first_with_a_cursor_that_ends_on_the_last_page(real):
    proxy, _, _ = real
    ids = [proxy.start({"participantA": f"+1415555000{n}", "participantB": f"+1415555010{n}"})["id"]
           for n in range(5)]
    pages, after = [], None
    while len(pages) < 4:  # one more than it takes, should the cursor lead nowhere
        page = proxy.page({"first": 2, **({"after": after} if after else {})})
        pages.append([s["id"] for s in page["data"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    whole = proxy.page({"first": 5})
    assert ([s["id"] for s in whole["data"]], whole["pageInfo"]["hasNextPage"]) == (ids, False)


def test_a_page_of_sessions_cut_short_by_dynamodb_says_more_may_follow(real, monkeypatch):
    proxy, table, _ = real
    ids = [proxy.start({"participantA": f"+1415555000{n}", "participantB": f"+1415555010{n}"})["id"] for n in range(2)]
    read = table.page_sessions
    monkeypatch.setattr(table, "page_sessions", lambda limit, after: (read(limit, after)[0], True))  # 1 MB reached
    page = proxy.page({"first": 2})
    assert ([s["id"] for s in page["data"]], page["pageInfo"]["hasNextPage"]) == (ids, True)


def test_a_session_closed_by_another_call_meanwhile_is_answered_closed_and_texts_nobody_again(real, monkeypatch):
    proxy, table, sent = real
    started = proxy.start({"participantA": "+14155550001", "participantB": "+14155550002"})
    sent.clear()
    close = table.close

    def another_call_first(session, now):
        close(session, now)  # the other endProxySession's write
        return close(session, now)  # this one's: it finds the session closed

    monkeypatch.setattr(table, "close", another_call_first)
    ended = proxy.end({"id": started["id"]})
    assert (ended["id"], ended["status"], sent) == (started["id"], "CLOSED", [])


class RecordingTable(AtomicTable):
    """Also keeps the TTL epoch each allocation was given."""

    def __init__(self, numbers):
        super().__init__(numbers)
        self.ttls = []

    def allocate(self, session, now, expires_epoch):
        self.ttls.append(expires_epoch)
        return super().allocate(session, now, expires_epoch)


@pytest.mark.parametrize(("minutes", "expires_at"), [
    (1, "2026-11-23T12:01:00.000Z"), (10080, "2026-11-30T12:00:00.000Z"), (None, None)])
def test_a_session_expires_when_asked_and_its_items_a_day_later(minutes, expires_at):
    table, sent, clock = RecordingTable(["+14155551000"]), [], FixedClock()
    started = service(table, sent, clock).start(
        {"participantA": "+14155550001", "participantB": "+14155550002", **({"expiresInMinutes": minutes} if minutes else {})})
    assert started["expiresAt"] == expires_at
    assert table.ttls == [clock.epoch() + minutes * 60 + 86_400 if minutes else None]  # deleted by TTL after
    assert [(args["to"], args["idempotencyKey"]) for args, _ in sent] == [
        (p, f"proxy-{started['id']}-start-{p}") for p in ("+14155550001", "+14155550002")]


def test_a_start_with_every_pool_number_taken_for_a_participant_says_so():
    table, sent = AtomicTable(["+14155551000"]), []
    proxy = service(table, sent)
    proxy.start({"participantA": "+14155550001", "participantB": "+14155550002"})
    with pytest.raises(NoProxyNumberFree) as error:
        proxy.start({"participantA": "+14155550001", "participantB": "+14155550003"})
    assert (error.value.message, len(sent)) == ("no pool number is free for both participants", 2)

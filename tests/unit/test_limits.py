"""The limits: which counters a send takes, their windows, what a full one tells the client, and the
all-or-nothing store (in memory here with the table's semantics; over moto in test_limits_dal.py)."""

from types import SimpleNamespace

import pytest
from messenger.limits.logic import (
    EXPIRY_MARGIN_SECONDS,
    Limiter,
    counters_for,
    digest,
    refusal,
)
from messenger.limits.models import (
    ContendedCounters,
    LimitExceeded,
    SendFacts,
    TooManyRequests,
)

from tests.fakes import FixedClock

NOON = "2026-11-23T12:00:00.000Z"


def limits(**changes):
    values = {"messages_per_request": 3, "client_messages_per_minute": 5, "client_messages_per_day": 8,
                  "sms_identical_per_number_per_hour": 2, "sms_per_number_per_hour": 4, "emails_per_address_per_hour": 3}
    return SimpleNamespace(**(values | changes))


def sms(to="+14155550123", body="Hello", request_id=None, client_id="shop", test=False):
    return SendFacts(client_id=client_id, request_id=request_id, recipient=to, sms=True, body=body, test=test)


def email(to="user@example.com", body="Hello", request_id=None, client_id="shop"):
    return SendFacts(client_id=client_id, request_id=request_id, recipient=to, sms=False, body=body)


class MemoryCounters:
    """The table's semantics in memory: every counter with room for `amount`, then all + amount; else none moves."""

    def __init__(self, contended: int = 0) -> None:
        self.counts: dict[str, int] = {}
        self.expiry: dict[str, int] = {}
        self.contended = contended

    def consume(self, counters, amount=1):
        if self.contended:
            self.contended -= 1
            raise ContendedCounters()
        for index, counter in enumerate(counters):
            if self.counts.get(counter.key, 0) + amount > counter.limit:
                return index
        for counter in counters:
            self.counts[counter.key] = self.counts.get(counter.key, 0) + amount
            self.expiry[counter.key] = counter.expires_at
        return None


def limiter(clock=None, **changes):
    store = MemoryCounters()
    return Limiter(store, limits(**changes), clock or FixedClock(NOON)), store


def admitted(limiter_, facts, times):
    """How many of `times` identical sends the limiter lets through (the others must be refused)."""
    passed = 0
    for _ in range(times):
        try:
            limiter_.admit(facts)
            passed += 1
        except (TooManyRequests, LimitExceeded):
            pass
    return passed


def advance(clock, seconds):
    import datetime as dt

    clock.moment += dt.timedelta(seconds=seconds)


def test_an_sms_takes_client_minute_day_number_and_identical_text_counters():
    now = FixedClock(NOON).epoch()
    names = [c.name for c in counters_for(sms(request_id="r1"), limits(), now)]
    assert names == [
        "at most 3 messages per GraphQL request",
        "at most 5 messages per minute for this client",
        "at most 8 messages per day for this client",
        "at most 4 messages per hour to one number",
        "at most 2 identical messages per hour to one number",
    ]


def test_an_email_takes_the_address_counter_and_no_identical_text_counter():
    now = FixedClock(NOON).epoch()
    names = [c.name for c in counters_for(email(), limits(), now)]
    assert names == ["at most 5 messages per minute for this client", "at most 8 messages per day for this client",
                     "at most 3 messages per hour to one address"]


def test_a_test_send_counts_only_against_its_request():
    now = FixedClock(NOON).epoch()
    assert [c.limit for c in counters_for(sms(request_id="r", test=True), limits(), now)] == [3]
    assert counters_for(sms(test=True), limits(), now) == []


def test_windows_are_calendar_minute_hour_day_with_expiry_just_after():
    clock = FixedClock("2026-11-23T12:34:56.000Z")
    now = clock.epoch()
    minute, day, hour, text = counters_for(sms(), limits(), now)
    assert minute.resets_at == FixedClock("2026-11-23T12:35:00.000Z").epoch()
    assert hour.resets_at == FixedClock("2026-11-23T13:00:00.000Z").epoch()
    assert text.resets_at == hour.resets_at
    assert day.resets_at == FixedClock("2026-11-24T00:00:00.000Z").epoch()
    for counter in (minute, day, hour, text):
        assert counter.expires_at == counter.resets_at + EXPIRY_MARGIN_SECONDS == counter.resets_at + 60
    assert (minute.quota, day.quota, hour.quota, text.quota) == (False, True, False, False)


def test_the_last_second_of_a_window_and_the_first_of_the_next_are_different_counters():
    last = FixedClock("2026-11-23T12:00:59.000Z").epoch()
    minute_a = counters_for(sms(), limits(), last)[0]
    minute_b = counters_for(sms(), limits(), last + 1)[0]
    assert minute_a.key != minute_b.key
    assert counters_for(sms(), limits(), last - 59)[0].key == minute_a.key


def test_keys_hold_no_recipient_or_text_and_differ_per_client_recipient_and_text():
    now = FixedClock(NOON).epoch()
    keys = [c.key for c in counters_for(sms(body="secret code 123456", request_id="r"), limits(), now)]
    assert all("+1415" not in key and "secret" not in key and "shop" not in key for key in keys)
    other_number = [c.key for c in counters_for(sms(to="+14155550124", request_id="r"), limits(), now)]
    other_client = [c.key for c in counters_for(sms(client_id="bank", request_id="r"), limits(), now)]
    other_text = [c.key for c in counters_for(sms(body="Bye", request_id="r"), limits(), now)]
    assert keys[0] != other_client[0] and keys[1:3] != other_client[1:3]  # request and client keys
    assert keys[3] != other_number[3] and keys[3] == other_text[3]  # any text to the number
    assert keys[4] != other_text[4] and keys[4] != other_number[4]  # identical text
    assert digest("a", "bc") != digest("ab", "c")


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_client_minute_allows_exactly_its_limit(limit):
    limiter_, _ = limiter(client_messages_per_minute=limit, client_messages_per_day=100,
                          sms_per_number_per_hour=100, sms_identical_per_number_per_hour=100)
    passed = sum(admitted(limiter_, sms(to=f"+1415555{n:04d}"), 1) for n in range(limit + 3))
    assert passed == limit


def test_the_request_cap_allows_exactly_its_limit_then_limit_exceeded_without_a_retry_time():
    limiter_, _ = limiter(messages_per_request=3, sms_per_number_per_hour=100, sms_identical_per_number_per_hour=100)
    for n in range(3):
        limiter_.admit(sms(to=f"+1415555{n:04d}", request_id="req-1"))
    with pytest.raises(LimitExceeded) as refused:
        limiter_.admit(sms(to="+14155550099", request_id="req-1"))
    assert "per GraphQL request" in refused.value.message and "another request" in refused.value.message
    assert "retryAfter" not in refused.value.info
    limiter_.admit(sms(to="+14155550099", request_id="req-2"))  # another request has its own cap


def test_identical_texts_to_one_number_trip_before_any_texts():
    limiter_, _ = limiter()  # identical 2, any 4 per hour
    assert admitted(limiter_, sms(body="same"), 5) == 2
    assert admitted(limiter_, sms(body="other 1"), 1) == 1
    assert admitted(limiter_, sms(body="other 2"), 1) == 1
    with pytest.raises(TooManyRequests) as refused:
        limiter_.admit(sms(body="other 3"))
    assert refused.value.info["limit"] == "at most 4 messages per hour to one number"


def test_an_email_address_allows_exactly_its_hourly_limit():
    limiter_, _ = limiter(emails_per_address_per_hour=3, client_messages_per_minute=100, client_messages_per_day=100)
    assert admitted(limiter_, email(), 10) == 3
    assert admitted(limiter_, email(to="other@example.com"), 1) == 1


def test_the_daily_quota_is_limit_exceeded_and_says_when_the_day_resets():
    clock = FixedClock("2026-11-23T23:59:30.000Z")
    limiter_, _ = limiter(clock, client_messages_per_minute=100, client_messages_per_day=2)
    limiter_.admit(sms(to="+14155550001"))
    limiter_.admit(sms(to="+14155550002"))
    with pytest.raises(LimitExceeded) as refused:
        limiter_.admit(sms(to="+14155550003"))
    assert refused.value.error_type == "LimitExceeded"
    assert refused.value.info["retryAfter"] == "2026-11-24T00:00:00Z"
    assert refused.value.info["retryAfterSeconds"] == 30
    assert "retry after 2026-11-24T00:00:00Z (in 30 s)" in refused.value.message


def test_a_rate_is_too_many_requests_and_says_when_its_minute_ends():
    clock = FixedClock("2026-11-23T12:00:45.000Z")
    limiter_, _ = limiter(clock, client_messages_per_minute=1)
    limiter_.admit(sms(to="+14155550001"))
    with pytest.raises(TooManyRequests) as refused:
        limiter_.admit(sms(to="+14155550002"))
    assert refused.value.error_type == "TooManyRequests"
    assert refused.value.info == {"limit": "at most 1 messages per minute for this client", "max": 1,
                                  "retryAfter": "2026-11-23T12:01:00Z", "retryAfterSeconds": 15}


def test_limits_reset_when_their_window_ends():
    clock = FixedClock("2026-11-23T12:00:00.000Z")
    limiter_, _ = limiter(clock, client_messages_per_minute=2, client_messages_per_day=100,
                          sms_per_number_per_hour=100, sms_identical_per_number_per_hour=100)
    assert admitted(limiter_, sms(), 3) == 2
    advance(clock, 59)
    assert admitted(limiter_, sms(), 1) == 0  # still the same minute
    advance(clock, 1)
    assert admitted(limiter_, sms(), 3) == 2  # a new minute


def test_the_number_limit_resets_on_the_hour():
    clock = FixedClock("2026-11-23T12:59:59.000Z")
    limiter_, _ = limiter(clock, client_messages_per_minute=100, client_messages_per_day=100)
    assert admitted(limiter_, sms(body="x"), 3) == 2
    advance(clock, 1)
    assert admitted(limiter_, sms(body="x"), 3) == 2


def test_a_refused_send_consumes_no_other_counter():
    limiter_, store = limiter(client_messages_per_minute=100, client_messages_per_day=100)  # identical: 2
    assert admitted(limiter_, sms(body="same"), 10) == 2
    client_minute = counters_for(sms(), limits(), FixedClock(NOON).epoch())[0]
    assert store.counts[client_minute.key] == 2  # the 8 refused sends took nothing


def test_test_sends_do_not_consume_live_quota():
    limiter_, _ = limiter(client_messages_per_minute=1)
    assert admitted(limiter_, sms(test=True), 5) == 5
    assert admitted(limiter_, sms(), 1) == 1


def test_contended_counters_are_too_many_requests_retry_in_a_second():
    store = MemoryCounters(contended=1)
    limiter_ = Limiter(store, limits(), FixedClock(NOON))
    with pytest.raises(TooManyRequests) as refused:
        limiter_.admit(sms())
    assert refused.value.info["retryAfterSeconds"] == 1
    limiter_.admit(sms())


def test_a_retry_time_is_at_least_one_second():
    now = FixedClock(NOON).epoch()
    counter = counters_for(sms(), limits(), now)[0]
    assert refusal(counter, counter.resets_at).info["retryAfterSeconds"] == 1
    assert refusal(counter, counter.resets_at - 2).info["retryAfterSeconds"] == 2


def test_a_request_seen_at_its_cap_is_refused_from_memory_without_the_store():
    limiter_, store = limiter(messages_per_request=1)
    limiter_.refuse_known_full("shop", "req-1")  # not seen yet: nothing raised
    limiter_.admit(sms(request_id="req-1"))
    with pytest.raises(LimitExceeded):
        limiter_.admit(sms(to="+14155550199", request_id="req-1"))
    store.consume = None  # from here on the store must not be asked
    with pytest.raises(LimitExceeded) as refused:
        limiter_.refuse_known_full("shop", "req-1")
    assert refused.value.info == {"limit": "at most 1 messages per GraphQL request", "max": 1}
    limiter_.refuse_known_full("bank", "req-1")  # another client's request of that id
    limiter_.refuse_known_full("shop", "req-2")
    limiter_.refuse_known_full("shop", None)


def test_a_full_recipient_counter_does_not_mark_the_request_full():
    limiter_, _ = limiter(messages_per_request=10)  # identical texts: 2
    assert admitted(limiter_, sms(body="same", request_id="r"), 3) == 2
    limiter_.refuse_known_full("shop", "r")


def test_memory_of_full_requests_is_bounded(monkeypatch):
    monkeypatch.setattr("messenger.limits.logic.FULL_REQUESTS_REMEMBERED", 2)
    limiter_, _ = limiter(messages_per_request=1, client_messages_per_minute=100, client_messages_per_day=100,
                          sms_per_number_per_hour=100, sms_identical_per_number_per_hour=100)
    for request in ("a", "b", "c"):
        limiter_.admit(sms(request_id=request))
        with pytest.raises(LimitExceeded):
            limiter_.admit(sms(request_id=request))
    limiter_.refuse_known_full("shop", "a")  # forgotten: the oldest went first
    for request in ("b", "c"):
        with pytest.raises(LimitExceeded):
            limiter_.refuse_known_full("shop", request)


def test_a_request_counter_lives_an_hour_and_has_no_window():
    now = FixedClock(NOON).epoch()
    request = counters_for(sms(request_id="r"), limits(), now)[0]
    assert (request.resets_at, request.expires_at, request.quota) == (0, now + 3600, True)


class Refusing:
    def __init__(self):
        self.admitted = []

    def refuse_known_full(self, client_id, request_id):
        pass

    def admit(self, facts):
        self.admitted.append(facts)
        raise TooManyRequests("Too many requests: test", {"limit": "test"})


class Watching:
    """A suppression list that records whether it was asked."""

    def __init__(self):
        self.asked = []

    def get(self, recipient):
        self.asked.append(recipient)


def test_a_send_the_limits_refuse_reads_writes_and_sends_nothing():
    from messenger.core.clock import new_message_id
    from messenger.core.caller import Caller
    from messenger.core.settings import Settings
    from messenger.messages.models import Provider
    from messenger.sending.service import MessageService

    from stacks.config import config_from_context
    from stacks.domains.sending import SEND_SETTINGS
    from stacks.wiring import function_environment
    from tests.fakes import FakeChannel, FakeQueue, MemoryRepository

    settings = Settings.from_env({"TABLE_NAME": "t", **function_environment(config_from_context({}), SEND_SETTINGS)})
    repo, limits_, suppressions, sns = MemoryRepository(), Refusing(), Watching(), FakeChannel("sns")
    service = MessageService(repo, {Provider.SNS: sns}, FakeQueue(), settings, FixedClock(NOON), new_message_id,
                             suppressions=suppressions, limits=limits_)
    with pytest.raises(TooManyRequests):
        service.send({"to": "+1 415 555 0123", "body": "Hi", "deliveryMethod": "SMS"},
                     Caller("shop", frozenset({"SEND", "TEST"}), True), "r-1")
    assert limits_.admitted == [SendFacts(client_id="shop", request_id="r-1", recipient="+14155550123", sms=True,
                                          body="Hi", test=True)]
    assert suppressions.asked == [] and repo.records == {} and repo.calls == [] and sns.sent == []


def test_each_refusal_names_its_limit_and_when_the_same_send_can_succeed_in_words():
    """The message is what a client's developer reads: the limit hit, and the retry time and wait."""
    clock = FixedClock("2026-11-23T23:59:30.000Z")
    quota, _ = limiter(clock, client_messages_per_minute=100, client_messages_per_day=1)
    quota.admit(sms(to="+14155550001"))
    with pytest.raises(LimitExceeded) as refused:
        quota.admit(sms(to="+14155550002"))
    assert refused.value.message == ("Limit exceeded: at most 1 messages per day for this client; "
                                     "retry after 2026-11-24T00:00:00Z (in 30 s)")
    rate, _ = limiter(FixedClock("2026-11-23T12:00:45.000Z"), client_messages_per_minute=1)
    rate.admit(sms(to="+14155550001"))
    with pytest.raises(TooManyRequests) as refused:
        rate.admit(sms(to="+14155550002"))
    assert refused.value.message == ("Too many requests: at most 1 messages per minute for this client; "
                                     "retry after 2026-11-23T12:01:00Z (in 15 s)")
    cap, _ = limiter(messages_per_request=1)
    cap.admit(sms(request_id="req-1"))
    with pytest.raises(LimitExceeded) as refused:
        cap.admit(sms(to="+14155550199", request_id="req-1"))
    assert refused.value.message == ("Limit exceeded: at most 1 messages per GraphQL request; "
                                     "send the rest in another request")
    assert refused.value.info == {"limit": "at most 1 messages per GraphQL request", "max": 1}


def test_batch_rows_past_the_requests_cap_are_sent_in_another_request():
    limiter_, _ = limiter(client_messages_per_minute=5000, client_messages_per_day=5000)
    limiter_.admit_batch("shop", "req-1", 600)
    with pytest.raises(LimitExceeded) as refused:
        limiter_.admit_batch("shop", "req-1", 600)
    assert refused.value.message == ("Limit exceeded: at most 1000 batch rows per GraphQL request; these 600 rows "
                                     "would take this request's batches past it: send them in another request")
    assert refused.value.info == {"limit": "at most 1000 batch rows per GraphQL request", "max": 1000}
    limiter_.admit_batch("shop", "req-2", 600)


def test_batch_rows_over_a_window_say_when_to_retry_and_how_many_rows_were_refused():
    limiter_, _ = limiter(FixedClock("2026-11-23T12:00:45.000Z"), client_messages_per_minute=10,
                          client_messages_per_day=50)
    limiter_.admit_batch("shop", "r1", 8)
    with pytest.raises(TooManyRequests) as refused:
        limiter_.admit_batch("shop", "r2", 5)
    assert refused.value.info == {"limit": "at most 10 messages per minute for this client", "max": 10,
                                  "retryAfter": "2026-11-23T12:01:00Z", "retryAfterSeconds": 15, "rows": 5}


def test_an_upload_counts_against_the_day_only_not_the_minute():
    limiter_, _ = limiter(FixedClock("2026-11-23T12:00:45.000Z"), client_messages_per_minute=10,
                          client_messages_per_day=50)
    limiter_.admit_upload("shop", 30)  # three times the minute's limit at once
    with pytest.raises(LimitExceeded) as refused:
        limiter_.admit_upload("shop", 30)
    assert refused.value.info["limit"] == "at most 50 messages per day for this client"
    assert refused.value.info["rows"] == 30


def test_retry_times_are_utc_whatever_the_machines_time_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        test_a_rate_is_too_many_requests_and_says_when_its_minute_ends()
    finally:
        monkeypatch.undo()
        time.tzset()


def test_batch_counters_belong_to_their_client_and_a_request_counter_outlives_its_request():
    limiter_, store = limiter(client_messages_per_minute=5000, client_messages_per_day=700)
    limiter_.admit_batch("shop", "req-1", 600)
    limiter_.admit_batch("bank", "req-1", 600)  # the same request id from another client: its own rows
    limiter_.admit_upload("bank", 100)  # and its own day
    now = FixedClock(NOON).epoch()
    requests = [key for key in store.expiry if "request-rows" in key]
    assert len(requests) == 2 and all(store.expiry[key] >= now + 3600 for key in requests)  # kept an hour
    assert len(store.counts) == 6 and sorted(store.counts.values()) == [600, 600, 600, 600, 600, 700]


def test_a_batch_of_exactly_a_limit_fits_and_one_more_row_never_does():
    limiter_, _ = limiter(client_messages_per_minute=5000, client_messages_per_day=20)
    limiter_.admit_upload("shop", 20)
    other, _ = limiter(client_messages_per_minute=5000, client_messages_per_day=20)
    with pytest.raises(LimitExceeded) as refused:
        other.admit_upload("shop", 21)
    assert refused.value.message == ("Limit exceeded: at most 20 messages per day for this client; a batch of 21 "
                                     "rows can never fit in it: send it in smaller batches")
    assert refused.value.info == {"limit": "at most 20 messages per day for this client", "max": 20, "rows": 21}


def test_contended_batch_counters_are_too_many_requests_retry_in_a_second():
    store = MemoryCounters(contended=1)
    limiter_ = Limiter(store, limits(client_messages_per_minute=100, client_messages_per_day=100), FixedClock(NOON))
    with pytest.raises(TooManyRequests) as refused:
        limiter_.admit_batch("shop", "req-1", 3)
    assert refused.value.message == "Too many requests: other sends hold these counters; retry in 1 s"
    assert refused.value.info == {"limit": "contention", "retryAfterSeconds": 1}
    limiter_.admit_batch("shop", "req-1", 3)


def test_a_single_send_on_contended_counters_is_too_many_requests_and_counts_nothing():
    store = MemoryCounters(contended=1)
    limiter_ = Limiter(store, limits(), FixedClock(NOON))
    with pytest.raises(TooManyRequests) as refused:
        limiter_.admit(sms())
    assert (refused.value.message, refused.value.info) == (
        "Too many requests: other sends hold these counters; retry in 1 s", {"limit": "contention", "retryAfterSeconds": 1})
    assert store.counts == {}
    limiter_.admit(sms())
    assert set(store.counts.values()) == {1}

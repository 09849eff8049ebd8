"""Time as the records store it: UTC AWSDateTime with milliseconds, sorting as text the way it sorts as time."""

import datetime as dt
import re
import time

from messenger.core.clock import SystemClock, iso, new_message_id

AWS_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_a_moment_is_written_in_utc_with_milliseconds():
    moment = dt.datetime(2026, 11, 23, 15, 4, 5, 678_901, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert iso(moment) == "2026-11-23T12:04:05.678Z"
    assert iso(dt.datetime(2026, 1, 2, 3, 4, 5, 7_000, tzinfo=dt.timezone.utc)) == "2026-01-02T03:04:05.007Z"


def test_written_moments_sort_as_text_in_time_order():
    start = dt.datetime(2026, 11, 23, 23, 59, 59, 999_000, tzinfo=dt.timezone.utc)
    moments = [start + dt.timedelta(milliseconds=step) for step in (0, 1, 10, 1000, 86_400_000)]
    assert [iso(m) for m in moments] == sorted(iso(m) for m in moments)


def read(text: str) -> dt.datetime:
    assert AWS_DATETIME.match(text), text
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_system_clock_tells_the_current_utc_time():
    clock = SystemClock()
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    now = read(clock.now())
    assert before <= now <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    assert abs(clock.epoch() - time.time()) <= 1


def test_ago_is_that_many_seconds_before_now():
    clock = SystemClock()
    gap = read(clock.now()) - read(clock.ago(900))
    assert dt.timedelta(seconds=899) <= gap <= dt.timedelta(seconds=901)


def test_message_ids_are_ulids_that_sort_by_creation():
    first = new_message_id()
    time.sleep(0.002)
    second = new_message_id()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", first) and first < second


def test_the_written_time_is_utc_whatever_the_hosts_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        moment = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.timezone.utc)
        assert iso(moment) == "2026-11-23T12:00:00.000Z"
        assert abs(read(SystemClock().now()) - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=2)
    finally:
        monkeypatch.undo()
        time.tzset()

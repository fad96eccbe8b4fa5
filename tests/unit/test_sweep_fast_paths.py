"""The sweep's fast paths agree with the slow ones: ``fromisoformat`` with ``from_db``, and
"same time tomorrow" with ``next_occurrence`` wherever it applies (and it applies on
ordinary days, so the test is not vacuous)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.localtime import next_occurrence
from bot.domain.timefmt import from_db, to_db
from bot.schedule.sweep import latest_due, next_after, parse_instant, same_time_tomorrow
from bot.store.outbox import utc_text

ZONES = [
    "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
    "Pacific/Chatham", "Australia/Lord_Howe", "America/Santiago", "Pacific/Apia",
    "Asia/Tehran", "America/St_Johns", "Africa/Casablanca", "UTC", "Europe/Berlin",
]
instants = st.datetimes(
    min_value=datetime(2010, 1, 1), max_value=datetime(2035, 12, 31),
).map(lambda d: d.replace(tzinfo=UTC))
walls = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 29, 30, 45, 59]))
zones = st.sampled_from(ZONES).map(ZoneInfo)


@settings(max_examples=3000, deadline=None)
@given(zone=zones, wall=walls, start=instants)
def test_same_time_tomorrow_is_the_next_occurrence_wherever_it_applies(
    zone: ZoneInfo, wall: time, start: datetime
) -> None:
    due = next_occurrence(wall, zone, start)  # a real occurrence, as stored
    fast = same_time_tomorrow(wall, zone, due)
    slow = next_occurrence(wall, zone, due)
    if fast is not None:
        assert fast == slow
    assert next_after(wall, zone, due) == slow


@settings(max_examples=500, deadline=None)
@given(zone=zones, wall=walls, start=instants, days=st.integers(0, 5))
def test_the_catch_up_finds_the_same_occurrences_as_the_slow_path(
    zone: ZoneInfo, wall: time, start: datetime, days: int
) -> None:
    due = next_occurrence(wall, zone, start)
    now = due + timedelta(days=days, hours=3)
    latest, following = latest_due(wall, zone, due, now)
    expected = due
    while (step := next_occurrence(wall, zone, expected)) <= now:
        expected = step
    assert (latest, following) == (expected, next_occurrence(wall, zone, expected))


def test_the_fast_path_applies_on_ordinary_days_and_not_across_a_change() -> None:
    london = ZoneInfo("Europe/London")
    june = datetime(2026, 6, 10, 6, 30, tzinfo=UTC)  # 07:30 BST
    assert same_time_tomorrow(time(7, 30), london, june) == june + timedelta(days=1)
    spring = datetime(2026, 3, 28, 7, 30, tzinfo=UTC)  # the day before the clocks go forward
    assert same_time_tomorrow(time(7, 30), london, spring) is None
    assert next_after(time(7, 30), london, spring) == datetime(2026, 3, 29, 6, 30, tzinfo=UTC)
    gap = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 02:30 New York fired at 03:00 EDT
    assert same_time_tomorrow(time(2, 30), ZoneInfo("America/New_York"), gap) is None


@settings(max_examples=1000, deadline=None)
@given(instant=instants)
def test_stored_instants_read_and_write_the_same_fast_or_slow(instant: datetime) -> None:
    text = to_db(instant)
    assert parse_instant(text) == from_db(text)
    assert utc_text(instant) == text
    assert utc_text(instant.astimezone(ZoneInfo("Asia/Kolkata"))) == text

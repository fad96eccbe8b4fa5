"""Local wall-clock maths for reminders, across daylight-saving changes."""

from __future__ import annotations

from collections.abc import Set
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.localtime import (
    local_date,
    local_day_bounds,
    next_occurrence,
    parse_local_time,
    resolve_wall_time,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
CHATHAM = ZoneInfo("Pacific/Chatham")

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def chain(
    local_time: time,
    tz: tzinfo,
    start: datetime,
    until: datetime,
    days: Set[int] | None = None,
) -> list[datetime]:
    """Every occurrence after ``start`` up to ``until``, each computed from the previous one."""
    fired: list[datetime] = []
    after = start
    while True:
        after = next_occurrence(local_time, tz, after, days)
        if after > until:
            return fired
        fired.append(after)


def local_start(d: date, tz: tzinfo) -> datetime:
    return local_day_bounds(d, tz)[0]


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((nxt - first).days)]


def wall(instant: datetime, tz: tzinfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


# (zone, year, month, whether the offset changes during that month)
MONTHS = [
    (LONDON, 2025, 3, True),
    (LONDON, 2025, 10, True),
    (NEW_YORK, 2025, 3, True),
    (NEW_YORK, 2025, 11, True),
    (SYDNEY, 2025, 4, True),
    (SYDNEY, 2025, 10, True),
    (CHATHAM, 2025, 4, True),
    (CHATHAM, 2025, 9, True),
    (KOLKATA, 2025, 3, False),
    (KOLKATA, 2024, 2, False),  # a leap February
]


@pytest.mark.parametrize(("tz", "year", "month", "changes"), MONTHS, ids=repr)
def test_daily_0730_fires_once_every_local_day_across_dst(
    tz: ZoneInfo, year: int, month: int, changes: bool
) -> None:
    days = month_days(year, month)
    start = local_start(days[0], tz)
    end = local_day_bounds(days[-1], tz)[1]
    # The month really contains a change of offset (or, for Kolkata, really does not).
    assert (start.astimezone(tz).utcoffset() != end.astimezone(tz).utcoffset()) is changes

    fired = chain(time(7, 30), tz, start, end)

    assert [local_date(f, tz) for f in fired] == days
    assert all(wall(f, tz).time() == time(7, 30) for f in fired)
    assert all(a < b for a, b in pairwise(fired))
    assert all(f.tzinfo is UTC for f in fired)


def test_spring_forward_new_york_0230_fires_at_0300_once() -> None:
    fired = chain(
        time(2, 30),
        NEW_YORK,
        datetime(2025, 3, 7, 12, tzinfo=UTC),
        datetime(2025, 3, 11, 12, tzinfo=UTC),
    )
    assert [wall(f, NEW_YORK) for f in fired] == [
        datetime(2025, 3, 8, 2, 30),
        datetime(2025, 3, 9, 3, 0),  # 02:00-02:59 does not exist that day
        datetime(2025, 3, 10, 2, 30),
        datetime(2025, 3, 11, 2, 30),
    ]
    assert fired[1] == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("minute", [0, 1, 30, 59])
def test_spring_forward_every_minute_of_the_gap_goes_to_the_end_of_the_gap(minute: int) -> None:
    got = next_occurrence(time(2, minute), NEW_YORK, datetime(2025, 3, 9, 5, tzinfo=UTC))
    assert wall(got, NEW_YORK) == datetime(2025, 3, 9, 3, 0)


def test_fall_back_new_york_0130_fires_once_at_the_first_occurrence() -> None:
    fired = chain(
        time(1, 30),
        NEW_YORK,
        datetime(2025, 11, 1, 12, tzinfo=UTC),
        datetime(2025, 11, 3, 12, tzinfo=UTC),
    )
    assert fired == [
        datetime(2025, 11, 2, 5, 30, tzinfo=UTC),  # 01:30 EDT
        datetime(2025, 11, 3, 6, 30, tzinfo=UTC),  # 01:30 EST, the next day
    ]
    first = fired[0].astimezone(NEW_YORK)
    assert first.utcoffset() == timedelta(hours=-4)
    assert first.fold == 0


def test_fall_back_asked_between_the_two_0130s_waits_for_tomorrow() -> None:
    # 01:45 EDT: the first 01:30 has passed, the second (01:30 EST, 06:30 UTC) is still ahead.
    after = datetime(2025, 11, 2, 5, 45, tzinfo=UTC)
    got = next_occurrence(time(1, 30), NEW_YORK, after)
    assert got == datetime(2025, 11, 3, 6, 30, tzinfo=UTC)


def test_fall_back_asked_before_the_first_0130_fires_at_the_first() -> None:
    after = datetime(2025, 11, 2, 5, 29, tzinfo=UTC)
    assert next_occurrence(time(1, 30), NEW_YORK, after) == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)


def test_london_spring_forward_and_fall_back() -> None:
    spring = next_occurrence(time(1, 30), LONDON, datetime(2025, 3, 30, 0, tzinfo=UTC))
    assert wall(spring, LONDON) == datetime(2025, 3, 30, 2, 0)
    fired = chain(
        time(1, 30),
        LONDON,
        datetime(2025, 10, 25, 12, tzinfo=UTC),
        datetime(2025, 10, 27, 12, tzinfo=UTC),
    )
    assert [local_date(f, LONDON) for f in fired] == [date(2025, 10, 26), date(2025, 10, 27)]
    assert fired[0] == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 01:30 BST


class TestChatham:
    """+12:45 / +13:45; the clocks change at 02:45 standard time."""

    SPRING = date(2025, 9, 28)  # 02:45 +12:45 -> 03:45 +13:45
    AUTUMN = date(2025, 4, 6)  # 03:45 +13:45 -> 02:45 +12:45

    @pytest.mark.parametrize(
        ("asked", "expected", "offset"),
        [
            (time(2, 44), time(2, 44), timedelta(hours=12, minutes=45)),
            (time(2, 45), time(3, 45), timedelta(hours=13, minutes=45)),
            (time(3, 0), time(3, 45), timedelta(hours=13, minutes=45)),
            (time(3, 44), time(3, 45), timedelta(hours=13, minutes=45)),
            (time(3, 45), time(3, 45), timedelta(hours=13, minutes=45)),
        ],
    )
    def test_spring_forward(self, asked: time, expected: time, offset: timedelta) -> None:
        start = local_start(self.SPRING, CHATHAM)
        got = next_occurrence(asked, CHATHAM, start).astimezone(CHATHAM)
        assert (got.date(), got.time(), got.utcoffset()) == (self.SPRING, expected, offset)

    @pytest.mark.parametrize("asked", [time(2, 45), time(3, 0), time(3, 44)])
    def test_fall_back_fires_once_in_daylight_time(self, asked: time) -> None:
        start = local_start(self.AUTUMN, CHATHAM)
        fired = chain(asked, CHATHAM, start, local_day_bounds(self.AUTUMN, CHATHAM)[1])
        assert len(fired) == 1
        got = fired[0].astimezone(CHATHAM)
        assert got.time() == asked
        assert got.utcoffset() == timedelta(hours=13, minutes=45)

    @pytest.mark.parametrize("asked", [time(2, 45), time(3, 0)])
    @pytest.mark.parametrize("month", [4, 9])
    def test_edge_times_once_a_day_all_month(self, asked: time, month: int) -> None:
        days = month_days(2025, month)
        fired = chain(
            asked,
            CHATHAM,
            local_start(days[0], CHATHAM),
            local_day_bounds(days[-1], CHATHAM)[1],
        )
        assert [local_date(f, CHATHAM) for f in fired] == days
        for f in fired:
            shown = wall(f, CHATHAM).time()
            skipped = local_date(f, CHATHAM) == self.SPRING
            assert shown == (time(3, 45) if skipped else asked)


class TestSydney:
    def test_october_spring_forward(self) -> None:
        # 5 October 2025: 02:00 AEST -> 03:00 AEDT.
        got = next_occurrence(time(2, 30), SYDNEY, local_start(date(2025, 10, 5), SYDNEY))
        local = got.astimezone(SYDNEY)
        assert (local.date(), local.time()) == (date(2025, 10, 5), time(3, 0))
        assert local.utcoffset() == timedelta(hours=11)

    def test_april_fall_back_fires_once(self) -> None:
        # 6 April 2025: 03:00 AEDT -> 02:00 AEST; 02:30 happens twice.
        day = date(2025, 4, 6)
        fired = chain(
            time(2, 30), SYDNEY, local_start(day, SYDNEY), local_day_bounds(day, SYDNEY)[1]
        )
        assert len(fired) == 1
        assert fired[0].astimezone(SYDNEY).utcoffset() == timedelta(hours=11)

    def test_day_lengths(self) -> None:
        def hours(d: date) -> float:
            start, end = local_day_bounds(d, SYDNEY)
            return (end - start) / timedelta(hours=1)

        assert hours(date(2025, 10, 5)) == 23
        assert hours(date(2025, 4, 6)) == 25
        assert hours(date(2025, 6, 1)) == 24


def test_weekday_filter_mon_wed_fri_across_dst() -> None:
    days = month_days(2025, 3)  # London changes on Sunday 30 March
    fired = chain(
        time(7, 30),
        LONDON,
        local_start(days[0], LONDON),
        local_day_bounds(days[-1], LONDON)[1],
        frozenset({MON, WED, FRI}),
    )
    expected = [d for d in days if d.weekday() in {MON, WED, FRI}]
    assert [local_date(f, LONDON) for f in fired] == expected
    assert all(wall(f, LONDON).time() == time(7, 30) for f in fired)
    assert wall(fired[-1], LONDON) == datetime(2025, 3, 31, 7, 30)  # Monday, BST
    assert fired[-1] == datetime(2025, 3, 31, 6, 30, tzinfo=UTC)


def test_weekday_uses_the_local_date_not_the_utc_date() -> None:
    # 07:30 Monday in Sydney is Sunday evening in UTC.
    got = next_occurrence(
        time(7, 30), SYDNEY, datetime(2025, 6, 1, 0, tzinfo=UTC), frozenset({MON})
    )
    assert got == datetime(2025, 6, 1, 21, 30, tzinfo=UTC)
    assert got.astimezone(SYDNEY).weekday() == MON


def test_single_weekday_waits_a_week() -> None:
    monday_0730 = datetime(2025, 6, 2, 6, 30, tzinfo=UTC)  # London, BST
    assert next_occurrence(time(7, 30), LONDON, monday_0730, frozenset({MON})) == (
        monday_0730 + timedelta(days=7)
    )


def test_strictly_after() -> None:
    at = datetime(2025, 6, 2, 6, 30, tzinfo=UTC)  # 07:30 BST
    assert next_occurrence(time(7, 30), LONDON, at) == at + timedelta(days=1)
    assert next_occurrence(time(7, 30), LONDON, at - timedelta(microseconds=1)) == at


def test_after_in_another_zone_is_the_same_instant() -> None:
    utc = datetime(2025, 6, 2, 5, tzinfo=UTC)
    other = utc.astimezone(ZoneInfo("America/Los_Angeles"))
    assert next_occurrence(time(7, 30), KOLKATA, utc) == next_occurrence(
        time(7, 30), KOLKATA, other
    )


def test_kolkata_half_hour_offset() -> None:
    got = next_occurrence(time(7, 30), KOLKATA, datetime(2025, 1, 1, tzinfo=UTC))
    assert got == datetime(2025, 1, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "tz",
    [timezone(timedelta(hours=5, minutes=45)), timezone(timedelta(hours=-3, minutes=-30)), UTC],
    ids=str,
)
def test_fixed_offset_timezones(tz: timezone) -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    fired = chain(time(7, 30), tz, start, start + timedelta(days=10))
    assert len(fired) == 10
    assert all(wall(f, tz).time() == time(7, 30) for f in fired)
    assert all(b - a == timedelta(days=1) for a, b in pairwise(fired))


def test_etc_zone_sign() -> None:
    plus_two = ZoneInfo("Etc/GMT-2")  # POSIX sign: two hours ahead of UTC
    got = next_occurrence(time(7, 30), plus_two, datetime(2025, 1, 1, tzinfo=UTC))
    assert got == datetime(2025, 1, 1, 5, 30, tzinfo=UTC)


def test_a_day_the_zone_skipped_gets_no_occurrence() -> None:
    apia = ZoneInfo("Pacific/Apia")  # jumped from 29 to 31 December 2011
    fired = chain(
        time(7, 30),
        apia,
        datetime(2011, 12, 28, tzinfo=UTC),
        datetime(2012, 1, 2, tzinfo=UTC),
    )
    dates = [local_date(f, apia) for f in fired]
    assert date(2011, 12, 30) not in dates
    assert dates == sorted(set(dates))
    assert all(wall(f, apia).time() == time(7, 30) for f in fired)
    assert (
        local_day_bounds(date(2011, 12, 30), apia)[0]
        == local_day_bounds(date(2011, 12, 30), apia)[1]
    )


def test_seconds_in_the_wall_time_are_kept() -> None:
    got = next_occurrence(time(7, 30, 15), LONDON, datetime(2025, 1, 1, tzinfo=UTC))
    assert got == datetime(2025, 1, 1, 7, 30, 15, tzinfo=UTC)


def test_tzinfo_on_the_wall_time_is_ignored() -> None:
    got = next_occurrence(time(7, 30, tzinfo=KOLKATA), LONDON, datetime(2025, 1, 1, tzinfo=UTC))
    assert got == datetime(2025, 1, 1, 7, 30, tzinfo=UTC)


def test_rejects_naive_after() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(time(7, 30), LONDON, datetime(2025, 1, 1))


@pytest.mark.parametrize("days", [frozenset(), frozenset({7}), frozenset({-1, 2})], ids=repr)
def test_rejects_bad_weekdays(days: frozenset[int]) -> None:
    with pytest.raises(ValueError, match="weekday"):
        next_occurrence(time(7, 30), LONDON, datetime(2025, 1, 1, tzinfo=UTC), days)


class TestLocalDate:
    def test_the_local_date_can_differ_from_the_utc_date(self) -> None:
        instant = datetime(2025, 6, 1, 22, tzinfo=UTC)
        assert local_date(instant, SYDNEY) == date(2025, 6, 2)
        assert local_date(instant, NEW_YORK) == date(2025, 6, 1)
        assert local_date(instant, KOLKATA) == date(2025, 6, 2)

    def test_rejects_naive(self) -> None:
        with pytest.raises(ValueError):
            local_date(datetime(2025, 6, 1), LONDON)


class TestLocalDayBounds:
    def test_ordinary_day(self) -> None:
        assert local_day_bounds(date(2025, 6, 1), NEW_YORK) == (
            datetime(2025, 6, 1, 4, tzinfo=UTC),
            datetime(2025, 6, 2, 4, tzinfo=UTC),
        )

    @pytest.mark.parametrize(
        ("d", "hours"),
        [(date(2025, 3, 9), 23), (date(2025, 11, 2), 25), (date(2025, 7, 4), 24)],
    )
    def test_dst_days_are_23_or_25_hours(self, d: date, hours: int) -> None:
        start, end = local_day_bounds(d, NEW_YORK)
        assert end - start == timedelta(hours=hours)
        assert wall(start, NEW_YORK) == datetime.combine(d, time())
        assert wall(end, NEW_YORK) == datetime.combine(d + timedelta(days=1), time())

    def test_day_whose_midnight_does_not_exist_starts_at_one(self) -> None:
        sao_paulo = ZoneInfo("America/Sao_Paulo")  # 4 Nov 2018: 00:00 -> 01:00
        start, end = local_day_bounds(date(2018, 11, 4), sao_paulo)
        assert wall(start, sao_paulo) == datetime(2018, 11, 4, 1, 0)
        assert end - start == timedelta(hours=23)

    @pytest.mark.parametrize("tz", [LONDON, NEW_YORK, SYDNEY, KOLKATA, CHATHAM], ids=str)
    def test_days_tile_the_timeline(self, tz: ZoneInfo) -> None:
        d = date(2025, 1, 1)
        for _ in range(366):
            start, end = local_day_bounds(d, tz)
            assert start < end
            assert local_date(start, tz) == d
            assert local_date(end - timedelta(microseconds=1), tz) == d
            assert local_day_bounds(d + timedelta(days=1), tz)[0] == end
            d += timedelta(days=1)


class TestParseLocalTime:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("7", time(7)),
            ("07", time(7)),
            ("0", time(0)),
            ("7am", time(7)),
            ("7 AM", time(7)),
            ("7 a.m.", time(7)),
            ("7a", time(7)),
            ("07:30", time(7, 30)),
            ("7:30", time(7, 30)),
            ("7.30", time(7, 30)),
            ("7h30", time(7, 30)),
            ("7:30 pm", time(19, 30)),
            ("7:30PM", time(19, 30)),
            ("7.30 p.m.", time(19, 30)),
            ("19:30", time(19, 30)),
            ("1930", time(19, 30)),
            ("0730", time(7, 30)),
            ("730", time(7, 30)),
            ("noon", time(12)),
            ("Noon", time(12)),
            ("midday", time(12)),
            ("midnight", time(0)),
            ("12am", time(0)),
            ("12pm", time(12)),
            ("12:15 am", time(0, 15)),
            ("11:59 pm", time(23, 59)),
            ("23:59", time(23, 59)),
            ("00:00", time(0)),
            ("  6:05  ", time(6, 5)),
        ],
    )
    def test_valid(self, text: str, expected: time) -> None:
        assert parse_local_time(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "   ",
            "banana",
            "25:00",
            "24:00",
            "99",
            "7:60",
            "7:5",
            "13pm",
            "0am",
            "2500",
            "12345",
            "7:30:00",
            "-7",
            "7 banana",
            "am",
            "1" * 1000,
            "7:30 pm; drop table",
        ],
    )
    def test_nonsense(self, text: str) -> None:
        assert parse_local_time(text) is None

    @given(st.text(max_size=40))
    def test_never_raises(self, text: str) -> None:
        result = parse_local_time(text)
        assert result is None or isinstance(result, time)

    @given(st.integers(0, 23), st.integers(0, 59))
    def test_round_trips_24_hour_form(self, hour: int, minute: int) -> None:
        assert parse_local_time(f"{hour:02d}:{minute:02d}") == time(hour, minute)
        assert parse_local_time(f"{hour}.{minute:02d}") == time(hour, minute)


# --- property test ------------------------------------------------------------------------

PROPERTY_ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Australia/Lord_Howe",  # 30-minute daylight saving
    "America/Santiago",  # changes at midnight
    "America/Havana",  # changes at midnight (00:00 -> 01:00)
    "America/Sao_Paulo",  # changed at midnight until 2019
    "Europe/Dublin",  # negative DST in the tz database
    "Asia/Tehran",
    "UTC",
]


def _exists(d: date, t: time, tz: tzinfo) -> bool:
    naive = datetime.combine(d, t)
    back = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == naive


def check_chain(
    tz: tzinfo,
    wall_time: time,
    start: datetime,
    until: datetime,
    days: frozenset[int] | None,
) -> list[datetime]:
    """Check the reminder contract on the chain of occurrences from ``start`` to ``until``."""
    fired = chain(wall_time, tz, start, until, days)

    assert fired, "at least one occurrence"
    assert fired[0] > start
    assert fired[0] - start <= timedelta(days=8)
    assert all(a < b for a, b in pairwise(fired))

    dates = [local_date(f, tz) for f in fired]
    assert len(set(dates)) == len(dates), "at most one per local day"
    assert all(days is None or d.weekday() in days for d in dates)

    for f, d in zip(fired, dates, strict=True):
        target = datetime.combine(d, wall_time)
        shown = wall(f, tz)
        if _exists(d, wall_time, tz):
            assert shown == target
            assert f.astimezone(tz).fold == 0, "the first of two ambiguous occurrences"
        else:
            # Skipped that day: the first valid minute after the gap.
            assert target < shown <= target + timedelta(hours=3)
            assert wall(f - timedelta(minutes=1), tz) < target
            assert shown.second == 0

    # No allowed local day in between is missed while the wall time exists on it.
    d = dates[0]
    while d < dates[-1]:
        if (days is None or d.weekday() in days) and _exists(d, wall_time, tz):
            assert d in dates, f"missed {d}"
        d += timedelta(days=1)
    return fired


# Wall times near the usual transition hours are drawn more often.
WALL_TIMES = st.one_of(
    st.builds(time, st.integers(0, 3), st.sampled_from([0, 15, 29, 30, 44, 45, 59])),
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(PROPERTY_ZONES),
    wall_time=WALL_TIMES,
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    days=st.none() | st.frozensets(st.integers(0, 6), min_size=1),
)
def test_property_one_occurrence_per_allowed_local_day(
    zone: str, wall_time: time, start: datetime, days: frozenset[int] | None
) -> None:
    check_chain(ZoneInfo(zone), wall_time, start, start + timedelta(days=40), days)


def transitions(tz: tzinfo, year: int) -> list[datetime]:
    """The UTC hours in ``year`` at which the offset of ``tz`` changes."""
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    previous = instant.astimezone(tz).utcoffset()
    while instant.year == year:
        instant += timedelta(hours=1)
        offset = instant.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(instant)
            previous = offset
    return found


@pytest.mark.parametrize("zone", [z for z in PROPERTY_ZONES if z not in ("Asia/Kolkata", "UTC")])
def test_every_quarter_hour_around_every_transition(zone: str) -> None:
    tz = ZoneInfo(zone)
    changes = [t for year in (2018, 2025, 2026) for t in transitions(tz, year)]
    assert changes, f"{zone} should change offset in the sampled years"
    for change in changes:
        for minutes in range(0, 24 * 60, 15):
            wall_time = time(minutes // 60, minutes % 60)
            check_chain(tz, wall_time, change - timedelta(days=2), change + timedelta(days=2), None)


@settings(max_examples=100, deadline=None)
@given(
    zone=st.sampled_from(PROPERTY_ZONES),
    d=st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)),
    wall_time=st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
def test_property_resolve_wall_time(zone: str, d: date, wall_time: time) -> None:
    tz = ZoneInfo(zone)
    got = resolve_wall_time(d, wall_time, tz)
    target = datetime.combine(d, wall_time)
    if _exists(d, wall_time, tz):
        assert wall(got, tz) == target
    else:
        assert wall(got, tz) > target
        assert wall(got - timedelta(minutes=1), tz) < target

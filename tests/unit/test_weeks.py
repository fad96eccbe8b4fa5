"""Programme weeks, as the programme and the clinician's summary both count them."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.weeks import km_per_week, programme_week, sessions_per_week

START = date(2026, 3, 2)  # a Monday


def day(n: int) -> date:
    return START + timedelta(days=n)


def test_days_one_to_seven_are_week_one() -> None:
    assert [programme_week(START, day(n)) for n in (0, 6, 7, 13, 14, 42)] == [1, 1, 2, 2, 3, 7]
    assert programme_week(START, day(-3)) == 1  # before the start


def test_sessions_done_or_partly_done_count_in_their_week() -> None:
    sessions = {day(0): "done", day(1): "partial", day(2): "skipped", day(7): "done",
                day(20): "missed"}
    assert sessions_per_week(START, sessions) == {1: 2, 2: 1}


def test_a_run_counts_in_the_week_of_the_day_before_its_check_in() -> None:
    # check-in day -> km run the day before
    runs = {day(0): 3.0, day(1): 5.0, day(7): 4.0, day(8): 6.0, day(15): 2.5}
    # day 0's check-in logged a run before the programme began; day 7's a run on day 6
    assert km_per_week(START, runs) == {1: 9.0, 2: 6.0, 3: 2.5}

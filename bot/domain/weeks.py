"""Programme weeks (pure): which week of a runner's programme a day falls in, and the
sessions done in each week. The programme (its sessions, progress chart and reviews) and the
clinician's summary both count weeks this way; how many weeks the programme has is the
content's (``Programme.weeks``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

DONE = frozenset({"done", "partial"})  # session statuses that count as a session done


def programme_week(started_on: date, day: date) -> int:
    """The programme week (1-based) of ``day``: days 1-7 from the start are week 1 (a day
    before the start counts as week 1 too)."""
    return max(0, (day - started_on).days) // 7 + 1


def sessions_per_week(started_on: date, sessions: Mapping[date, str]) -> dict[int, int]:
    """Programme week -> sessions done or partly done in it (weeks without any left out)."""
    per_week: dict[int, int] = {}
    for day, status in sessions.items():
        if status in DONE:
            week = programme_week(started_on, day)
            per_week[week] = per_week.get(week, 0) + 1
    return per_week


def km_per_week(started_on: date, runs: Mapping[date, float]) -> dict[int, float]:
    """Programme week -> kilometres run in it. ``runs`` is the running log as the check-in
    keeps it: check-in day -> km run the day before, so a run counts in the week of the day
    before its check-in (the week the weekly running suggestion sums); runs before the
    programme's start are left out."""
    per_week: dict[int, float] = {}
    for checkin_day, km in runs.items():
        ran_on = checkin_day - timedelta(days=1)
        if ran_on >= started_on:
            week = programme_week(started_on, ran_on)
            per_week[week] = per_week.get(week, 0.0) + km
    return per_week

"""The data points of the charts (no matplotlib: the engine imports these at start-up)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DayPoint:
    """One local day: the worst pain reported that day (0-10), None when there was no check-in."""

    date: dt.date
    worst_pain: int | None


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One programme week (1-based) and how many sessions were done in it."""

    week: int
    sessions_done: int


@dataclass(frozen=True, slots=True)
class WeekValue:
    """One programme week and a measure taken in it: a function check's total (week 0: the
    check at the start) or the kilometres run that week (weeks from 1)."""

    week: int
    value: float

"""Local wall-clock maths for reminders: pure functions, zoneinfo only.

Every instant that goes in or comes out is timezone-aware; instants that come out are in UTC.
The time zone may be any ``tzinfo`` that follows PEP 495 (a ``zoneinfo.ZoneInfo`` or a fixed
``datetime.timezone``); pytz zones are not supported.

Daylight-saving rules (see ``docs/DESIGN.md``, the daily reminder flow):

* a wall time that does not exist on a spring-forward day fires at the first valid minute after
  the gap (02:30 in New York on the spring-forward day fires at 03:00 local);
* a wall time that happens twice on a fall-back day fires once, at the first occurrence;
* a local day never gets more than one occurrence: if the gap swallows the rest of the day (the
  first valid minute is on a later local date, as when Samoa skipped 30 December 2011), that
  day has no occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Set
from datetime import UTC, date, datetime, time, timedelta, tzinfo

__all__ = [
    "local_date",
    "local_day_bounds",
    "next_occurrence",
    "parse_local_time",
    "resolve_wall_time",
]

_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
# A reminder allowed on at least one weekday fires within 7 local days; the extra days cover
# calendars where a zone skips a date or the gap swallows a day.
_SCAN_DAYS = 16


def _require_aware(instant: datetime, what: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


def _wall(instant: datetime) -> datetime:
    """The naive wall-clock reading of an aware datetime (fold dropped)."""
    return instant.replace(tzinfo=None, fold=0)


def resolve_wall_time(day: date, local_time: time, tz: tzinfo) -> datetime:
    """The UTC instant at which the wall clock in ``tz`` first shows ``local_time`` on ``day``.

    An ambiguous wall time (fall-back) resolves to its first occurrence. A wall time inside a
    spring-forward gap resolves to the first valid whole minute after the gap, which may fall on
    a later local date when the gap crosses midnight.
    """
    naive = datetime.combine(day, local_time.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first.astimezone(tz)) == naive:
        return first
    # ``naive`` is in a gap. fold=0 reads it with the offset in force before the transition,
    # fold=1 with the offset after it; the transition instant lies between the two readings.
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(first, second), max(first, second)
    if not _wall(lo.astimezone(tz)) < naive <= _wall(hi.astimezone(tz)):
        # Not the usual shape of a gap (a tzinfo with odd fold handling): widen the search.
        lo, hi = first - timedelta(days=2), first + timedelta(days=2)
    # Invariant: wall(lo) < naive <= wall(hi). Find the first whole second whose wall time
    # reaches ``naive``; offsets and transitions are whole seconds.
    lo = lo.replace(microsecond=0)
    if hi.microsecond:
        hi = hi.replace(microsecond=0) + _SECOND
    while hi - lo > _SECOND:
        mid = lo + _SECOND * ((hi - lo) // _SECOND // 2)
        if _wall(mid.astimezone(tz)) >= naive:
            hi = mid
        else:
            lo = mid
    wall = _wall(hi.astimezone(tz))
    if wall.second or wall.microsecond:  # round up to the next whole local minute
        hi += _MINUTE - timedelta(seconds=wall.second, microseconds=wall.microsecond)
    return hi


def _check_days(days: Set[int] | None) -> None:
    if days is None:
        return
    if not days:
        raise ValueError("days must name at least one weekday (or be None for every day)")
    bad = [d for d in days if not isinstance(d, int) or not 0 <= d <= 6]
    if bad:
        raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {sorted(bad)!r}")


def next_occurrence(
    local_time: time,
    tz: tzinfo,
    after: datetime,
    days: Set[int] | None = None,
) -> datetime:
    """The first instant strictly after ``after`` at which ``tz`` shows ``local_time``.

    ``days`` limits the local weekdays (0 = Monday .. 6 = Sunday); None means every day.
    Returns an aware UTC datetime. Calling it again with the previous result as ``after`` gives
    one occurrence per allowed local day, across daylight-saving changes.
    """
    _require_aware(after, "after")
    _check_days(days)
    after_utc = after.astimezone(UTC)
    start = local_date(after_utc, tz) - timedelta(days=1)
    for offset in range(_SCAN_DAYS):
        day = start + timedelta(days=offset)
        if days is not None and day.weekday() not in days:
            continue
        candidate = resolve_wall_time(day, local_time, tz)
        if local_date(candidate, tz) != day:
            continue  # the gap swallowed the rest of this day: it gets no occurrence
        if candidate > after_utc:
            return candidate
    raise ValueError(  # pragma: no cover - only for a broken tzinfo
        f"no occurrence of {local_time} within {_SCAN_DAYS} days after {after_utc.isoformat()}"
    )


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The calendar date on the wall in ``tz`` at ``instant``."""
    _require_aware(instant, "instant")
    return instant.astimezone(tz).date()


def local_day_bounds(d: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants ``[start, end)`` of local day ``d`` in ``tz``.

    The day usually lasts 24 hours, 23 or 25 across a daylight-saving change; a day skipped by
    the zone has ``start == end``. A day whose midnight falls in a gap starts when the gap ends.
    """
    start = resolve_wall_time(d, time(0), tz)
    end = resolve_wall_time(d + timedelta(days=1), time(0), tz)
    return start, max(start, end)


_CLOCK = re.compile(
    r"""
    ^(?:
        (?P<h>[0-9]{1,2})(?:\s*[:.h]\s*(?P<m>[0-9]{2}))?   # 7, 07:30, 7.30, 7h30, 19:30
      | (?P<hhmm>[0-9]{3,4})                               # 730, 1930
    )
    \s*(?P<ampm>[ap])?
    $
    """,
    re.VERBOSE,
)
_WORDS = {"noon": time(12), "midday": time(12), "midnight": time(0)}


def parse_local_time(text: str) -> time | None:
    """Read a wall time the way people type it; None when it is not one.

    Accepts "7", "7am", "7 a.m.", "07:30", "7.30", "7h30", "7:30 pm", "19:30", "1930", "noon",
    "midnight". Hours are 0-23 in 24-hour form and 1-12 with am/pm.
    """
    if not isinstance(text, str) or len(text) > 32:
        return None
    cleaned = text.strip().lower().replace(".m.", "m").replace(".m", "m")
    if cleaned in _WORDS:
        return _WORDS[cleaned]
    if cleaned.endswith("m") and cleaned[-2:-1] in ("a", "p"):
        cleaned = cleaned[:-1]  # "7am" -> "7a"; the pattern reads a bare a/p
    match = _CLOCK.match(cleaned)
    if match is None:
        return None
    if match["hhmm"] is not None:
        hour, minute = int(match["hhmm"][:-2]), int(match["hhmm"][-2:])
    else:
        hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = match["ampm"]
    if ampm is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)

"""Simulated time: jump a FakeClock from one due instant to the next and tick at each, so a
six-week programme plays out in seconds exactly as it would in real time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.domain.clock import FakeClock
from bot.domain.timefmt import from_db, to_db
from bot.schedule.ticker import Ticker, TickResult

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


def parse_duration(text: str) -> timedelta | None:
    """'25h', '3d', '1d2h30m', '90m' -> timedelta; None for anything else."""
    match = _DURATION.match(text.lower())
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


async def advance(ticker: Ticker, clock: FakeClock, delta: timedelta) -> list[TickResult]:
    """Move the clock forward by ``delta``, stopping at every instant something is due."""
    target = clock.now() + delta
    results: list[TickResult] = []
    while True:
        upcoming = await _next_due(ticker, clock.now())
        if upcoming is None or upcoming > target:
            clock.set(target)
            results.append(await ticker.tick())
            return results
        clock.set(max(upcoming, clock.now()))
        results.append(await ticker.tick())


async def _next_due(ticker: Ticker, now: datetime) -> datetime | None:
    db = ticker.db
    after = to_db(now)
    candidates: list[str] = []
    for sql in (
        "SELECT min(next_due) FROM reminders WHERE active=1 AND next_due>?",
        "SELECT min(next_attempt) FROM outbox WHERE status IN ('pending','sending')"
        " AND next_attempt>?",
        "SELECT min(min(next_due, next_weekly)) FROM clubs WHERE active=1"
        " AND min(next_due, next_weekly)>?",
    ):
        row = await db.fetchone(sql, (after,))
        if row is not None and row[0] is not None:
            candidates.append(str(row[0]))
    return from_db(min(candidates)) if candidates else None

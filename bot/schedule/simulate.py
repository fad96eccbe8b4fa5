"""Simulated time: jump a FakeClock from one due instant to the next and tick at each, so a
six-week programme plays out in seconds exactly as it would in real time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.domain.clock import FakeClock
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
    """Move the clock forward by ``delta``, stopping at every instant something is due (and
    letting the inbox's lanes finish what each tick woke)."""
    target = clock.now() + delta
    results: list[TickResult] = []
    while True:
        upcoming = await _next_due(ticker, clock.now())
        if upcoming is None or upcoming > target:
            clock.set(target)
            results.append(await _tick(ticker))
            return results
        clock.set(max(upcoming, clock.now()))
        results.append(await _tick(ticker))


async def _tick(ticker: Ticker) -> TickResult:
    result = await ticker.tick()
    if ticker.inbox is not None:
        await ticker.inbox.idle()
    return result


async def _next_due(ticker: Ticker, now: datetime) -> datetime | None:
    return await ticker.next_event_after(now)

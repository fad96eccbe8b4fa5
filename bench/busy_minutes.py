"""What the busy-minute counts cost (issue 12, item 4), on a SQLite file or a PostgreSQL URL.

Seeds ``--runners`` people (default 100,000) with a reminder each: ``--peak`` (12,000) at
07:00 UTC, the rest spread over the day's minutes. Then times, best of ``--repeat`` (5):
the sweep's look-ahead as it runs in steady state (one newly counted minute: the peak
minute, and a quiet one), its first look at start (15 minutes at once), the sign-up
check (``due_by_time_of_day``: the chosen minute alone, then two hours around the peak,
each in three windows a day apart) and
``messages_per_reminder``; and prints the overfull-minute line the look-ahead logs.

    .venv/bin/python -m bench.busy_minutes [--db PATH_OR_URL] [--runners N] [--peak N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.seed import Runner, seed_runners
from bot.schedule.spread import BusyMinutes
from bot.store.backends import open_database
from bot.store.load import LoadStore

SEVEN = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def runners(count: int, peak: int) -> list[Runner]:
    out = []
    for n in range(count):  # the peak, then the others round the clock, a minute apart
        due = SEVEN if n < peak else SEVEN + timedelta(minutes=1 + (n * 7) % (24 * 60 - 1))
        out.append(Runner(n + 1, "telegram", due.strftime("%H:%M"), "UTC", due))
    return out


async def best(repeat: int, work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return min(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=None)
    parser.add_argument("--runners", type=int, default=100_000)
    parser.add_argument("--peak", type=int, default=12_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    target: str | Path = args.db or Path(tempfile.mkdtemp()) / "busy.db"
    await seed_runners(target, runners(args.runners, args.peak), SEVEN - timedelta(days=1))
    db = await open_database(target)
    load = LoadStore(db)
    try:
        def one_minute(at: datetime) -> Callable[[], Awaitable[object]]:
            return lambda: load.due_by_minute(at, at + timedelta(minutes=1))

        peak = await best(args.repeat, one_minute(SEVEN))
        quiet = await best(args.repeat, one_minute(SEVEN + timedelta(hours=3)))
        start = await best(args.repeat, lambda: load.due_by_minute(
            SEVEN - timedelta(minutes=10), SEVEN + timedelta(minutes=5)))
        chosen = await best(args.repeat, lambda: load.due_by_time_of_day(
            "telegram", SEVEN, SEVEN))
        quiet_chosen = await best(args.repeat, lambda: load.due_by_time_of_day(
            "telegram", SEVEN + timedelta(hours=3), SEVEN + timedelta(hours=3)))
        signup = await best(args.repeat, lambda: load.due_by_time_of_day(
            "telegram", SEVEN - timedelta(hours=1), SEVEN + timedelta(hours=1)))
        per = await best(args.repeat, lambda: load.messages_per_reminder("telegram"))
        print(f"{args.runners:,} reminders, {args.peak:,} at 07:00 UTC ({db.dialect})")
        print(f"look-ahead, one new minute (the peak): {peak * 1000:.1f} ms")
        print(f"look-ahead, one new minute (quiet):    {quiet * 1000:.1f} ms")
        print(f"look-ahead at start (15 minutes):      {start * 1000:.1f} ms")
        print(f"sign-up check, the peak minute alone:  {chosen * 1000:.1f} ms")
        print(f"sign-up check, a quiet minute alone:   {quiet_chosen * 1000:.1f} ms")
        print(f"sign-up check, 2 h around the peak:    {signup * 1000:.1f} ms")
        print(f"messages per reminder (500 newest):    {per * 1000:.1f} ms")
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        busy = BusyMinutes(load, {"telegram": 30.0})
        await busy.look(SEVEN - timedelta(minutes=5), SEVEN - timedelta(minutes=5))
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())

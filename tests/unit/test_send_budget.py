"""Telegram's 30 messages a second are the bot's: processes on one PostgreSQL draw every
start from one budget in the database (``send_budget``, migration 011), and a reply to
someone who just wrote is promised the next start ahead of the reminders. Three pools on
one database stand for three processes; time is a ``FakeClock``'s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.clock import FakeClock
from bot.domain.send_budget import BULK_AHEAD, MemorySendBudget, SendSlot
from bot.engine.ports import SendBudget
from bot.store.postgres import PostgresDatabase
from bot.store.send_budget import SharedSendBudget, shared_send_budget
from bot.store.sqlite import SQLiteDatabase
from tests.support.postgres import PostgresServer, processes_on_one_database

RATE = 30.0
INTERVAL = 1 / RATE
SECONDS = 10.0
TOLERANCE = 1e-6  # the clocks count microseconds


def about(seconds: float | list[float]) -> object:
    """Equal to within 10 us (instants are seconds since the epoch in a double: its last
    digit is a few tenths of a microsecond)."""
    return pytest.approx(seconds, abs=1e-5)


@pytest.fixture
async def processes(postgres: PostgresServer) -> AsyncIterator[list[PostgresDatabase]]:
    """Three pools on one database: what three `kneecoach run` processes hold."""
    async with processes_on_one_database(postgres) as pools:
        yield pools


def shared(pools: Sequence[PostgresDatabase]) -> list[SendBudget]:
    return [SharedSendBudget(pool, "telegram", RATE) for pool in pools]


@dataclass(slots=True)
class Taker:
    """One sender of reminders that takes again as soon as it is let."""

    budget: SendBudget
    wake: datetime
    granted: int = 0


@dataclass(slots=True)
class Run:
    bulk: int  # reminders granted
    reply_waits: list[float]  # how long each reply was told to wait for its start


async def saturate(budgets: Sequence[SendBudget], clock: FakeClock, *, takers_each: int = 2,
                   replies: Sequence[float] = ()) -> Run:
    """Every budget's takers ask for reminders as fast as they are let for SECONDS of
    simulated time (a granted one asks again once its start came, a refused one when it
    was told), all of them at once (their statements meet at the database); a reply is
    asked for at each of ``replies`` (seconds from the start), by the budgets in turn."""
    start = clock.now()
    end = start + timedelta(seconds=SECONDS)
    takers = [Taker(b, start) for b in budgets for _ in range(takers_each)]
    pending = sorted(start + timedelta(seconds=r) for r in replies)
    waits: list[float] = []
    while True:
        now = clock.now()
        due = [t for t in takers if t.wake <= now]
        asking: list[asyncio.Future[SendSlot]] = [
            asyncio.ensure_future(t.budget.take(now, replying=False)) for t in due]
        replying = None
        if pending and pending[0] <= now:
            pending.pop(0)
            replying = asyncio.ensure_future(
                budgets[len(waits) % len(budgets)].take(now, replying=True))
        results = await asyncio.gather(*asking)
        if replying is not None:
            slot = await replying
            assert slot.granted
            waits.append(slot.wait)
        for taker, slot in zip(due, results, strict=True):
            taker.granted += slot.granted
            assert slot.wait > 0 or slot.granted
            taker.wake = now + timedelta(seconds=slot.wait)
        soonest = min([t.wake for t in takers] + pending[:1])
        if soonest >= end:
            return Run(sum(t.granted for t in takers), waits)
        if soonest > now:
            clock.set(soonest)


async def test_three_processes_together_send_no_more_than_the_bots_rate(
    processes: list[PostgresDatabase], clock: FakeClock
) -> None:
    run = await saturate(shared(processes), clock)
    # one start every 1/30 s from the first: 300 in 10 s (at most one more, rounding)
    assert 295 <= run.bulk <= RATE * SECONDS + 1, run.bulk


async def test_a_budget_per_process_would_send_three_times_the_rate(clock: FakeClock) -> None:
    """What the test above rules out: each process pacing itself alone (the SQLite path's
    window, or this arithmetic kept in memory) lets three processes send about 900."""
    run = await saturate([MemorySendBudget(RATE) for _ in range(3)], clock)
    assert run.bulk >= 3 * 295, run.bulk


async def test_a_reply_is_promised_the_next_start_while_reminders_saturate(
    processes: list[PostgresDatabase], clock: FakeClock
) -> None:
    replies = [0.0123 + k * 0.25 for k in range(40)]  # someone writes four times a second
    run = await saturate(shared(processes), clock, replies=replies)
    assert len(run.reply_waits) == 40
    # each reply starts within about one interval (a reminder may have been granted its
    # start a few milliseconds ahead), though reminders were always waiting ...
    assert max(run.reply_waits) <= INTERVAL + BULK_AHEAD + TOLERANCE, run.reply_waits
    assert sum(w > 0 for w in run.reply_waits) >= 30  # (the budget was busy: not vacuous)
    # ... and its start was taken from the same budget: no more than 300 (+1) in all
    assert 295 <= run.bulk + len(run.reply_waits) <= RATE * SECONDS + 1, run.bulk


async def test_a_waiting_reminder_leaves_the_promised_starts_to_replies(
    processes: list[PostgresDatabase], clock: FakeClock
) -> None:
    a, b, c = shared(processes)
    now = clock.now()
    assert await a.take(now, replying=False) == SendSlot(True, 0.0)
    # three people write to three processes at once: the next three starts are theirs
    waits = [await budget.take(now, replying=True) for budget in (b, c, a)]
    assert all(w.granted for w in waits)
    assert [w.wait for w in waits] == about([INTERVAL, 2 * INTERVAL, 3 * INTERVAL])
    # a reminder takes nothing and is told to ask again just before the start after them
    refused = await c.take(now, replying=False)
    assert not refused.granted and refused.wait == about(4 * INTERVAL - BULK_AHEAD)
    later = now + timedelta(seconds=3 * INTERVAL)
    refused = await b.take(later, replying=False)
    assert not refused.granted and refused.wait == about(INTERVAL - BULK_AHEAD)
    # asked then, it is granted that start (a few milliseconds ahead: it waits for it)
    granted = await b.take(later + timedelta(seconds=refused.wait), replying=False)
    assert granted.granted and granted.wait == about(BULK_AHEAD)


async def test_the_budget_is_made_on_first_use(processes: list[PostgresDatabase],
                                               clock: FakeClock) -> None:
    budget = SharedSendBudget(processes[0], "telegram", RATE)
    assert await budget.next_at() is None
    assert await budget.take(clock.now(), replying=False) == SendSlot(True, 0.0)
    assert await budget.next_at() == about(clock.now().timestamp() + INTERVAL)
    other = SharedSendBudget(processes[1], "discord", RATE)  # a row per platform
    assert await other.take(clock.now(), replying=True) == SendSlot(True, 0.0)


async def test_a_process_whose_clock_is_behind_never_sets_the_budget_back(
    processes: list[PostgresDatabase], clock: FakeClock
) -> None:
    ahead, behind, _ = (SharedSendBudget(p, "telegram", RATE) for p in processes)
    now = clock.now()
    skew = timedelta(milliseconds=200)
    assert (await ahead.take(now + skew, replying=False)).granted
    first = await ahead.next_at()
    assert first is not None
    # behind by 200 ms, it sees the next start 200 ms later than the other does ...
    refused = await behind.take(now, replying=False)
    assert not refused.granted and refused.wait == about(0.2 + INTERVAL - BULK_AHEAD)
    assert await behind.next_at() == first  # (nothing taken)
    reply = await behind.take(now, replying=True)
    assert reply.granted and reply.wait == about(0.2 + INTERVAL)
    # ... and what it took comes after, never before, what the other had taken
    assert await behind.next_at() == about(first + INTERVAL)
    again = await ahead.take(now + skew, replying=False)
    assert not again.granted and again.wait == about(2 * INTERVAL - BULK_AHEAD)


async def test_a_grant_inside_a_turn_does_not_hold_the_other_processes(
    processes: list[PostgresDatabase], clock: FakeClock
) -> None:
    """The budget's statement commits at once, even when its task is in a transaction: the
    other processes never wait for someone's turn to end."""
    mine, other = (SharedSendBudget(p, "telegram", RATE) for p in processes[:2])
    now = clock.now()
    async with processes[0].turn("telegram:1") as tx:
        await tx.execute("SELECT 1")
        assert await mine.take(now, replying=True) == SendSlot(True, 0.0)
        slot = await asyncio.wait_for(other.take(now, replying=True), 10)
        assert slot.granted and slot.wait == about(INTERVAL)


async def test_only_postgresql_shares_a_budget(
    tmp_path: Path, processes: list[PostgresDatabase]
) -> None:
    assert isinstance(shared_send_budget(processes[0], "telegram", RATE), SharedSendBudget)
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    try:  # one process: the Telegram adapter's own window is the bot's
        assert shared_send_budget(db, "telegram", RATE) is None
        assert "send_budget" in await db.tables()  # (the schemas stay alike)
    finally:
        await db.close()

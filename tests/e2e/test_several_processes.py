"""Several processes on one PostgreSQL: the sweep's claim is shared out with no reminder
claimed twice and none lost, even when one process is killed (SIGKILL) in the middle of a
batch it holds locked."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.seed import Runner, seed_runners
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
RUNNERS = 1500
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
WITHIN = 120.0  # seconds any one process may take on the loaded box


class Claimer:
    """A ``tests/support/claimer.py`` process and what it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, url: str, *args: str) -> Claimer:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.claimer", url, NOW.isoformat(), *args,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "KNEECOACH_LOG_LEVEL": "WARNING"},
        )
        return cls(process)

    async def until(self, text: str) -> None:
        assert self.process.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.process.stdout.readline(), WITHIN)).decode()
            assert line, f"the process ended before {text!r}: {self.lines}"
            self.lines.append(line.strip())
            if line.strip() == text:
                return

    async def finish(self) -> int:
        """Its claims, once it has ended by itself."""
        assert self.process.stdout is not None
        out = await asyncio.wait_for(self.process.stdout.read(), WITHIN)
        self.lines += out.decode().split("\n")
        assert await self.process.wait() == 0, self.lines
        return self.claimed

    @property
    def claimed(self) -> int:
        return sum(int(line.split()[1]) for line in self.lines if line.startswith("claimed "))


async def due_runners(url: str) -> None:
    runners = [
        Runner(i, "telegram", "07:00", ZONES[i % len(ZONES)],
               NOW - timedelta(minutes=i % 50))
        for i in range(1, RUNNERS + 1)
    ]
    await seed_runners(url, runners, NOW - timedelta(days=1))


async def test_three_processes_claim_every_due_reminder_once_through_a_kill(
    postgres: PostgresServer,
) -> None:
    url = await postgres.new_database()
    await due_runners(url)

    # The victim commits one batch of 500, then freezes holding its next batch locked.
    victim = await Claimer.start(url, "--first", "500", "--stall-after", "100")
    try:
        await victim.until("stalled")
        assert victim.claimed == 500
        # Two more sweep meanwhile: they skip the victim's locked rows and share the rest.
        others = [await Claimer.start(url) for _ in range(2)]
        first_pass = sum(await asyncio.gather(*(c.finish() for c in others)))
        assert first_pass == RUNNERS - 500 - 500  # everything but the victim's two batches
        victim.process.kill()  # SIGKILL mid-transaction: its locks go with its connection
        await victim.process.wait()
        # The next tick, anywhere, takes the rows the victim held.
        after = await Claimer.start(url)
        recovered = await after.finish()
        assert recovered == 500
    finally:
        if victim.process.returncode is None:
            victim.process.kill()
            await victim.process.wait()

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT target, kind, local_date FROM outbox")
        still_due = await conn.fetchval(
            "SELECT count(*) FROM reminders WHERE active = 1 AND next_due <= $1",
            NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    finally:
        await conn.close()
    # No double claim (the claims add up to the runners exactly, each counted by the
    # process that committed it) and no loss (one message each, nothing left due).
    assert 500 + first_pass + recovered == RUNNERS
    assert len(rows) == RUNNERS
    assert {r["target"] for r in rows} == {f"u:{i}" for i in range(1, RUNNERS + 1)}
    assert still_due == 0

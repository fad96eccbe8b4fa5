"""Seeding a benchmark store directly: runners with a started programme and a reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.domain.timefmt import to_db
from bot.store.backends import open_database


@dataclass(frozen=True, slots=True)
class Runner:
    id: int
    platform: str
    local_time: str
    timezone: str
    next_due: datetime


async def seed_runners(
    path: Path | str, runners: list[Runner], created: datetime, *, offered: bool = False
) -> None:
    """One consenting person per runner, a programme started on 1 March, and a reminder;
    ``offered``: with the intake's outcome that lets the programme go ahead too (without
    it the coach composes no daily prompt: the claim benchmarks need none)."""
    db = await open_database(path)
    stamp = to_db(created)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (id, platform, platform_user_id, chat_id, created_at, consent_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(r.id, r.platform, str(r.id), str(r.id), stamp, stamp) for r in runners],
        )
        await conn.executemany(
            "INSERT INTO programmes (user_id, started_on, strength_days, updated_at)"
            " VALUES (?, '2026-03-01', '[0,2,4]', '2026-03-01T00:00:00Z')",
            [(r.id,) for r in runners],
        )
        await conn.executemany(
            "INSERT INTO reminders (user_id, local_time, timezone, next_due) VALUES (?, ?, ?, ?)",
            [(r.id, r.local_time, r.timezone, to_db(r.next_due)) for r in runners],
        )
        if offered:
            await conn.executemany(
                "INSERT INTO triage_results (user_id, at, outcome, signals)"
                " VALUES (?, ?, 'pfp_program', '[]')",
                [(r.id, stamp) for r in runners],
            )
    await db.close()

"""Filling a reminder minute fast: many people with a reminder due at one instant, written
in one transaction (executemany), on either backend. Counts only matter: every person is a
bare user row with a reminder."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from bot.domain.timefmt import to_db
from bot.store.database import Database

# Ids far above any the tests' own people get, so a crowd never takes one of theirs.
_IDS = itertools.count(5_000_000)


async def fill_minute(
    db: Database, due: datetime, count: int, *, platform: str = "telegram",
    local_time: str | None = None, timezone: str = "UTC",
) -> list[int]:
    """``count`` people on ``platform`` whose reminder is next due at ``due`` (its wall time
    in ``timezone``, by default the UTC time of ``due``). Returns their user ids."""
    ids = [next(_IDS) for _ in range(count)]
    wall = local_time or due.astimezone(UTC).strftime("%H:%M")
    stamp, next_due = to_db(due), to_db(due)
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO users (id, platform, platform_user_id, chat_id, created_at, consent_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(i, platform, f"crowd-{i}", f"crowd-{i}", stamp, stamp) for i in ids],
        )
        await tx.executemany(
            "INSERT INTO reminders (user_id, local_time, timezone, next_due) VALUES (?, ?, ?, ?)",
            [(i, wall, timezone, next_due) for i in ids],
        )
    return ids

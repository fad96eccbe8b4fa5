"""The sweep: in ONE transaction, turn every due reminder into an outbox row and move the
reminder on to its next local occurrence.

The unique key (target, kind, local date) means a sweep that runs twice, or a restart in the
middle, can never write the same day's message twice; advancing ``next_due`` in the same
transaction means a claimed reminder is never claimed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import lru_cache

from bot.domain.localtime import local_date, next_occurrence
from bot.domain.timefmt import from_db, to_db
from bot.schedule.timezones import zone_from_name
from bot.store.connection import Database

_zone = lru_cache(maxsize=4096)(zone_from_name)
_wall = lru_cache(maxsize=4096)(time.fromisoformat)


@dataclass(frozen=True, slots=True)
class SweepResult:
    claimed: int
    clubs: int


def latest_due(
    wall: time, zone: tzinfo, due: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """(the most recent occurrence at or before ``now``, the one after it).

    Usually that is simply ``due`` and its successor: one computation per reminder. After
    downtime, yesterday's stale reminder is not what anyone wants; today's (if on time) is.
    """
    following = next_occurrence(wall, zone, due)
    if following > now:
        return due, following
    latest = max(following, next_occurrence(wall, zone, now - timedelta(days=2)))
    while (following := next_occurrence(wall, zone, latest)) <= now:
        latest = following
    return latest, following


async def sweep(db: Database, now: datetime, limit: int = 50_000) -> SweepResult:
    now_text = to_db(now)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT user_id, local_time, timezone, next_due FROM reminders"
            " WHERE active=1 AND next_due<=? ORDER BY next_due LIMIT ?",
            (now_text, limit),
        )
        rows = list(await cursor.fetchall())
        outbox: list[tuple[object, ...]] = []
        advance: list[tuple[str, int]] = []
        for user_id, local_time, zone_name, due_text in rows:
            zone = _zone(zone_name)
            due, following = latest_due(_wall(local_time), zone, from_db(due_text), now)
            day = local_date(due, zone)
            outbox.append((f"u:{user_id}", user_id, "daily", day.isoformat(), to_db(due),
                           now_text))
            advance.append((to_db(following), user_id))
        await conn.executemany(
            "INSERT INTO outbox (target, user_id, kind, local_date, due_at, next_attempt)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            outbox,
        )
        await conn.executemany("UPDATE reminders SET next_due=? WHERE user_id=?", advance)

        cursor = await conn.execute(
            "SELECT id, local_time, timezone, next_due, next_weekly FROM clubs"
            " WHERE active=1 AND (next_due<=? OR next_weekly<=?)",
            (now_text, now_text),
        )
        clubs = list(await cursor.fetchall())
        for club_id, local_time, zone_name, due_text, weekly_text in clubs:
            zone = _zone(zone_name)
            for kind, column, text, step in (
                ("club_daily", "next_due", due_text, timedelta(0)),
                ("club_weekly", "next_weekly", weekly_text, timedelta(days=6)),
            ):
                if text > now_text:
                    continue
                due = from_db(text)
                await conn.execute(
                    "INSERT INTO outbox (target, club_id, kind, local_date, due_at, next_attempt)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (f"c:{club_id}", club_id, kind, local_date(due, zone).isoformat(), text,
                     now_text),
                )
                following = next_occurrence(_wall(local_time), zone, max(due, now) + step)
                await conn.execute(
                    f"UPDATE clubs SET {column}=? WHERE id=?", (to_db(following), club_id)
                )
    return SweepResult(claimed=len(rows), clubs=len(clubs))

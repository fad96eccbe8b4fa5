"""The sweep: in ONE transaction, turn every due reminder into an outbox row and move the
reminder on to its next local occurrence.

The unique key (target, kind, local date) means a sweep that runs twice, or a restart in the
middle, can never write the same day's message twice; advancing ``next_due`` in the same
transaction means a claimed reminder is never claimed again. The SQL is the outbox
repository's; the arithmetic of what falls due when is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from bot.domain.localtime import local_date, next_occurrence
from bot.domain.timefmt import from_db
from bot.domain.zones import zone_from_name
from bot.store.outbox import OutboxStore

_zone = lru_cache(maxsize=4096)(zone_from_name)
_wall = lru_cache(maxsize=4096)(time.fromisoformat)

WEEKLY_STEP = timedelta(days=6)  # a weekly post's next occurrence is at least six days on


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


def plan_reminder(
    local_time: str, zone_name: str, due_text: str, now: datetime
) -> tuple[date, datetime, datetime]:
    """A due reminder: (its local day, the occurrence to send, the next due instant)."""
    zone = _zone(zone_name)
    due, following = latest_due(_wall(local_time), zone, from_db(due_text), now)
    return local_date(due, zone), due, following


def plan_club(
    kind: str, local_time: str, zone_name: str, due_text: str, now: datetime
) -> tuple[date, datetime]:
    """A due club post: (its local day, the next due instant of that kind of post)."""
    zone = _zone(zone_name)
    due = from_db(due_text)
    step = WEEKLY_STEP if kind == "club_weekly" else timedelta(0)
    return local_date(due, zone), next_occurrence(_wall(local_time), zone, max(due, now) + step)


async def sweep(outbox: OutboxStore, now: datetime, limit: int = 50_000) -> SweepResult:
    claimed = await outbox.claim_due(now, plan_reminder, plan_club, limit)
    return SweepResult(claimed=claimed.reminders, clubs=claimed.clubs)

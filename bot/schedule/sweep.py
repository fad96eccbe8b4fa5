"""The sweep: turn due reminders into outbox rows and move each reminder on to its next local
occurrence, in small transactions that give the event loop back between them.

The unique key (target, kind, local date) means a sweep that runs twice, or a restart in the
middle, can never write the same day's message twice; advancing ``next_due`` in the same
transaction as the outbox rows means a claimed reminder is never claimed again. The SQL is
the outbox repository's; the arithmetic of what falls due when is here.

Claiming ahead: the sweep may claim what falls due up to ``ahead`` after now (the rows wait
in the outbox until their time: their ``next_attempt`` is their due instant), so the
delivery loop has them in hand the moment they fall due.

Speed: each row's stored instant is parsed with ``datetime.fromisoformat`` (about 50x faster
than ``strptime``), and the next occurrence takes the "same time tomorrow" fast path
(``same_time_tomorrow``) unless a daylight-saving change or a gap intervenes; a property
test holds the fast path to ``next_occurrence``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from bot.domain.localtime import local_date, next_occurrence
from bot.domain.zones import zone_from_name
from bot.store.outbox import OutboxStore

_zone = lru_cache(maxsize=4096)(zone_from_name)
_wall = lru_cache(maxsize=4096)(time.fromisoformat)

WEEKLY_STEP = timedelta(days=6)  # a weekly post's next occurrence is at least six days on
# Reminders claimed per transaction: 30-50 ms of the event loop each on the shared 2-core box
# (2,000 held it for 80 ms: BENCHMARKS.md, "Delivery at scale").
BATCH = 1_000
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SweepResult:
    claimed: int
    clubs: int
    batches: int = 0


def parse_instant(text: str) -> datetime:
    """A stored instant ("2026-03-02T07:30:00Z", see ``bot.domain.timefmt``), fast."""
    return datetime.fromisoformat(text)


def same_time_tomorrow(wall: time, zone: tzinfo, due: datetime) -> datetime | None:
    """``due`` plus 24 hours when that is the next occurrence of ``wall`` in ``zone``: ``due``
    shows ``wall`` there and the same UTC offset holds a day later (no daylight-saving change
    in between, not the second reading of a repeated hour). None when it does not apply."""
    here = due.astimezone(zone)
    if here.hour != wall.hour or here.minute != wall.minute or here.second or here.fold:
        return None  # fired after a gap (02:30 became 03:00), or not on its wall time
    following = due + _DAY
    there = following.astimezone(zone)
    if there.utcoffset() != here.utcoffset() or there.fold:
        return None
    return following


def next_after(wall: time, zone: tzinfo, due: datetime) -> datetime:
    """The next occurrence of ``wall`` after ``due``: the fast path where it holds."""
    fast = same_time_tomorrow(wall, zone, due)
    return fast if fast is not None else next_occurrence(wall, zone, due)


def latest_due(
    wall: time, zone: tzinfo, due: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """(the most recent occurrence at or before ``now``, the one after it).

    Usually that is simply ``due`` and its successor: one computation per reminder. After
    downtime, yesterday's stale reminder is not what anyone wants; today's (if on time) is.
    """
    following = next_after(wall, zone, due)
    if following > now:
        return due, following
    latest = max(following, next_occurrence(wall, zone, now - timedelta(days=2)))
    while (following := next_after(wall, zone, latest)) <= now:
        latest = following
    return latest, following


def plan_reminder(
    local_time: str, zone_name: str, due_text: str, now: datetime
) -> tuple[date, datetime, datetime]:
    """A due reminder: (its local day, the occurrence to send, the next due instant)."""
    zone = _zone(zone_name)
    due, following = latest_due(_wall(local_time), zone, parse_instant(due_text), now)
    return due.astimezone(zone).date(), due.astimezone(UTC), following.astimezone(UTC)


def plan_club(
    kind: str, local_time: str, zone_name: str, due_text: str, now: datetime
) -> tuple[date, datetime]:
    """A due club post: (its local day, the next due instant of that kind of post)."""
    zone = _zone(zone_name)
    due = parse_instant(due_text)
    step = WEEKLY_STEP if kind == "club_weekly" else timedelta(0)
    return local_date(due, zone), next_occurrence(_wall(local_time), zone, max(due, now) + step)


async def sweep(
    outbox: OutboxStore,
    now: datetime,
    limit: int = 1_000_000,
    *,
    ahead: timedelta = timedelta(0),
    batch: int = BATCH,
    stop: Callable[[], bool] | None = None,
) -> SweepResult:
    """Claim everything due by ``now + ahead``, ``batch`` reminders a transaction, yielding
    to the event loop between transactions (chats are answered between them); ``stop``
    ends it between two transactions."""
    horizon = now + ahead
    claimed = batches = 0
    while claimed < limit and not (stop is not None and stop()):
        got = await outbox.claim_reminders(horizon, plan_reminder, min(batch, limit - claimed))
        claimed += got
        batches += 1
        await asyncio.sleep(0)
        if got < batch:
            break
    clubs = await outbox.claim_clubs(horizon, plan_club)
    return SweepResult(claimed=claimed, clubs=clubs, batches=batches)

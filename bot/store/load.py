"""How busy the reminder minutes are: reminders due per UTC minute and platform, and how many
messages a reminder actually sends. Counts only, never who: the scheduler warns of an
overfull minute with them and the programme offers quieter times at sign-up
(``bot.domain.pace`` holds the arithmetic).

Every count is one statement over the ``reminders_due`` index (active, next_due), joined to
``users`` by its key for the platform; the text instants ("2026-03-02T07:00:00Z") group by
minute with ``substr``, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.timefmt import to_db
from bot.store.codec import ids_of
from bot.store.database import Database

_DAY = timedelta(days=1)
# Daily reminders whose messages are counted to learn what one sends (the newest sent).
SAMPLE = 500
# The outbox kinds that are a person's reminder (a snooze sends the same session again).
REMINDER_KINDS = ("daily", "snooze")


@dataclass(frozen=True, slots=True)
class MinuteCount:
    minute: datetime  # the UTC minute (seconds 0)
    platform: str
    reminders: int


def _minute(text: str) -> datetime:
    """A grouped minute ("2026-03-02T07:00") as an instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class LoadStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due_by_minute(self, start: datetime, end: datetime) -> list[MinuteCount]:
        """Active reminders due in [``start``, ``end``), counted per UTC minute and platform,
        earliest first (one grouped count)."""
        rows = await self.db.fetchall(
            "SELECT substr(r.next_due, 1, 16) AS minute, u.platform AS platform,"
            " count(*) AS due FROM reminders r JOIN users u ON u.id=r.user_id"
            " WHERE r.active=1 AND r.next_due>=? AND r.next_due<?"
            " GROUP BY substr(r.next_due, 1, 16), u.platform"
            " ORDER BY substr(r.next_due, 1, 16), u.platform",
            (to_db(start), to_db(end)),
        )
        return [MinuteCount(_minute(str(r["minute"])), str(r["platform"]), int(r["due"]))
                for r in rows]

    async def due_by_time_of_day(
        self, platform: str, first: datetime, last: datetime, *, besides: int | None = None,
    ) -> dict[str, int]:
        """Active reminders on ``platform`` per UTC time of day ("07:00"), for the minutes
        from ``first`` to ``last`` (inclusive): a daily reminder's minute is the same every
        day, so those already moved on to tomorrow (claimed ahead) and those not yet moved
        on (overdue) count too, by the same window a day later and a day earlier.
        ``besides``: a person whose own reminder is not counted (they are changing it)."""
        window = ("SELECT substr(r.next_due, 12, 5) AS hhmm FROM reminders r"
                  " JOIN users u ON u.id=r.user_id WHERE r.active=1 AND r.next_due>=?"
                  " AND r.next_due<? AND u.platform=? AND r.user_id<>?")
        params: list[object] = []
        for shift in (-_DAY, timedelta(0), _DAY):  # one index range each (an OR is a scan)
            params += [to_db(first + shift), to_db(last + shift + timedelta(minutes=1)),
                       platform, -1 if besides is None else besides]
        rows = await self.db.fetchall(
            "SELECT hhmm, count(*) AS due FROM ("
            f"{window} UNION ALL {window} UNION ALL {window}) AS w GROUP BY hhmm",
            params,
        )
        return {str(r["hhmm"]): int(r["due"]) for r in rows}

    async def messages_per_reminder(self, platform: str, sample: int = SAMPLE) -> float:
        """The messages the newest ``sample`` reminders sent on ``platform`` took each, on
        average (as recorded when the platform accepted them); 1 before any was sent."""
        rows = await self.db.fetchall(
            "SELECT sent FROM outbox WHERE platform=? AND status='sent'"
            f" AND kind IN ({', '.join('?' for _ in REMINDER_KINDS)})"
            " ORDER BY next_attempt DESC LIMIT ?",
            (platform, *REMINDER_KINDS, sample),
        )
        counts: Sequence[int] = [len(ids_of(r["sent"])) for r in rows if r["sent"]]
        return sum(counts) / len(counts) if counts else 1.0

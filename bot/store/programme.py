"""Typed queries for the daily programme: plan, reminder, check-ins, sessions, reviews."""

from __future__ import annotations

import json
from datetime import date, datetime, time

from bot.domain.localtime import next_occurrence
from bot.domain.records import Checkin, Plan, Recommendation, Reminder
from bot.domain.timefmt import from_db, to_db
from bot.domain.zones import zone_from_name
from bot.store.database import Database


class ProgrammeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- plan ---------------------------------------------------------------------------

    async def plan(self, user_id: int) -> Plan | None:
        row = await self.db.fetchone("SELECT * FROM programmes WHERE user_id=?", (user_id,))
        if row is None:
            return None
        return Plan(
            user_id=user_id,
            started_on=date.fromisoformat(row["started_on"]),
            status=str(row["status"]),
            paused_until=date.fromisoformat(row["paused_until"]) if row["paused_until"] else None,
            strength_days=list(json.loads(row["strength_days"])),
            race=row["race"],
            equipment=list(json.loads(row["equipment"])),
            minutes=int(row["minutes"]),
        )

    async def start_plan(
        self, user_id: int, started_on: date, strength_days: list[int], race: str | None,
        now: datetime, equipment: list[str] | None = None, minutes: int = 20,
    ) -> None:
        await self.db.write(
            "INSERT INTO programmes (user_id, started_on, status, strength_days, race,"
            " equipment, minutes, updated_at)"
            " VALUES (?, ?, 'active', ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " started_on=excluded.started_on, status='active', paused_until=NULL,"
            " strength_days=excluded.strength_days, race=excluded.race,"
            " equipment=excluded.equipment, minutes=excluded.minutes,"
            " updated_at=excluded.updated_at",
            (user_id, started_on.isoformat(), json.dumps(sorted(strength_days)), race,
             json.dumps(sorted(equipment or [])), minutes, to_db(now)),
        )

    async def set_equipment(self, user_id: int, equipment: list[str], now: datetime) -> None:
        await self.db.write(
            "UPDATE programmes SET equipment=?, updated_at=? WHERE user_id=?",
            (json.dumps(sorted(equipment)), to_db(now), user_id),
        )

    async def set_minutes(self, user_id: int, minutes: int, now: datetime) -> None:
        await self.db.write(
            "UPDATE programmes SET minutes=?, updated_at=? WHERE user_id=?",
            (minutes, to_db(now), user_id),
        )

    async def set_status(
        self, user_id: int, status: str, now: datetime, paused_until: date | None = None
    ) -> None:
        await self.db.write(
            "UPDATE programmes SET status=?, paused_until=?, updated_at=? WHERE user_id=?",
            (status, paused_until.isoformat() if paused_until else None, to_db(now), user_id),
        )

    async def set_strength_days(self, user_id: int, days: list[int], now: datetime) -> None:
        await self.db.write(
            "UPDATE programmes SET strength_days=?, updated_at=? WHERE user_id=?",
            (json.dumps(sorted(days)), to_db(now), user_id),
        )

    # ----- reminder -----------------------------------------------------------------------

    async def reminder(self, user_id: int) -> Reminder | None:
        row = await self.db.fetchone("SELECT * FROM reminders WHERE user_id=?", (user_id,))
        if row is None:
            return None
        return Reminder(user_id, str(row["local_time"]), str(row["timezone"]),
                        from_db(row["next_due"]), bool(row["active"]))

    async def set_reminder(
        self, user_id: int, local_time: str, timezone: str, after: datetime, active: bool = True
    ) -> datetime:
        """Store the wall time and zone; the next due instant is computed from them."""
        due = next_occurrence(time.fromisoformat(local_time), zone_from_name(timezone), after)
        await self.db.write(
            "INSERT INTO reminders (user_id, local_time, timezone, next_due, active)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " local_time=excluded.local_time, timezone=excluded.timezone,"
            " next_due=excluded.next_due, active=excluded.active",
            (user_id, local_time, timezone, to_db(due), int(active)),
        )
        return due

    async def set_reminder_active(self, user_id: int, active: bool) -> None:
        await self.db.write(
            "UPDATE reminders SET active=? WHERE user_id=?", (int(active), user_id)
        )

    async def pending_outbox(self, user_id: int) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) FROM outbox WHERE user_id=? AND status IN ('pending','sending')",
            (user_id,),
        )
        return int(row[0]) if row else 0

    async def daily_taken(self, user_id: int, local_day: date) -> bool:
        """That local day already has its daily prompt in the outbox (sent, or claimed to
        be sent): the outbox keeps one a day."""
        row = await self.db.fetchone(
            "SELECT 1 FROM outbox WHERE target=? AND kind='daily' AND local_date=?",
            (f"u:{user_id}", local_day.isoformat()),
        )
        return row is not None

    async def cancel_pending(self, user_id: int) -> None:
        await self.db.write(
            "UPDATE outbox SET status='failed', detail='cancelled' WHERE user_id=?"
            " AND status IN ('pending','sending')",
            (user_id,),
        )

    async def add_snooze(self, user_id: int, local_day: date, due: datetime) -> bool:
        changed = await self.db.execute(
            "INSERT INTO outbox (target, user_id, platform, kind, local_date, due_at,"
            " next_attempt) SELECT ?, id, platform, 'snooze', ?, ?, ? FROM users WHERE id=?"
            " ON CONFLICT DO NOTHING",
            (f"u:{user_id}", local_day.isoformat(), to_db(due), to_db(due), user_id),
        )
        return changed > 0

    # ----- check-ins, sessions, reviews, recommendations ---------------------------------

    async def record_checkin(
        self, user_id: int, day: date, pain: int, worse_morning: bool, swelling: bool,
        now: datetime,
    ) -> None:
        await self.db.write(
            "INSERT INTO checkins (user_id, local_date, worst_pain, worse_morning, swelling, at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, local_date) DO UPDATE SET"
            " worst_pain=excluded.worst_pain, worse_morning=excluded.worse_morning,"
            " swelling=excluded.swelling, at=excluded.at",
            (user_id, day.isoformat(), pain, int(worse_morning), int(swelling), to_db(now)),
        )

    async def checkins(self, user_id: int) -> list[Checkin]:
        rows = await self.db.fetchall(
            "SELECT * FROM checkins WHERE user_id=? ORDER BY local_date", (user_id,)
        )
        return [
            Checkin(date.fromisoformat(r["local_date"]), int(r["worst_pain"]),
                    bool(r["worse_morning"]), bool(r["swelling"]))
            for r in rows
        ]

    async def record_session(self, user_id: int, day: date, status: str, now: datetime) -> None:
        await self.db.write(
            "INSERT INTO sessions_log (user_id, local_date, status, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, local_date) DO UPDATE SET status=excluded.status,"
            " at=excluded.at",
            (user_id, day.isoformat(), status, to_db(now)),
        )

    async def sessions(self, user_id: int) -> dict[date, str]:
        rows = await self.db.fetchall(
            "SELECT local_date, status FROM sessions_log WHERE user_id=?", (user_id,)
        )
        return {date.fromisoformat(r["local_date"]): str(r["status"]) for r in rows}

    async def record_weekly(
        self, user_id: int, week: int, rating: str, score: int, now: datetime
    ) -> None:
        await self.db.write(
            "INSERT INTO weekly_reviews (user_id, week, rating, score, at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, week) DO UPDATE SET rating=excluded.rating,"
            " score=excluded.score, at=excluded.at",
            (user_id, week, rating, score, to_db(now)),
        )

    async def weekly_reviews(self, user_id: int) -> dict[int, int]:
        rows = await self.db.fetchall(
            "SELECT week, score FROM weekly_reviews WHERE user_id=?", (user_id,)
        )
        return {int(r["week"]): int(r["score"]) for r in rows}

    async def weekly_ratings(self, user_id: int) -> dict[int, str]:
        """Each weekly review's answer (much_worse ... much_better), by programme week."""
        rows = await self.db.fetchall(
            "SELECT week, rating FROM weekly_reviews WHERE user_id=? ORDER BY week", (user_id,)
        )
        return {int(r["week"]): str(r["rating"]) for r in rows}

    async def recommendation_history(self, user_id: int) -> list[Recommendation]:
        """Every recommendation made, oldest first, with its reason."""
        rows = await self.db.fetchall(
            "SELECT at, key, reason FROM recommendations WHERE user_id=? ORDER BY id", (user_id,)
        )
        return [Recommendation(from_db(r["at"]), str(r["key"]), str(r["reason"])) for r in rows]

    async def recommend(self, user_id: int, key: str, reason: str, now: datetime) -> bool:
        """Record a recommendation once; False if it was already made."""
        changed = await self.db.execute(
            "INSERT INTO recommendations (user_id, key, reason, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (user_id, key, reason, to_db(now)),
        )
        return changed > 0

    async def recommendations(self, user_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT key FROM recommendations WHERE user_id=? ORDER BY id", (user_id,)
        )
        return [str(r["key"]) for r in rows]

"""Typed queries for progression: each runner's level on every ladder, the feedback and
the changes behind those levels, and the workout each day showed."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.domain.records import Feedback, LevelChange, Workout
from bot.domain.timefmt import from_db, to_db
from bot.store.database import Database


class ProgressionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reset(self, user_id: int) -> None:
        """A new programme starts every ladder from the bottom again."""
        async with self.db.transaction() as tx:
            for table in ("ladder_levels", "level_changes", "feedback", "workouts"):
                await tx.write(f"DELETE FROM {table} WHERE user_id=?", (user_id,))

    # ----- levels -------------------------------------------------------------------------

    async def levels(self, user_id: int) -> dict[str, str]:
        rows = await self.db.fetchall(
            "SELECT ladder, level FROM ladder_levels WHERE user_id=?", (user_id,)
        )
        return {str(r["ladder"]): str(r["level"]) for r in rows}

    async def change_level(
        self, user_id: int, ladder: str, from_level: str, to_level: str, reason: str,
        day: date, now: datetime,
    ) -> None:
        """Record a change (with its reason) and set the ladder's level, together."""
        async with self.db.transaction() as tx:
            await tx.write(
                "INSERT INTO level_changes (user_id, ladder, from_level, to_level, reason,"
                " local_date, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (user_id, ladder, from_level, to_level, reason, day.isoformat(), to_db(now)),
            )
            await tx.write(
                "INSERT INTO ladder_levels (user_id, ladder, level, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, ladder) DO UPDATE SET"
                " level=excluded.level, updated_at=excluded.updated_at",
                (user_id, ladder, to_level, to_db(now)),
            )

    async def changes(self, user_id: int) -> list[LevelChange]:
        rows = await self.db.fetchall(
            "SELECT * FROM level_changes WHERE user_id=? ORDER BY id", (user_id,)
        )
        return [_change(r) for r in rows]

    async def mark_told(self, user_id: int, ids: list[int], day: date) -> None:
        async with self.db.transaction() as tx:
            for change_id in ids:
                await tx.write(
                    "UPDATE level_changes SET told_on=? WHERE user_id=? AND id=?",
                    (day.isoformat(), user_id, change_id),
                )

    # ----- feedback -----------------------------------------------------------------------

    async def add_feedback(
        self, user_id: int, day: date, rated: list[tuple[str, str]], rating: str, now: datetime
    ) -> None:
        """One row per (ladder, level) the rating is about."""
        async with self.db.transaction() as tx:
            for ladder, level in rated:
                await tx.write(
                    "INSERT INTO feedback (user_id, local_date, ladder, level, rating, at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (user_id, day.isoformat(), ladder, level, rating, to_db(now)),
                )

    async def feedback(self, user_id: int, ladder: str | None = None) -> list[Feedback]:
        """Feedback, oldest first (for one ladder, or all)."""
        if ladder is None:
            rows = await self.db.fetchall(
                "SELECT * FROM feedback WHERE user_id=? ORDER BY id", (user_id,))
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM feedback WHERE user_id=? AND ladder=? ORDER BY id",
                (user_id, ladder))
        return [Feedback(date.fromisoformat(r["local_date"]), str(r["ladder"]),
                         str(r["level"]), str(r["rating"]), from_db(r["at"])) for r in rows]

    # ----- workouts -----------------------------------------------------------------------

    async def workout(self, user_id: int, day: date) -> Workout | None:
        row = await self.db.fetchone(
            "SELECT * FROM workouts WHERE user_id=? AND local_date=?",
            (user_id, day.isoformat()),
        )
        return _workout(row) if row else None

    async def workouts(self, user_id: int) -> list[Workout]:
        rows = await self.db.fetchall(
            "SELECT * FROM workouts WHERE user_id=? ORDER BY local_date", (user_id,)
        )
        return [_workout(r) for r in rows]

    async def save_workout(self, user_id: int, workout: Workout, now: datetime) -> None:
        await self.db.write(
            "INSERT INTO workouts (user_id, local_date, strength, daily, short, card_shown, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, local_date) DO UPDATE SET"
            " strength=excluded.strength, daily=excluded.daily, short=excluded.short,"
            " card_shown=excluded.card_shown, at=excluded.at",
            (user_id, workout.local_date.isoformat(), json.dumps(list(workout.strength)),
             json.dumps(list(workout.daily)), int(workout.short), int(workout.card_shown),
             to_db(now)),
        )


def _change(row: Any) -> LevelChange:
    return LevelChange(
        id=int(row["id"]), ladder=str(row["ladder"]), from_level=str(row["from_level"]),
        to_level=str(row["to_level"]), reason=str(row["reason"]),
        local_date=date.fromisoformat(row["local_date"]), at=from_db(row["at"]),
        told_on=date.fromisoformat(row["told_on"]) if row["told_on"] else None,
    )


def _workout(row: Any) -> Workout:
    return Workout(
        local_date=date.fromisoformat(row["local_date"]),
        strength=tuple(json.loads(row["strength"])), daily=tuple(json.loads(row["daily"])),
        short=bool(row["short"]), card_shown=bool(row["card_shown"]),
    )

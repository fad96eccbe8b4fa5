"""Typed queries for what the programme measures beyond pain: the running log, the weekly
running suggestions and the function checks."""

from __future__ import annotations

import json
from datetime import date, datetime

from bot.domain.records import RunningWeek
from bot.domain.timefmt import to_db
from bot.store.database import Database


class OutcomeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reset(self, user_id: int) -> None:
        """A new programme starts a new block: a new baseline and running plan (the running
        log stays: it is a diary)."""
        async with self.db.transaction() as tx:
            for table in ("running_weeks", "function_checks"):
                await tx.write(f"DELETE FROM {table} WHERE user_id=?", (user_id,))

    # ----- the running log ----------------------------------------------------------------

    async def record_run(self, user_id: int, day: date, km: float | None, now: datetime) -> None:
        """The check-in of ``day`` says whether they ran the day before (``km``; None: no)."""
        if km is None:
            await self.db.write(
                "DELETE FROM runs WHERE user_id=? AND local_date=?", (user_id, day.isoformat()))
            return
        await self.db.write(
            "INSERT INTO runs (user_id, local_date, km, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, local_date) DO UPDATE SET km=excluded.km, at=excluded.at",
            (user_id, day.isoformat(), km, to_db(now)),
        )

    async def runs(self, user_id: int) -> dict[date, float]:
        """Check-in day -> km run the day before."""
        rows = await self.db.fetchall(
            "SELECT local_date, km FROM runs WHERE user_id=? ORDER BY local_date", (user_id,))
        return {date.fromisoformat(r["local_date"]): float(r["km"]) for r in rows}

    # ----- the weekly running suggestion --------------------------------------------------

    async def record_running_week(self, user_id: int, week: RunningWeek, now: datetime) -> None:
        await self.db.write(
            "INSERT INTO running_weeks (user_id, week, mode, stage, target_km, km, verdict,"
            " suggestion, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, week) DO UPDATE SET mode=excluded.mode,"
            " stage=excluded.stage, target_km=excluded.target_km, km=excluded.km,"
            " verdict=excluded.verdict, suggestion=excluded.suggestion, at=excluded.at",
            (user_id, week.week, week.mode, week.stage, week.target_km, week.km, week.verdict,
             week.suggestion, to_db(now)),
        )

    async def running_weeks(self, user_id: int) -> list[RunningWeek]:
        rows = await self.db.fetchall(
            "SELECT * FROM running_weeks WHERE user_id=? ORDER BY week", (user_id,))
        return [
            RunningWeek(
                week=int(r["week"]), mode=str(r["mode"]),
                stage=int(r["stage"]) if r["stage"] is not None else None,
                target_km=float(r["target_km"]) if r["target_km"] is not None else None,
                km=float(r["km"]), verdict=str(r["verdict"]), suggestion=str(r["suggestion"]),
            )
            for r in rows
        ]

    # ----- the function check -------------------------------------------------------------

    async def record_function(
        self, user_id: int, week: int, scores: dict[str, int], now: datetime
    ) -> None:
        await self.db.write(
            "INSERT INTO function_checks (user_id, week, scores, total, at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, week) DO UPDATE SET"
            " scores=excluded.scores, total=excluded.total, at=excluded.at",
            (user_id, week, json.dumps(scores, sort_keys=True), sum(scores.values()),
             to_db(now)),
        )

    async def function_totals(self, user_id: int) -> dict[int, int]:
        """Week (0: the start) -> total score."""
        rows = await self.db.fetchall(
            "SELECT week, total FROM function_checks WHERE user_id=? ORDER BY week", (user_id,))
        return {int(r["week"]): int(r["total"]) for r in rows}

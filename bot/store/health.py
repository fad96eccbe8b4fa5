"""What an operator's health check and metrics ask of the store: is it answering, and how
much is waiting in the outbox. Counts only: no row's content leaves here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.timefmt import from_db
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    pending: int  # rows waiting to be sent (pending, or cut short while sending)
    oldest_due: datetime | None  # the due time of the oldest of them

    def oldest_age(self, now: datetime) -> float:
        """Seconds the oldest waiting row is past its due time (0 when nothing waits)."""
        if self.oldest_due is None:
            return 0.0
        return max(0.0, (now - self.oldest_due).total_seconds())


class HealthStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ping(self) -> bool:
        """The database answers a trivial query."""
        row = await self.db.fetchone("SELECT 1 AS one")
        return row is not None and int(row["one"]) == 1

    async def outbox_backlog(self) -> OutboxBacklog:
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, MIN(due_at) AS oldest FROM outbox"
            " WHERE status IN ('pending', 'sending')"
        )
        if row is None or not row["n"]:
            return OutboxBacklog(0, None)
        return OutboxBacklog(int(row["n"]), from_db(str(row["oldest"])))

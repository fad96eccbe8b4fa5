"""The inbox: every event a platform delivers, from before the platform is told it arrived
until the replies of its turn are on the platform.

A row's life: ``pending`` (kept; ``add`` returns once it is stored, and only then does the
adapter acknowledge the event) -> ``handled`` (the turn's effects and its replies committed
together, ``handled`` runs inside the turn) -> ``done`` (every reply delivered, or given
up: what the person typed, the replies and whose lane it was are cleared; the platform's
event id stays, so a late repeat is still recognised, until ``prune``).

Order: rows are handled in ``id`` order within a lane (one person); ``open_rows`` gives a
restarted process everything unfinished in that order. A repeat of ``(platform, event_id)``
is not stored again. The ordering rule and the lease columns are what a shared backend
claims rows by (``FOR UPDATE SKIP LOCKED`` on the oldest open row of a lane whose earlier
rows are done); SQLite has one process, which holds the lanes in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.events import Envelope, Reply
from bot.domain.timefmt import from_db, to_db
from bot.store.codec import envelope_of, envelope_text, ids_of, ids_text, replies_of, replies_text
from bot.store.database import Database, Row

CHUNK = 200  # rows per INSERT (SQLite allows 32,766 parameters in one statement)


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    envelope: Envelope
    status: str  # pending | handled
    replies: tuple[Reply, ...] = ()
    sent: tuple[str, ...] = ()  # ids of the reply messages the platform already has
    attempts: int = 0
    received_at: datetime | None = None


class InboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, envelopes: Sequence[Envelope], now: datetime) -> list[int | None]:
        """Keep ``envelopes`` (one statement per chunk, so a batch is stored or not); the new
        row id of each, None for a repeat of an event already kept."""
        ids: list[int | None] = []
        received = to_db(now)
        for start in range(0, len(envelopes), CHUNK):
            chunk = envelopes[start:start + CHUNK]
            values = ", ".join("(?, ?, ?, ?, ?)" for _ in chunk)
            params: list[object] = []
            for e in chunk:
                params += [e.platform, e.event_id, e.ref.person, envelope_text(e), received]
            rows = await self.db.fetchall(
                "INSERT INTO inbox (platform, event_id, lane, event, received_at)"
                f" VALUES {values} ON CONFLICT (platform, event_id) DO NOTHING"
                " RETURNING id, platform, event_id",
                params,
            )
            new = {(str(r["platform"]), str(r["event_id"])): int(r["id"]) for r in rows}
            # A batch may carry one event twice: only its first copy is new.
            for e in chunk:
                ids.append(new.pop((e.platform, e.event_id), None))
        return ids

    async def open_rows(self) -> list[InboxRow]:
        """Everything not done, oldest first: what a restarted process finishes first."""
        rows = await self.db.fetchall(
            "SELECT id, platform, event_id, event, status, replies, sent, attempts, received_at"
            " FROM inbox WHERE status IN ('pending','handled') ORDER BY id"
        )
        return [_row(r) for r in rows]

    async def handled(
        self, row_id: int, replies: Sequence[Reply], now: datetime, repeats: Sequence[int] = ()
    ) -> bool:
        """Inside the turn: the row is handled, its replies kept until they are sent (a row
        with nothing to say is done at once), and ``repeats`` (the same press again) are
        done with it. True when there is something to send. (Writes whose result nobody
        reads: they go out with the turn's COMMIT.)"""
        if repeats:
            marks = ", ".join("?" for _ in repeats)
            await self.db.write(
                "UPDATE inbox SET status='done', lane=NULL, event=NULL, done_at=?,"
                f" detail='the same press again' WHERE id IN ({marks})",
                (to_db(now), *repeats),
            )
        if not replies:
            await self.db.write(
                "UPDATE inbox SET status='done', lane=NULL, event=NULL, replies=NULL,"
                " sent='[]', done_at=?, detail=NULL WHERE id=?",
                (to_db(now), row_id),
            )
            return False
        await self.db.write(
            "UPDATE inbox SET status='handled', replies=?, next_attempt=? WHERE id=?",
            (replies_text(replies), to_db(now), row_id),
        )
        return True

    async def record_sent(self, row_id: int, sent: Sequence[str]) -> None:
        """The platform has the row's reply messages up to here."""
        await self.db.execute(
            "UPDATE inbox SET sent=? WHERE id=?", (ids_text(sent), row_id), urgent=True
        )

    async def done(self, row_id: int, now: datetime, detail: str | None) -> None:
        """Finished (delivered, or given up with ``detail``): only the event id stays."""
        await self.db.execute(
            "UPDATE inbox SET status='done', lane=NULL, event=NULL, replies=NULL, sent='[]',"
            " done_at=?, detail=? WHERE id=?",
            (to_db(now), detail, row_id),
        )

    async def done_many(self, row_ids: Sequence[int], now: datetime) -> None:
        """Several rows delivered in full (one statement)."""
        for start in range(0, len(row_ids), CHUNK):
            chunk = row_ids[start:start + CHUNK]
            marks = ", ".join("?" for _ in chunk)
            await self.db.execute(
                "UPDATE inbox SET status='done', lane=NULL, event=NULL, replies=NULL, sent='[]',"
                f" done_at=?, detail=NULL WHERE id IN ({marks})",
                (to_db(now), *chunk),
            )

    async def retry(
        self, row_id: int, attempts: int, next_attempt: datetime, detail: str
    ) -> None:
        await self.db.execute(
            "UPDATE inbox SET attempts=?, next_attempt=?, detail=? WHERE id=?",
            (attempts, to_db(next_attempt), detail, row_id),
        )

    async def next_attempt_after(self, now: datetime) -> datetime | None:
        """When the next turn's replies waiting for a retry may be tried."""
        row = await self.db.fetchone(
            "SELECT min(next_attempt) FROM inbox WHERE status='handled' AND next_attempt>?",
            (to_db(now),),
        )
        return from_db(row[0]) if row is not None and row[0] is not None else None

    async def prune(self, before: datetime) -> int:
        """Forget the ids of events done before ``before`` (Telegram keeps an unconfirmed
        update for 24 hours: a repeat cannot come later than that)."""
        return await self.db.execute(
            "DELETE FROM inbox WHERE status='done' AND done_at<?", (to_db(before),)
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) FROM inbox GROUP BY status")
        return {str(r[0]): int(r[1]) for r in rows}


def _row(r: Row) -> InboxRow:
    return InboxRow(
        id=int(r["id"]),
        envelope=envelope_of(str(r["platform"]), str(r["event_id"]), str(r["event"])),
        status=str(r["status"]),
        replies=tuple(replies_of(r["replies"])) if r["replies"] else (),
        sent=tuple(ids_of(r["sent"])),
        attempts=int(r["attempts"]),
        received_at=from_db(r["received_at"]),
    )

"""The inbox: every event a platform delivers, from before the platform is told it arrived
until the replies of its turn are on the platform.

A row's life: ``pending`` (kept; ``add`` returns once it is stored, and only then does the
adapter acknowledge the event) -> ``handled`` (the turn's effects and its replies committed
together, ``handled`` runs inside the turn) -> ``done`` (every reply delivered, or given
up: what the person typed, the replies and whose lane it was are cleared; the platform's
event id stays, so a late repeat is still recognised, until ``prune``).

Order: rows are handled in ``id`` order within a lane (one person); ``open_rows`` gives a
restarted process everything unfinished in that order. A repeat of ``(platform, event_id)``
is not stored again. SQLite has one process, which holds the lanes in memory.

Lanes across processes (PostgreSQL, migration 010): a lane is worked by the process that
holds its lease in ``inbox_lanes`` (``take_lane``, ``renew_lanes``, ``release_lane``); it
reads the lane's open rows (``lane_rows``, those other processes received included) and its
turn is fenced (``handled(..., fenced=True)``: the row still pending and the lane still
its own). New rows are announced (``announce``: NOTIFY) to the processes that ``listen``;
``stranded_lanes`` finds lanes with open rows that nobody holds (a dead holder's, or an
announcement that was lost). The lease's length is the caller's (the dispatcher's policy);
``owner`` names this process (``process_name``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.domain.events import Envelope, Reply
from bot.domain.timefmt import from_db, to_db
from bot.store.codec import envelope_of, envelope_text, ids_of, ids_text, replies_of, replies_text
from bot.store.database import Database, Row
from bot.store.outbox import process_name

CHUNK = 200  # rows per INSERT (SQLite allows 32,766 parameters in one statement)
CHANNEL = "kneecoach_inbox"  # where new rows' lanes are announced (PostgreSQL NOTIFY)
NOTE_BYTES = 7_000  # lanes per announcement, at most (PostgreSQL's limit is 8,000 bytes)
OPEN = "status IN ('pending','handled')"
_COLUMNS = ("id, platform, event_id, event, status, replies, sent, attempts, received_at,"
            " next_attempt")
# a lane taken: free, its holder's lease ran out, or already this process's (lane, owner,
# until, now); returns the lane when taken
_TAKE_LANE = ("INSERT INTO inbox_lanes (lane, owner, lease_until) VALUES (?, ?, ?)"
              " ON CONFLICT (lane) DO UPDATE SET owner=excluded.owner,"
              " lease_until=excluded.lease_until"
              " WHERE inbox_lanes.lease_until<=? OR inbox_lanes.owner=excluded.owner"
              " RETURNING lane")
_COLUMNS_OF_I = ", ".join(f"i.{c.strip()}" for c in _COLUMNS.split(","))
Release = Literal["gone", "again", "kept", "lost"]  # what became of a lane let go


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    envelope: Envelope
    status: str  # pending | handled
    replies: tuple[Reply, ...] = ()
    sent: tuple[str, ...] = ()  # ids of the reply messages the platform already has
    attempts: int = 0
    received_at: datetime | None = None
    next_attempt: datetime | None = None  # when its replies may be tried again


class LaneLost(Exception):
    """A fenced turn found its row no longer pending or its lane no longer this process's
    (its lease ran out and another process took the lane): the turn is rolled back."""


class InboxStore:
    def __init__(self, db: Database, owner: str | None = None) -> None:
        self.db = db
        self.owner = owner or process_name()  # whose lease a lane this process takes is

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
            f"SELECT {_COLUMNS} FROM inbox WHERE {OPEN} ORDER BY id"
        )
        return [_row(r) for r in rows]

    # ----- lanes across processes (PostgreSQL) ----------------------------------------------

    async def take_lane(self, lane: str, now: datetime, until: datetime) -> bool:
        """Hold ``lane`` until ``until``: a lane nobody holds, one whose holder's lease ran
        out by ``now``, or one this process holds already. True when it is this process's."""
        row = await self.db.fetchone(_TAKE_LANE, (lane, self.owner, to_db(until), to_db(now)))
        return row is not None

    async def take_lane_rows(
        self, lane: str, now: datetime, until: datetime
    ) -> list[InboxRow] | None:
        """``take_lane``, then the lane's open rows, oldest first; None when another
        process holds it. On PostgreSQL one statement (the rows are those committed before
        it: one stored later is read at the lane's next read, before it is let go)."""
        if self.db.dialect != "postgres":
            if not await self.take_lane(lane, now, until):
                return None
            return await self.lane_rows(lane)
        rows = await self.db.fetchall(
            f"WITH taken AS ({_TAKE_LANE})"
            f" SELECT {_COLUMNS_OF_I} FROM taken t LEFT JOIN inbox i ON i.lane=t.lane"
            " AND i.status IN ('pending','handled') ORDER BY i.id",
            (lane, self.owner, to_db(until), to_db(now)),
        )
        if not rows:
            return None
        return [_row(r) for r in rows if r["id"] is not None]

    async def done_and_read(
        self, lane: str, done: Sequence[int], now: datetime
    ) -> list[InboxRow]:
        """The rows ``done`` (their replies all delivered) marked done, and ``lane``'s open
        rows but those, oldest first: one statement on PostgreSQL."""
        if not done:
            return await self.lane_rows(lane)
        if self.db.dialect != "postgres":
            await self.done_many(done, now)
            return await self.lane_rows(lane)
        ids = list(done)
        rows = await self.db.fetchall(
            "WITH finished AS (UPDATE inbox SET status='done', lane=NULL, event=NULL,"
            " replies=NULL, sent='[]', done_at=?, detail=NULL WHERE id = ANY(?::integer[])"
            " RETURNING id)"
            f" SELECT {_COLUMNS} FROM inbox WHERE {OPEN} AND lane=?"
            " AND NOT (id = ANY(?::integer[])) ORDER BY id",
            (to_db(now), ids, lane, ids),
        )
        return [_row(r) for r in rows]

    async def renew_lanes(self, lanes: Sequence[str], until: datetime) -> set[str]:
        """Hold ``lanes`` until ``until``; those still this process's (a lane missing from
        the answer was taken over: its lease had run out)."""
        kept: set[str] = set()
        for start in range(0, len(lanes), CHUNK):
            chunk = lanes[start:start + CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = await self.db.fetchall(
                f"UPDATE inbox_lanes SET lease_until=? WHERE owner=? AND lane IN ({marks})"
                " RETURNING lane",
                (to_db(until), self.owner, *chunk),
            )
            kept.update(str(r["lane"]) for r in rows)
        return kept

    async def release_lane(self, lane: str) -> Release:
        """Give ``lane`` up if it has no open row. "gone": let go; "again": let go, but a
        row came just then (looked at once more after letting go: stored by a process that
        could not take the lane yet, it would otherwise wait for the scan; the caller takes
        the lane again); "kept": rows to work, the lane kept; "lost": not this process's
        lane any more (its lease ran out and another process took it)."""
        let_go = await self.db.execute(
            "DELETE FROM inbox_lanes WHERE lane=? AND owner=? AND NOT EXISTS (SELECT 1"
            f" FROM inbox WHERE inbox.lane=inbox_lanes.lane AND inbox.{OPEN})",
            (lane, self.owner),
        ) > 0
        if let_go:
            row = await self.db.fetchone(
                f"SELECT 1 FROM inbox WHERE {OPEN} AND lane=? LIMIT 1", (lane,)
            )
            return "gone" if row is None else "again"
        mine = await self.db.fetchone(
            "SELECT 1 FROM inbox_lanes WHERE lane=? AND owner=?", (lane, self.owner)
        )
        return "kept" if mine is not None else "lost"

    async def release_lanes(self) -> int:
        """Give up every lane this process holds (it is closing)."""
        return await self.db.execute("DELETE FROM inbox_lanes WHERE owner=?", (self.owner,))

    async def lane_rows(self, lane: str) -> list[InboxRow]:
        """``lane``'s open rows, oldest first (whichever process received them)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM inbox WHERE {OPEN} AND lane=? ORDER BY id",
            (lane,),
        )
        return [_row(r) for r in rows]

    async def stranded_lanes(self, now: datetime, limit: int = 1_000) -> list[str]:
        """Lanes with open rows that nobody holds, or whose holder's lease ran out by
        ``now`` (it died or froze), the longest waiting first."""
        rows = await self.db.fetchall(
            "SELECT i.lane FROM inbox i LEFT JOIN inbox_lanes l ON l.lane=i.lane"
            f" WHERE i.{OPEN} AND (l.lane IS NULL OR l.lease_until<=?)"
            " GROUP BY i.lane ORDER BY min(i.id) LIMIT ?",
            (to_db(now), limit),
        )
        return [str(r[0]) for r in rows]

    async def forget_lanes(self, now: datetime) -> int:
        """Drop the leases that ran out on lanes with nothing open (a holder that died
        between its last row and letting go)."""
        return await self.db.execute(
            "DELETE FROM inbox_lanes WHERE lease_until<=? AND NOT EXISTS (SELECT 1 FROM inbox"
            f" WHERE inbox.lane=inbox_lanes.lane AND inbox.{OPEN})",
            (to_db(now),),
        )

    async def announce(self, lanes: Sequence[str]) -> None:
        """Tell the processes listening that ``lanes`` have new rows."""
        note: list[str] = []
        size = 0
        for lane in dict.fromkeys(lanes):
            if note and size + len(lane.encode()) + 1 > NOTE_BYTES:
                await self.db.notify(CHANNEL, "\n".join(note))
                note, size = [], 0
            note.append(lane)
            size += len(lane.encode()) + 1
        if note:
            await self.db.notify(CHANNEL, "\n".join(note))

    async def listen(
        self, heard: Callable[[list[str]], None]
    ) -> Callable[[], Awaitable[None]]:
        """Call ``heard`` with the lanes of every announcement (best effort: one lost while
        the listening connection was down is for the scan to find); returns how to stop."""
        return await self.db.listen(
            CHANNEL, lambda payload: heard([lane for lane in payload.split("\n") if lane])
        )

    # ----- the turn -------------------------------------------------------------------------

    async def handled(
        self, row_id: int, replies: Sequence[Reply], now: datetime, repeats: Sequence[int] = (),
        *, fenced: bool = False,
    ) -> bool:
        """Inside the turn: the row is handled, its replies kept until they are sent (a row
        with nothing to say is done at once), and ``repeats`` (the same press again) are
        done with it. True when there is something to send. (Writes whose result nobody
        reads: they go out with the turn's COMMIT.) ``fenced`` (lanes across processes):
        only if the row is still pending and its lane this process's, holding the lane's
        lease row until the turn commits (nobody takes the lane over meanwhile); ``LaneLost``
        otherwise (the caller rolls the turn back)."""
        if repeats:
            marks = ", ".join("?" for _ in repeats)
            await self.db.write(
                "UPDATE inbox SET status='done', lane=NULL, event=NULL, done_at=?,"
                f" detail='the same press again' WHERE id IN ({marks})",
                (to_db(now), *repeats),
            )
        if not replies:
            await self._mark(
                "UPDATE inbox SET status='done', lane=NULL, event=NULL, replies=NULL,"
                " sent='[]', done_at=?, detail=NULL WHERE id=?",
                (to_db(now), row_id), fenced,
            )
            return False
        await self._mark(
            "UPDATE inbox SET status='handled', replies=?, next_attempt=? WHERE id=?",
            (replies_text(replies), to_db(now), row_id), fenced,
        )
        return True

    async def _mark(self, sql: str, params: tuple[object, ...], fenced: bool) -> None:
        """The turn's row marked; ``fenced``: see ``handled`` (one statement either way)."""
        if not fenced:
            await self.db.write(sql, params)
            return
        share = " FOR SHARE" if self.db.dialect == "postgres" else ""
        changed = await self.db.execute(
            sql + " AND status='pending' AND EXISTS (SELECT 1 FROM inbox_lanes l"
            f" WHERE l.lane=inbox.lane AND l.owner=?{share})",
            (*params, self.owner),
        )
        if not changed:
            raise LaneLost(params[-1])

    async def record_sent(self, row_id: int, sent: Sequence[str]) -> None:
        """The platform has the row's reply messages up to here."""
        await self.db.execute(
            "UPDATE inbox SET sent=? WHERE id=?", (ids_text(sent), row_id), urgent=True
        )

    async def done(
        self, row_id: int, now: datetime, detail: str | None, *, urgent: bool = False
    ) -> None:
        """Finished (delivered, or given up with ``detail``): only the event id stays.
        ``urgent``: the record of a reply's last message (see ``record_sent``)."""
        await self.db.execute(
            "UPDATE inbox SET status='done', lane=NULL, event=NULL, replies=NULL, sent='[]',"
            " done_at=?, detail=? WHERE id=?",
            (to_db(now), detail, row_id), urgent=urgent,
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
        next_attempt=from_db(r["next_attempt"]) if r["next_attempt"] else None,
    )

"""The outbox: due reminders claimed into messages to send, and what became of each.

The sweep claims due reminders and club posts here (one transaction: an outbox row per
message with the unique key (target, kind, local date), and each reminder moved on to its
next occurrence); the delivery worker reads due rows, keeps what it composed for a row
(``keep``: composed once, so a resend is the same messages), records each message the
platform accepted (``record_sent``: a restart resends only the one in flight) and every
platform answer. When something falls due is the scheduler's arithmetic, passed in as
``plan`` callables: this module holds the SQL only.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.domain.events import ConversationRef, Reply
from bot.domain.timefmt import from_db, to_db
from bot.store.codec import delivery_of, delivery_text, ids_of, ids_text
from bot.store.database import Database

# (wall time "HH:MM", zone name, due instant as stored, now) ->
#   (the local day it is for, the occurrence to send, the reminder's next due instant)
ReminderPlan = Callable[[str, str, str, datetime], tuple[date, datetime, datetime]]
# (kind, wall time, zone name, due instant as stored, now) -> (local day, next due instant)
ClubPlan = Callable[[str, str, str, str, datetime], tuple[date, datetime]]

CLUB_KINDS = (("club_daily", "next_due"), ("club_weekly", "next_weekly"))
# Why a claimed reminder was not sent (outbox kind 'daily_skipped', status 'skipped').
SKIPPED_DETAIL = "that local day already had its prompt: one a day"
CLAIM_BATCH = 500  # reminders a PostgreSQL sweep claims per transaction
# How long a row taken to send is its taker's alone (PostgreSQL): past it, another process
# may take it over (its holder died or froze) and send it again, from its recorded progress.
# The default of KNEECOACH_LEASE_SECONDS; ``OutboxStore(lease=...)`` takes another.
LEASE = timedelta(minutes=2)
# Only the row's lease holder records what became of it (SQLite never leases: always NULL).
FENCE = " AND (claimed_by IS NULL OR claimed_by=?)"
COLUMNS = ("id, target, user_id, club_id, kind, local_date, due_at, attempts, platform,"
           " payload, sent, detail, next_attempt")


def process_name() -> str:
    """This process among those sharing the database: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    target: str  # 'u:<user id>' or 'c:<club id>'
    user_id: int | None
    club_id: int | None
    kind: str
    local_date: date
    due_at: datetime
    attempts: int
    platform: str | None = None
    payload: str | None = None  # what was composed for it (see ``composed``)
    sent: tuple[str, ...] = ()  # ids of its messages the platform already has, in order
    detail: str | None = None  # what held it up last

    def composed(self) -> tuple[ConversationRef, list[Reply]] | None:
        return delivery_of(self.payload) if self.payload else None


def utc_text(instant: datetime) -> str:
    """``to_db`` for an instant already in UTC, without strftime (the sweep writes two a row)."""
    if instant.tzinfo is not UTC:
        return to_db(instant)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031 - the fastest way here
        instant.year, instant.month, instant.day, instant.hour, instant.minute, instant.second)



@dataclass(frozen=True, slots=True)
class Claimed:
    reminders: int
    clubs: int


class OutboxStore:
    def __init__(
        self, db: Database, owner: str | None = None, lease: timedelta = LEASE
    ) -> None:
        self.db = db
        self.owner = owner or process_name()  # whose lease a row this process takes is
        self.lease = lease  # how long a row taken stays this process's (PostgreSQL)

    async def claim_due(
        self, now: datetime, plan: ReminderPlan, plan_club: ClubPlan, limit: int = 50_000
    ) -> Claimed:
        """Every reminder and club post due by ``now``, ``CLAIM_BATCH`` reminders a
        transaction (the sweep runs its own loop over ``claim_reminders``; this is the same
        for a tool or a test in one call)."""
        claimed = 0
        while claimed < limit:
            size = min(CLAIM_BATCH, limit - claimed)
            got = await self.claim_reminders(now, plan, size)
            claimed += got
            if got < size:
                break
        return Claimed(reminders=claimed, clubs=await self.claim_clubs(now, plan_club))

    def _lock(self, clause: str) -> str:
        """PostgreSQL takes only rows no other process holds (``FOR UPDATE SKIP LOCKED``):
        several processes sweep together, none claims a reminder another claimed, and a
        process killed mid-batch gives its rows back with its connection. SQLite has one
        writer: nothing to add."""
        return clause if self.db.dialect == "postgres" else ""

    async def claim_reminders(self, horizon: datetime, plan: ReminderPlan, limit: int) -> int:
        """Claim up to ``limit`` reminders due by ``horizon``, earliest first, in one short
        transaction: an outbox row each (waiting until its due instant: ``next_attempt``)
        and each reminder moved on to its next occurrence. Returns how many were claimed."""
        horizon_text = to_db(horizon)
        lock = self._lock(" FOR UPDATE OF r SKIP LOCKED")
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT r.user_id, r.local_time, r.timezone, r.next_due, u.platform"
                " FROM reminders r JOIN users u ON u.id=r.user_id"
                f" WHERE r.active=1 AND r.next_due<=? ORDER BY r.next_due LIMIT ?{lock}",
                (horizon_text, limit),
            )
            outbox: list[tuple[object, ...]] = []
            skipped: list[tuple[object, ...]] = []
            advance: list[tuple[str, int]] = []
            for user_id, local_time, zone_name, due_text, platform in rows:
                day, due, following = plan(local_time, zone_name, due_text, horizon)
                due_db, local_day, target = utc_text(due), day.isoformat(), f"u:{user_id}"
                outbox.append((target, user_id, platform, "daily", local_day, due_db, due_db))
                skipped.append((target, user_id, local_day, due_db, due_db,
                                f"{SKIPPED_DETAIL} (due {due_db})", target, local_day))
                advance.append((utc_text(following), user_id))
            # One prompt a local day: a reminder falling due on a day that already has its
            # prompt (a time or zone changed earlier) is recorded as skipped, never dropped
            # in silence. Before the insert below, which would make every day look taken.
            await tx.executemany(
                "INSERT INTO outbox (target, user_id, kind, local_date, due_at, next_attempt,"
                " status, detail) SELECT ?, CAST(? AS INTEGER), 'daily_skipped', ?, ?, ?,"
                " 'skipped', ?"
                " WHERE EXISTS (SELECT 1 FROM outbox WHERE target=? AND kind='daily'"
                " AND local_date=?) ON CONFLICT DO NOTHING",
                skipped,
            )
            await tx.executemany(
                "INSERT INTO outbox (target, user_id, platform, kind, local_date, due_at,"
                " next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                outbox,
            )
            await tx.executemany("UPDATE reminders SET next_due=? WHERE user_id=?", advance)
        return len(rows)

    async def claim_clubs(self, horizon: datetime, plan_club: ClubPlan) -> int:
        """Claim every club post due by ``horizon`` (clubs are few: one transaction)."""
        horizon_text = to_db(horizon)
        lock = self._lock(" FOR UPDATE SKIP LOCKED")
        async with self.db.transaction() as tx:
            clubs = await tx.fetchall(
                "SELECT id, local_time, timezone, next_due, next_weekly, platform FROM clubs"
                f" WHERE active=1 AND (next_due<=? OR next_weekly<=?){lock}",
                (horizon_text, horizon_text),
            )
            for club_id, local_time, zone_name, due_text, weekly_text, platform in clubs:
                for (kind, column), text in zip(CLUB_KINDS, (due_text, weekly_text), strict=True):
                    if text > horizon_text:
                        continue
                    day, following = plan_club(kind, local_time, zone_name, text, horizon)
                    await tx.execute(
                        "INSERT INTO outbox (target, club_id, platform, kind, local_date,"
                        " due_at, next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT DO NOTHING",
                        (f"c:{club_id}", club_id, platform, kind, day.isoformat(), text, text),
                    )
                    await tx.execute(
                        f"UPDATE clubs SET {column}=? WHERE id=?", (to_db(following), club_id)
                    )
        return len(clubs)

    async def add(
        self, target: str, kind: str, local_day: date, due: datetime, *,
        club_id: int | None = None, user_id: int | None = None,
    ) -> bool:
        """One message due at ``due`` (a club admin's notice); False when that target already
        has one of this kind for that day."""
        added = await self.db.execute(
            "INSERT INTO outbox (target, user_id, club_id, kind, local_date, due_at,"
            " next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (target, user_id, club_id, kind, local_day.isoformat(), to_db(due), to_db(due)),
        )
        return added > 0

    async def due(self, now: datetime, limit: int) -> list[OutboxRow]:
        """Rows waiting to be sent (or left mid-send by a crash) whose time has come. On
        PostgreSQL they are taken: leased to this process (``lease``), skipping rows another
        process holds locked or leased, so two processes never send the same row."""
        if self.db.dialect == "postgres":
            rows = await self.db.fetchall(
                "UPDATE outbox SET claimed_by=?, lease_until=? WHERE id IN ("
                " SELECT id FROM outbox WHERE status='pending' AND next_attempt<=?"
                " AND (lease_until IS NULL OR lease_until<=? OR claimed_by=?)"
                " ORDER BY next_attempt, id LIMIT ? FOR UPDATE SKIP LOCKED)"
                f" RETURNING {COLUMNS}",
                (self.owner, to_db(now + self.lease), to_db(now), to_db(now), self.owner, limit),
            )
            rows = sorted(rows, key=lambda r: (str(r["next_attempt"]), int(r["id"])))
        else:
            rows = await self.db.fetchall(
                f"SELECT {COLUMNS} FROM outbox WHERE status='pending' AND next_attempt<=?"
                " ORDER BY next_attempt, id LIMIT ?",
                (to_db(now), limit),
            )
        return [
            OutboxRow(
                id=int(r["id"]),
                target=str(r["target"]),
                user_id=None if r["user_id"] is None else int(r["user_id"]),
                club_id=None if r["club_id"] is None else int(r["club_id"]),
                kind=str(r["kind"]),
                local_date=date.fromisoformat(r["local_date"]),
                due_at=datetime.fromisoformat(r["due_at"]),
                attempts=int(r["attempts"]),
                platform=r["platform"],
                payload=r["payload"],
                sent=tuple(ids_of(r["sent"])),
                detail=r["detail"],
            )
            for r in rows
        ]

    async def keep(
        self, outbox_id: int, ref: ConversationRef, replies: list[Reply]
    ) -> None:
        """What was composed for a row: any resend is these very messages."""
        await self.db.execute(
            "UPDATE outbox SET payload=?, platform=? WHERE id=?" + FENCE,
            (delivery_text(ref, replies), ref.platform, outbox_id, self.owner),
        )

    async def record_sent(self, outbox_id: int, sent: list[str]) -> None:
        """The platform has the row's messages up to here (their ids, in order)."""
        await self.db.execute(
            "UPDATE outbox SET sent=? WHERE id=?" + FENCE, (ids_text(sent), outbox_id, self.owner),
            urgent=True,
        )

    async def finish(
        self, outbox_id: int, status: str, now: datetime, detail: str | None
    ) -> bool:
        """Sent, missed, blocked or failed: what it said is not kept any longer. False when
        another process has taken the row over (this one's lease ran out): its word counts."""
        changed = await self.db.execute(
            "UPDATE outbox SET status=?, sent_at=?, detail=?, payload=NULL, claimed_by=NULL,"
            " lease_until=NULL WHERE id=?" + FENCE,
            (status, to_db(now), detail, outbox_id, self.owner),
        )
        return changed > 0

    async def retry(
        self, outbox_id: int, attempts: int, next_attempt: datetime, detail: str
    ) -> None:
        await self.db.execute(
            "UPDATE outbox SET status='pending', attempts=?, next_attempt=?, detail=?,"
            " claimed_by=NULL, lease_until=NULL WHERE id=?" + FENCE,
            (attempts, to_db(next_attempt), detail, outbox_id, self.owner),
        )

    async def postpone(self, platform: str, until: datetime, now: datetime) -> int:
        """Every due row for ``platform`` waits until ``until`` (the platform is down: one
        probe at a time, not a retry for every row); attempts are not counted. On
        PostgreSQL a row another transaction holds (a turn, a claim, a send) is left to it:
        locking rows in whatever order the UPDATE met them deadlocked with those."""
        return await self.db.execute(
            "UPDATE outbox SET next_attempt=? WHERE id IN (SELECT id FROM outbox"
            " WHERE status='pending' AND platform=? AND next_attempt<=? ORDER BY id"
            + self._lock(" FOR UPDATE SKIP LOCKED") + ")",
            (to_db(until), platform, to_db(now)),
        )

    async def block_person(self, user_id: int) -> None:
        """Someone who blocked the bot gets nothing more until they write again."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE users SET active=0 WHERE id=?", (user_id,))
            await tx.execute("UPDATE reminders SET active=0 WHERE user_id=?", (user_id,))
            await tx.execute(
                "UPDATE outbox SET status='blocked' WHERE user_id=? AND status='pending'",
                (user_id,),
            )

    async def next_pending_after(self, now: datetime) -> datetime | None:
        """When the next waiting row falls due (a row claimed ahead, a retry, a snooze)."""
        row = await self.db.fetchone(
            "SELECT min(next_attempt) FROM outbox WHERE status='pending' AND next_attempt>?",
            (to_db(now),),
        )
        return None if row is None or row[0] is None else from_db(str(row[0]))

    async def lateness(self, since: datetime) -> list[float]:
        """Seconds between due and sent for every row sent since ``since`` (``sent_at`` is
        taken when the platform took the message, so this is what people saw)."""
        rows = await self.db.fetchall(
            "SELECT due_at, sent_at FROM outbox WHERE status='sent' AND sent_at>=?"
            " ORDER BY sent_at",
            (to_db(since),),
        )
        return [
            (datetime.fromisoformat(r["sent_at"]) - datetime.fromisoformat(r["due_at"]))
            .total_seconds()
            for r in rows
        ]

    async def prune(self, before: datetime, batch: int = 5_000) -> int:
        """Forget rows sent or missed before ``before`` (the retention period), ``batch`` a
        statement so the writer is never held long. A row's ``next_attempt`` is never after
        its ``sent_at``, so the condition on it lets the index find the oldest rows first."""
        cutoff = to_db(before)
        removed = 0
        while True:
            deleted = await self.db.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                " WHERE status IN ('sent', 'missed') AND next_attempt<? AND sent_at<?"
                " LIMIT ?)",
                (cutoff, cutoff, batch),
            )
            removed += deleted
            if deleted < batch:
                return removed

    async def next_event_after(self, now: datetime) -> datetime | None:
        """The next instant anything falls due: a reminder, a retry or a club post."""
        after = to_db(now)
        candidates: list[str] = []
        for sql in (
            "SELECT min(next_due) FROM reminders WHERE active=1 AND next_due>?",
            "SELECT min(next_attempt) FROM outbox WHERE status='pending' AND next_attempt>?",
            "SELECT min(CASE WHEN next_due < next_weekly THEN next_due ELSE next_weekly END)"
            " FROM clubs WHERE active=1"
            " AND (CASE WHEN next_due < next_weekly THEN next_due ELSE next_weekly END)>?",
        ):
            row = await self.db.fetchone(sql, (after,))
            if row is not None and row[0] is not None:
                candidates.append(str(row[0]))
        return from_db(min(candidates)) if candidates else None

"""A platform's send budget kept in the database, shared by every process that sends for the
bot (the engine's ``SendBudget`` port; table ``send_budget``, migration 011).

The budget is one instant per platform, ``next_at``: when the next message may start. A
grant moves it to ``max(next_at, now) + 1/rate`` in one atomic statement, and the message
is sent at ``max(next_at, now)``: whichever process wins the row, starts are one interval
apart (a token bucket of one token, kept as the instant it refills: nothing to add up,
nothing to drift, never two starts closer than the interval):

- a reply is always granted the next free start, which may be a little ahead: the caller
  waits until then. It queues behind the replies already promised, never behind a
  reminder still waiting;
- a bulk send is granted only a start free within ``ahead`` (5 ms); otherwise nothing
  changes and it is told to ask again ``ahead`` before ``next_at``. Asking just before its
  start, a reminder keeps the pace however late its timer fires or its round trip takes
  (up to ``ahead``), and a reply waits at most ``ahead`` longer for it.

``now`` is the caller's clock (injected; tests use ``FakeClock``). ``next_at`` never goes
backwards: a process whose clock is behind sees the next start later than it is (it waits
a little longer), one whose clock is ahead moves it on from its own ``now``; hosts kept in
step by NTP differ by milliseconds, against the 33 ms between Telegram's starts.

PostgreSQL only: with SQLite one process sends, and the Telegram adapter keeps its own
window. The statements run on a pooled connection of their own (``fetchone_apart``), never
inside a turn's transaction, so the row is locked for one statement at a time.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.send_budget import BULK_AHEAD, SHORTEST_WAIT, SendSlot
from bot.store.database import Database, Row
from bot.store.postgres import PostgresDatabase

# A bulk send refused while its start looked free (another process took it meanwhile) asks
# again after this long (seconds).
RETRY = 0.001

_REPLY = (
    "INSERT INTO send_budget (platform, next_at)"
    " VALUES (?, CAST(? AS DOUBLE PRECISION) + CAST(? AS DOUBLE PRECISION))"
    " ON CONFLICT (platform) DO UPDATE SET next_at ="
    " GREATEST(send_budget.next_at, CAST(? AS DOUBLE PRECISION)) + CAST(? AS DOUBLE PRECISION)"
    " RETURNING next_at"
)
# The UPDATE takes the start when it is free (a row another process is granting from is
# re-read once that commits); when it did not, the row as this statement found it says how
# long to wait (it may be older than the grant that refused this one: then RETRY).
_BULK = (
    "WITH taken AS (UPDATE send_budget"
    " SET next_at = GREATEST(next_at, CAST(? AS DOUBLE PRECISION))"
    " + CAST(? AS DOUBLE PRECISION)"
    " WHERE platform = ? AND next_at <= CAST(? AS DOUBLE PRECISION) RETURNING next_at)"
    " SELECT TRUE AS granted, next_at AS next_at FROM taken"
    " UNION ALL SELECT FALSE, next_at FROM send_budget"
    " WHERE platform = ? AND NOT EXISTS (SELECT 1 FROM taken)"
)
_CREATE = ("INSERT INTO send_budget (platform, next_at) VALUES (?, ?)"
           " ON CONFLICT (platform) DO NOTHING")


class SharedSendBudget:
    """``platform``'s ``SendBudget`` on PostgreSQL: ``messages_per_second`` for the bot."""

    def __init__(self, db: PostgresDatabase, platform: str, messages_per_second: float,
                 *, ahead: float = BULK_AHEAD) -> None:
        if messages_per_second <= 0:
            raise ValueError("a send budget needs a positive rate")
        self.db = db
        self.platform = platform
        self.interval = 1.0 / messages_per_second
        self.ahead = ahead
        self.statements = 0  # round trips made (for the tests and the benchmark)

    async def take(self, now: datetime, *, replying: bool) -> SendSlot:
        at = now.timestamp()
        if replying:
            row = await self._one(_REPLY, (self.platform, at, self.interval, at, self.interval))
            assert row is not None  # an upsert returns its row
            return SendSlot(True, max(0.0, float(row[0]) - self.interval - at))
        bulk = (at, self.interval, self.platform, at + self.ahead + SHORTEST_WAIT,
                self.platform)
        row = await self._one(_BULK, bulk)
        if row is None:  # first use: the budget is made, with its first start free
            await self._one(_CREATE, (self.platform, at))
            row = await self._one(_BULK, bulk)
            if row is None:
                raise RuntimeError("the send budget's row vanished")
        next_at = float(row["next_at"])
        if row["granted"]:
            return SendSlot(True, max(0.0, next_at - self.interval - at))
        wait = next_at - self.ahead - at
        return SendSlot(False, max(SHORTEST_WAIT, wait) if wait > 0 else RETRY)

    async def _one(self, sql: str, params: tuple[object, ...]) -> Row | None:
        self.statements += 1
        return await self.db.fetchone_apart(sql, params)

    async def next_at(self) -> float | None:
        """When the next message may start (seconds since the epoch; None: never used)."""
        row = await self.db.fetchone_apart(
            "SELECT next_at FROM send_budget WHERE platform = ?", (self.platform,))
        return None if row is None else float(row[0])


# The share of the platform's rate the processes plan their starts at together. A start is
# granted at an instant and sent when the sender gets to it: one that goes out late (a
# timer, a busy event loop) lands nearer the next process's, and a second of Telegram's may
# then hold one more than the rate (each process's own window keeps its own sends within
# it, not two processes' together). 3% leaves about 1/30 s of lateness to every start.
HEADROOM = 0.97


def shared_send_budget(db: Database, platform: str,
                       messages_per_second: float) -> SharedSendBudget | None:
    """The budget every process on ``db`` draws from (PostgreSQL), at ``HEADROOM`` of the
    platform's rate; None on SQLite, where one process sends and its adapter's own window is
    the bot's."""
    if db.dialect == "postgres" and isinstance(db, PostgresDatabase):
        return SharedSendBudget(db, platform, messages_per_second * HEADROOM)
    return None

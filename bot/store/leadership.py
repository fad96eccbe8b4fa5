"""Who leads `kneecoach run` on PostgreSQL: a LEASE, one row of ``leader_lease``
(migration 012) holding the leader's name and until when (the database's clock).

* Taking it: insert the row, or take it over once its lease has run out (its holder died,
  froze, or lost the database); a follower tries again every third of the lease.
* Keeping it: the holder renews it every third of the lease on a connection of its own
  (never queued behind the pool's turns). It stops leading (``Lead.lost``) when the row
  names another process, or when it could not renew within its lease: counted from when its
  last successful renewal was SENT, so it gives up before the row can run out on the
  database, and a process that was frozen (SIGSTOP) past its lease knows it at its first
  step once it runs again. ``kneecoach run`` then stops with its own exit code and its
  supervisor starts it again, as a follower (docs/DESIGN.md, "Several processes").
* Letting it go (a clean stop): the row is deleted, so a follower takes over at its next try.

A session advisory lock did this before; a frozen leader's kernel still answers the TCP
keepalives, so its session, and the lock, stayed for as long as it stayed frozen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg

from bot.store.database import Lead
from bot.store.outbox import process_name

log = logging.getLogger(__name__)

LEASE_SECONDS = 15.0  # KNEECOACH_LEADER_LEASE_SECONDS

_NOW = "extract(epoch FROM clock_timestamp())::double precision"
_TAKE = (
    "INSERT INTO leader_lease (name, holder, lease_until) VALUES ($1, $2, " + _NOW + " + $3)"
    " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,"
    " lease_until = EXCLUDED.lease_until"
    " WHERE leader_lease.holder = EXCLUDED.holder OR leader_lease.lease_until < " + _NOW
    + " RETURNING holder"
)
_RENEW = ("UPDATE leader_lease SET lease_until = " + _NOW + " + $3"
          " WHERE name = $1 AND holder = $2")
_LET_GO = "DELETE FROM leader_lease WHERE name = $1 AND holder = $2"

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class LeaderLease:
    def __init__(self, connect: Connect, name: str, seconds: float = LEASE_SECONDS,
                 holder: str | None = None) -> None:
        self.connect = connect
        self.name = name
        self.seconds = seconds
        self.holder = holder or process_name()
        self.every = seconds / 3
        self._conn: asyncpg.Connection | None = None
        self._asked = False  # whether this process has written the row (or may have)

    @asynccontextmanager
    async def held(self) -> AsyncIterator[Lead]:
        """Wait until this process leads (trying every third of the lease); the ``Lead``
        says when it stops leading; let go on the way out."""
        loop = asyncio.get_running_loop()
        try:
            sent = loop.time()
            if not await self._take():
                log.info("another process leads %r: following (taking over when its "
                         "%.0f s lease runs out)", self.name, self.seconds)
                while True:
                    await asyncio.sleep(self.every)
                    sent = loop.time()
                    if await self._take():
                        break
                log.info("took over %r", self.name)
            lead = Lead()
            keeper = asyncio.create_task(self._keep(lead, sent + self.seconds),
                                         name="kneecoach-lead")
            try:
                yield lead
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
        finally:
            await asyncio.shield(self._let_go())

    async def _take(self) -> bool:
        self._asked = True
        try:
            conn = await self._connection()
            row = await asyncio.wait_for(
                conn.fetchrow(_TAKE, self.name, self.holder, self.seconds), self.seconds)
        except (OSError, TimeoutError, asyncpg.PostgresError,
                asyncpg.InterfaceError) as exc:
            log.warning("could not ask who leads %r (%s); trying again", self.name,
                        type(exc).__name__)
            await self._drop()
            return False
        return row is not None

    async def _keep(self, lead: Lead, deadline: float) -> None:
        """Renew until the row names another process or a renewal comes too late."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.every)
            sent = loop.time()
            if sent >= deadline:
                lead.lose(f"its {self.seconds:.0f} s lease ran out before it was renewed "
                          "(the process was frozen, or the database out of reach)")
                return
            try:
                conn = await self._connection()
                status = await asyncio.wait_for(
                    conn.execute(_RENEW, self.name, self.holder, self.seconds),
                    deadline - sent)
            except (OSError, TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                log.warning("could not renew the lead of %r (%s); trying again", self.name,
                            type(exc).__name__)
                await self._drop()
                continue
            if status.endswith(" 0"):
                lead.lose("another process took the lead over")
                return
            deadline = sent + self.seconds

    async def _let_go(self) -> None:
        """Delete the row if it is this process's (on a new connection if the kept one was
        cut short in the middle of a statement)."""
        for _ in range(2 if self._asked else 0):
            try:
                conn = await self._connection()
                await asyncio.wait_for(conn.execute(_LET_GO, self.name, self.holder), 5)
                break
            except Exception:
                await self._drop()
        await self._drop()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncio.wait_for(self.connect(), self.seconds)
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

"""The PostgreSQL backend (asyncpg): a pool of connections shared by the tasks of one process,
and by several processes through the database itself.

The repositories' statements are the same text as on SQLite (``?`` placeholders, rewritten
once per statement to ``$1, $2, ...``). Column types are the same in both schemas (TEXT
instants, INTEGER flags, TEXT JSON), so what a repository reads back is the same too. Where
the two differ:

- a transaction holds one pooled connection for the task that opened it (a context
  variable says which task; a nested transaction or turn of the same task is a savepoint);
- ``turn(person)``: this process's lock on the person (so that one person's queued turns
  do not take a connection each while they wait), then a transaction whose first statement
  is ``pg_advisory_xact_lock(hashtextextended(person, 0))``: no other process's turn of that
  person runs until it commits or rolls back;
- migrations: ``schema_migrations`` instead of ``PRAGMA user_version``, one transaction a
  migration, each beginning with an advisory lock, so processes starting together migrate
  once; a database newer than this code refuses to open;
- each session sets ``idle_in_transaction_session_timeout`` and TCP keepalives, so a frozen
  or partitioned worker cannot hold a person (or a claimed row) for long;
- ``notify``/``listen``: NOTIFY, and LISTEN on a connection of its own (not the pool's),
  pinged now and then and connected again (with backoff) when it drops;
- a connection goes back to the pool without asyncpg's reset query (``_keep_session``):
  nothing here leaves state in a pooled session (advisory locks are the transaction's,
  LISTEN has its own connection, the settings are the connection's from its start), and
  that query was one more round trip on every statement outside a transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.store.database import Lead, Row, Tx, held_by_this_task, refuse_nested_turn
from bot.store.leadership import LEASE_SECONDS, LeaderLease
from bot.store.locks import KeyedLocks
from bot.store.schema import migrations

log = logging.getLogger(__name__)

# The key of the migration lock (any constant no person's hash is likely to meet: persons
# lock with the two-argument form's 64-bit hash; this is a fixed one).
MIGRATION_LOCK = 0x6B6E65655F6D6967  # "knee_mig"

SESSION_SETTINGS = {
    "application_name": "kneecoach",
    # A worker frozen inside a transaction (SIGSTOP, a partition) gives its locks back.
    "idle_in_transaction_session_timeout": "60000",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}
PING_EVERY = 30.0  # seconds between two checks that the listening connection still works
RECONNECT_MAX = 30.0  # seconds between two attempts to connect it again, at most
LISTEN_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def masked(url: str) -> str:
    """The URL without its password (for logs and ``Database.path``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


@lru_cache(maxsize=4096)
def dialect(sql: str) -> str:
    """``?`` placeholders as ``$1, $2, ...`` (none is inside a string literal or a quoted
    name: those are skipped)."""
    out: list[str] = []
    number = 0
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A connection handed back to the pool as it is: asyncpg has already rolled back a
    transaction left open and dropped its callbacks; the reset query it would run next
    (unlock all advisory locks, close cursors, UNLISTEN, RESET ALL) undoes nothing this
    backend does to a pooled session, and costs a round trip per release."""


def _changed(status: str) -> int:
    """Rows a statement changed, from its command tag ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _PgTx:
    """Statements on the connection this task's transaction holds."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = await self._conn.fetch(dialect(sql), *params)
        return rows

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(dialect(sql), *params)
        return row

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _changed(await self._conn.execute(dialect(sql), *params))

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(p) for p in params]
        if batch:
            await self._conn.executemany(dialect(sql), batch)

    async def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._conn.execute(dialect(sql), *params)


@dataclass(slots=True)
class _Held:
    owner: asyncio.Task[Any] | None
    person: str | None
    conn: asyncpg.Connection


class SchemaMismatch(RuntimeError):
    """The database's schema is not the one this Kneecoach was built for."""


class PostgresDatabase:
    """A pool of asyncpg connections (``Database`` port); see the module's docstring."""

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._people = KeyedLocks()
        self._held: ContextVar[_Held | None] = ContextVar(f"kneecoach-pg-{id(self)}",
                                                          default=None)
        self.path = masked(url)
        self._url = url
        self.dialect = "postgres"
        # LISTEN: what each channel's notifications go to, the connection they come on.
        self._heard: dict[str, list[Callable[[str], None]]] = {}
        self._listening: asyncpg.Connection | None = None
        self._listener: asyncio.Task[None] | None = None
        self._tried = asyncio.Event()  # the listening connection's first attempt is over
        self._listen_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(
        cls, url: str, *, pool_max: int = 10, migrate: bool = True
    ) -> PostgresDatabase:
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=pool_max, server_settings=SESSION_SETTINGS,
            command_timeout=60, reset=_keep_session,
        )
        db = cls(pool, url)
        try:
            if migrate:
                await db.migrate()
            else:
                await db.check_version()
        except BaseException:
            await db.close()
            raise
        return db

    async def migrate(self) -> int:
        """Apply what is missing, one migration a transaction, each under the migration
        lock (a process that waited for it finds the work done and applies nothing)."""
        known = migrations("postgres")
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
            for number, name, sql in known:
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                    if number in await _applied(conn):
                        continue  # (another process applied it while this one waited)
                    await conn.execute(sql)  # several statements: one simple query
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        number, name,
                    )
                    log.info("database migrated to %03d (%s)", number, name)
            applied = await _applied(conn)
        _refuse_unknown(applied, known)
        return max(applied)

    async def version(self) -> int:
        """The newest migration applied (0: none)."""
        async with self._pool.acquire() as conn:
            if not await _has_table(conn, "schema_migrations"):
                return 0
            return max(await _applied(conn), default=0)

    async def check_version(self) -> None:
        """Refuse a schema other than this code's (a worker started before its deploy's
        ``kneecoach migrate``, or after a newer version migrated the database)."""
        known = migrations("postgres")
        async with self._pool.acquire() as conn:
            applied = (await _applied(conn) if await _has_table(conn, "schema_migrations")
                       else set())
        _refuse_unknown(applied, known)
        missing = [number for number, _, _ in known if number not in applied]
        if missing:
            raise SchemaMismatch(
                f"the database lacks migration(s) {', '.join(f'{n:03d}' for n in missing)}"
                " of this Kneecoach: run `kneecoach migrate` first"
            )

    async def close(self) -> None:
        self._closed = True
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        await self._pool.close()

    def _mine(self) -> _Held | None:
        return held_by_this_task(self._held)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        held = self._mine()
        if held is not None:
            async with held.conn.transaction():  # nested: a savepoint
                yield _PgTx(held.conn)
            return
        async with self._begin(None) as tx:
            yield tx

    @asynccontextmanager
    async def turn(self, person: str) -> AsyncIterator[Tx]:
        held = self._mine()
        if held is not None:
            refuse_nested_turn(held.person, person)
            async with held.conn.transaction():
                yield _PgTx(held.conn)
            return
        async with self._people.hold(person), self._begin(person) as tx:
            yield tx

    @asynccontextmanager
    async def _begin(self, person: str | None) -> AsyncIterator[Tx]:
        async with self._pool.acquire() as conn, conn.transaction():
            if person is not None:
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", person
                )
            token = self._held.set(_Held(asyncio.current_task(), person, conn))
            try:
                yield _PgTx(conn)
            finally:
                self._held.reset(token)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        held = self._mine()
        if held is not None:
            return await _PgTx(held.conn).fetchall(sql, params)
        rows: list[Row] = await self._pool.fetch(dialect(sql), *params)
        return rows

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        held = self._mine()
        if held is not None:
            return await _PgTx(held.conn).fetchone(sql, params)
        row: Row | None = await self._pool.fetchrow(dialect(sql), *params)
        return row

    async def fetchone_apart(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """One statement on a pooled connection of its own, committed at once, even when
        this task is inside a transaction (a row every process waits on, like the send
        budget's, must never stay locked until someone's turn ends)."""
        row: Row | None = await self._pool.fetchrow(dialect(sql), *params)
        return row

    async def execute(self, sql: str, params: Sequence[Any] = (), *, urgent: bool = False) -> int:
        """One statement (autocommit on a pooled connection, or in this task's transaction).
        ``urgent`` needs nothing here: nobody queues for the one connection."""
        held = self._mine()
        if held is not None:
            return await _PgTx(held.conn).execute(sql, params)
        return _changed(await self._pool.execute(dialect(sql), *params))

    async def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self.execute(sql, params)

    @asynccontextmanager
    async def leadership(self, name: str, lease: float = LEASE_SECONDS) -> AsyncIterator[Lead]:
        """A lease on ``name`` (``bot.store.leadership``), renewed on a connection of its
        own while held."""
        async with LeaderLease(self._connect, name, lease).held() as lead:
            yield lead

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self._url, server_settings=SESSION_SETTINGS)

    async def notify(self, channel: str, payload: str) -> None:
        await self.execute("SELECT pg_notify(?, ?)", (channel, payload))

    async def listen(
        self, channel: str, heard: Callable[[str], None]
    ) -> Callable[[], Awaitable[None]]:
        async with self._listen_lock:
            callbacks = self._heard.setdefault(channel, [])
            callbacks.append(heard)
            if self._listener is None:
                self._listener = asyncio.create_task(self._keep_listening(),
                                                     name="kneecoach-pg-listen")
            elif len(callbacks) == 1 and self._listening is not None:
                with contextlib.suppress(*LISTEN_ERRORS):  # (connected again with it)
                    await self._listening.add_listener(channel, self._deliver)
        await self._tried.wait()

        async def stop() -> None:
            async with self._listen_lock:
                callbacks = self._heard.get(channel, [])
                if heard in callbacks:
                    callbacks.remove(heard)
                if not callbacks:
                    self._heard.pop(channel, None)
                    if self._listening is not None:
                        with contextlib.suppress(*LISTEN_ERRORS):
                            await self._listening.remove_listener(channel, self._deliver)

        return stop

    def _deliver(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for heard in list(self._heard.get(channel, ())):
            try:
                heard(payload)
            except Exception as exc:  # one listener's bug must not silence the others
                log.error("a notification on %s could not be handled (%s)", channel,
                          type(exc).__name__)

    async def _keep_listening(self) -> None:
        """The listening connection: connected, LISTENing on every channel asked for, pinged
        every ``PING_EVERY`` seconds; when it drops (or a ping fails), connected again."""
        delay = 0.0
        while not self._closed:
            lost = asyncio.Event()
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._url, server_settings=SESSION_SETTINGS,
                                             timeout=10)
                conn.add_termination_listener(lambda _conn, gone=lost: gone.set())
                async with self._listen_lock:
                    for channel in self._heard:
                        await conn.add_listener(channel, self._deliver)
                    self._listening = conn
                if delay:
                    log.info("notifications: listening again")
                delay = 0.0
                self._tried.set()
                while not self._closed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), PING_EVERY)
                    if lost.is_set():
                        raise ConnectionError("the listening connection closed")
                    await conn.fetchval("SELECT 1", timeout=10)
            except (*LISTEN_ERRORS, ConnectionError) as exc:
                self._tried.set()
                if self._closed:
                    break
                log.warning("notifications: not listening (%s); connecting again in %.0f s",
                            type(exc).__name__, delay)
            finally:
                self._listening = None
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(*LISTEN_ERRORS):
                        await conn.close(timeout=5)
            await asyncio.sleep(delay)
            delay = min(max(1.0, delay * 2), RECONNECT_MAX)

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " AND table_name <> 'schema_migrations' ORDER BY table_name"
        )
        return [str(r[0]) for r in rows]

    async def columns(self, table: str) -> list[str]:
        rows = await self.fetchall(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?"
            " ORDER BY ordinal_position",
            (table,),
        )
        return [str(r[0]) for r in rows]


async def _has_table(conn: asyncpg.Connection, name: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_name = $1", name,
    )
    return found is not None


async def _applied(conn: asyncpg.Connection) -> set[int]:
    return {int(r[0]) for r in await conn.fetch("SELECT version FROM schema_migrations")}


def _refuse_unknown(applied: set[int], known: list[tuple[int, str, str]]) -> None:
    unknown = sorted(applied - {number for number, _, _ in known})
    if unknown:
        raise SchemaMismatch(
            f"the database has migration(s) {', '.join(f'{n:03d}' for n in unknown)},"
            " newer than this Kneecoach: run the newer version, or restore a backup"
        )

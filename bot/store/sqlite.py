"""The SQLite backend: one connection per process, WAL, busy timeout, foreign keys, migrations,
and turns (a person's lock, then one transaction)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.database import Lead, Row, Tx, held_by_this_task, refuse_nested_turn
from bot.store.locks import KeyedLocks
from bot.store.schema import migrations, split_sql

__all__ = ["SQLiteDatabase", "migrations"]

def _create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class _SQLiteTx:
    """Statements on the connection while this task holds a transaction."""

    def __init__(self, db: SQLiteDatabase, held: _Held) -> None:
        self._db = db
        self._held = held

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = await self._db._run(self._held, _fetch, sql, tuple(params))
        return rows

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        changed: int = await self._db._run(self._held, _change, sql, tuple(params))
        return changed

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        await self._db._run(self._held, _change_many, sql, [tuple(p) for p in params])

    async def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._held.owed.append((sql, tuple(params)))


def _control(sql: str) -> bool:
    return sql.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"))


# What runs on aiosqlite's thread: what a transaction still owes (BEGIN, SAVEPOINT, RELEASE,
# writes whose result nobody reads), then one statement, in a single trip to the thread.

Owed = list[tuple[str, tuple[Any, ...]]]


def _pay(raw: sqlite3.Connection, owed: Owed) -> None:
    for sql, params in owed:
        raw.execute(sql, params)


def _fetch(raw: sqlite3.Connection, owed: Owed, sql: str, params: Any) -> list[Any]:
    _pay(raw, owed)
    return raw.execute(sql, params).fetchall()


def _change(raw: sqlite3.Connection, owed: Owed, sql: str, params: Any) -> int:
    _pay(raw, owed)
    return int(raw.execute(sql, params).rowcount)


def _change_many(raw: sqlite3.Connection, owed: Owed, sql: str, params: Any) -> int:
    _pay(raw, owed)
    return int(raw.executemany(sql, params).rowcount)


class _StoreLock:
    """The connection's lock, first come first served, except that an urgent holder goes
    before everyone still waiting (never before the one holding it). The lock is handed to
    the next waiter directly on release."""

    def __init__(self) -> None:
        self._locked = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._waiting: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def hold(self, urgent: bool = False) -> AsyncIterator[None]:
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._locked and not self._urgent and not self._waiting:
            self._locked = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._waiting
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # handed the lock just as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(future)
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._waiting):
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # still locked: it is theirs now
                    return
        self._locked = False


@dataclass(slots=True)
class _Held:
    """The transaction a task holds on the connection (and whose turn it is).

    ``owed``: statements not sent yet (BEGIN IMMEDIATE, SAVEPOINT, RELEASE, and writes whose
    result nobody reads, ``Database.write``): they go with the next statement, in the same
    trip to aiosqlite's thread (a trip costs more than the statements themselves), or at the
    end of the savepoint or transaction; ``begun``: BEGIN has been sent.
    """

    owner: asyncio.Task[Any] | None
    person: str | None
    savepoints: int = 0
    owed: Owed = field(default_factory=list)
    begun: bool = False


class SQLiteDatabase:
    """A single aiosqlite connection shared by the whole process (``Database`` port).

    Every statement goes through one asyncio lock, so a transaction opened by one coroutine
    is never interleaved with another coroutine's statements on the same connection. The
    task that holds a transaction runs its statements on it directly: ``_held`` (a context
    variable, so each task sees its own) says which task that is. A person's turn takes
    their lock (``KeyedLocks``: one process holds the file) before the connection's.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = _StoreLock()
        self._people = KeyedLocks()
        self._held: ContextVar[_Held | None] = ContextVar(f"kneecoach-tx-{id(self)}",
                                                          default=None)
        self.path = path
        self.dialect = "sqlite"

    @classmethod
    async def open(cls, path: str | Path) -> SQLiteDatabase:
        # aiosqlite logs every statement with its values at DEBUG: what people type must
        # never reach a log, whatever the level.
        logging.getLogger("aiosqlite").setLevel(logging.INFO)
        target = str(path)
        if target != ":memory:":
            _create_private_file(Path(target))
        conn = await aiosqlite.connect(target, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        db = cls(conn, target)
        try:
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        if target != ":memory:":
            await asyncio.to_thread(_protect_sidecars, target)
        return db

    async def migrate(self) -> int:
        """Apply every shipped migration not applied yet, each in one transaction; the
        newest number applied (also kept in ``PRAGMA user_version``). ``schema_migrations``
        lists what was applied, so a migration numbered below the newest (numbers are
        handed out to branches worked on in parallel) is still applied when it arrives."""
        async with self._lock.hold():
            cursor = await self._conn.execute("PRAGMA user_version")
            row = await cursor.fetchone()
            current = int(row[0]) if row else 0
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT"
                " (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
            )
            applied = {int(r[0]) for r in await self._conn.execute_fetchall(
                "SELECT version FROM schema_migrations")}
            known = migrations()
            if not applied and current:  # a file from before the table: user_version says
                applied = {number for number, _, _ in known if number <= current}
                await self._conn.executemany(
                    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    [(number, name) for number, name, _ in known if number in applied],
                )
            for number, name, sql in known:
                if number in applied:
                    continue
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in split_sql(sql):
                        await self._conn.execute(statement)
                    await self._conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        (number, name),
                    )
                    current = max(current, number)
                    await self._conn.execute(f"PRAGMA user_version={current}")
                    await self._conn.execute("COMMIT")
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
            return current

    async def close(self) -> None:
        await self._conn.close()

    def _mine(self) -> _Held | None:
        return held_by_this_task(self._held)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """BEGIN IMMEDIATE ... COMMIT (or ROLLBACK on error), holding the process lock; a
        savepoint when this task already holds a transaction."""
        held = self._mine()
        if held is not None:
            async with self._savepoint(held) as tx:
                yield tx
            return
        async with self._lock.hold(), self._begin(None) as tx:
            yield tx

    @asynccontextmanager
    async def turn(self, person: str) -> AsyncIterator[Tx]:
        """``person``'s lock, then one transaction (see ``Database.turn``)."""
        held = self._mine()
        if held is not None:
            refuse_nested_turn(held.person, person)
            async with self._savepoint(held) as tx:
                yield tx
            return
        async with self._people.hold(person), self._lock.hold(), self._begin(person) as tx:
            yield tx

    @asynccontextmanager
    async def _begin(self, person: str | None) -> AsyncIterator[Tx]:
        held = _Held(asyncio.current_task(), person, owed=[("BEGIN IMMEDIATE", ())])
        token = self._held.set(held)
        try:
            try:
                yield _SQLiteTx(self, held)
            except BaseException:
                if held.begun:
                    await self._send([("ROLLBACK", ())])
                raise
            if held.begun or len(held.owed) > 1:  # a transaction that ran nothing: no-op
                owed, held.owed = held.owed, []
                try:
                    await self._send([*owed, ("COMMIT", ())])
                except BaseException:
                    # A write that went out with the COMMIT failed: the COMMIT did not run.
                    with contextlib.suppress(sqlite3.Error):
                        await self._send([("ROLLBACK", ())])
                    raise
        finally:
            self._held.reset(token)

    @asynccontextmanager
    async def _savepoint(self, held: _Held) -> AsyncIterator[Tx]:
        held.savepoints += 1
        name = f"sp{held.savepoints}"
        opening = (f"SAVEPOINT {name}", ())
        held.owed.append(opening)
        try:
            try:
                yield _SQLiteTx(self, held)
            except BaseException:
                self._undo(held, opening, name)
                raise
            if any(o is opening for o in held.owed):
                start = next(i for i, o in enumerate(held.owed) if o is opening)
                if start == len(held.owed) - 1:  # nothing ran or was written inside
                    del held.owed[start:]
                    return
            if len(held.owed) > 0 and any(not _control(sql) for sql, _ in held.owed):
                # Writes owed from inside: sent now, so an error in them is this
                # savepoint's (and is undone by it), not the caller's.
                owed, held.owed = [*held.owed, (f"RELEASE {name}", ())], []
                held.begun = True
                try:
                    await self._send(owed)
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):  # (if the SAVEPOINT ran at all)
                        await self._send([(f"ROLLBACK TO {name}", ()), (f"RELEASE {name}", ())])
                    raise
            else:
                held.owed.append((f"RELEASE {name}", ()))
        finally:
            held.savepoints -= 1

    @staticmethod
    def _undo(held: _Held, opening: tuple[str, tuple[Any, ...]], name: str) -> None:
        """An error inside a savepoint: what it owes is dropped, what it ran is undone."""
        start = next((i for i, o in enumerate(held.owed) if o is opening), None)
        if start is not None:  # nothing inside reached the database
            del held.owed[start:]
        else:  # everything owed now was added inside it, after its opening went out
            held.owed = [(f"ROLLBACK TO {name}", ()), (f"RELEASE {name}", ())]

    async def _send(self, owed: Owed) -> None:
        await self._in_thread(_pay, self._conn._conn, owed)

    async def _run(self, held: _Held, fn: Any, sql: str, params: Any) -> Any:
        """One statement of ``held``'s transaction, after what it owes, in one trip.

        aiosqlite's ``_execute`` (queue a function for its thread) is the one private name
        used: its public helpers take one statement per trip."""
        owed, held.owed = held.owed, []
        held.begun = True
        return await self._in_thread(fn, self._conn._conn, owed, sql, params)

    @property
    def _in_thread(self) -> Callable[..., Awaitable[Any]]:
        run: Callable[..., Awaitable[Any]] = self._conn._execute
        return run

    # One statement is atomic on its own in SQLite's autocommit mode, so the single-statement
    # helpers below cost one trip to aiosqlite's thread instead of three (BEGIN, it, COMMIT).
    # Inside this task's transaction or turn they are part of it.

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        held = self._mine()
        if held is not None:
            rows: list[Row] = await self._run(held, _fetch, sql, tuple(params))
            return rows
        async with self._lock.hold():
            return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Any] = (), *, urgent: bool = False) -> int:
        """Run one statement atomically; returns how many rows it changed (``urgent``: before
        the transactions waiting for the connection, see ``Database.execute``)."""
        held = self._mine()
        if held is not None:
            changed: int = await self._run(held, _change, sql, tuple(params))
            return changed
        async with self._lock.hold(urgent):
            cursor = await self._conn.execute(sql, tuple(params))
            return cursor.rowcount

    async def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write whose result nobody reads: inside this task's transaction it is sent with
        the statement after it (or when the savepoint or transaction ends), in one trip."""
        held = self._mine()
        if held is not None:
            held.owed.append((sql, tuple(params)))
            return
        async with self._lock.hold():
            await self._conn.execute(sql, tuple(params))

    @asynccontextmanager
    async def leadership(self, name: str, lease: float = 15.0) -> AsyncIterator[Lead]:
        """Nothing to wait for: the file's lock already made this the one process."""
        yield Lead()

    async def notify(self, channel: str, payload: str) -> None:
        """Nobody else has the file: nothing to tell."""

    async def listen(
        self, channel: str, heard: Callable[[str], None]
    ) -> Callable[[], Awaitable[None]]:
        """Nobody else has the file: nothing ever comes."""

        async def stop() -> None:
            return None

        return stop

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            " AND name <> 'schema_migrations'"
        )
        return [str(r["name"]) for r in rows]

    async def columns(self, table: str) -> list[str]:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
            raise ValueError(f"bad table name {table!r}")
        rows = await self.fetchall(f"PRAGMA table_info({table})")
        return [str(r["name"]) for r in rows]


def _protect_sidecars(target: str) -> None:
    """The WAL and shared-memory files hold the same data: owner-only too."""
    for suffix in ("-wal", "-shm"):
        side = Path(target + suffix)
        if side.exists():
            os.chmod(side, 0o600)

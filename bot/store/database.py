"""The database port the repositories speak: a few statement helpers, transactions, turns.

Repositories (``users``, ``programme``, ``clubs``, ``outbox``, ``inbox``, ``dm_channels``)
hold all of the project's SQL, written once in a portable dialect (``?`` placeholders,
``ON CONFLICT`` with a target, ``RETURNING``). A backend implements ``Database``: today
SQLite (``bot.store.sqlite``). The engine and the scheduler use repositories, never a backend.

A turn (``turn(person)``) is one person's business done as a unit: no other turn of theirs
runs meanwhile, and every statement the turn's task runs (through any repository, with the
plain helpers below) is part of one transaction that commits or rolls back as a whole. A
transaction or turn opened inside a turn of the same person is a savepoint: it rolls back
alone, and commits with the outer one. That is how a coach's turn, the inbox row it answers
and the replies it leaves to send are kept together (docs/DESIGN.md, "Nothing lost, nothing
doubled").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar


class Row(Protocol):
    """One result row, readable by column name or position."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Tx(Protocol):
    """Statements inside one transaction."""

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; how many rows it changed."""
        ...

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None: ...

    async def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write whose result nobody reads (see ``Database.write``)."""
        ...


class Database(Protocol):
    """One process's handle on the store. Single statements are atomic on their own."""

    path: str
    # "sqlite" (one process holds the file) or "postgres" (several processes share it): the
    # few statements that claim work differ (``FOR UPDATE SKIP LOCKED`` in batches there).
    dialect: str

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Sequence[Any] = (), *, urgent: bool = False) -> int:
        """Run one statement atomically; how many rows it changed. ``urgent``: a small write
        that must not wait behind the turns queued for the store (the record that the
        platform has a message: until it is written, a crash would send that message
        again), so it goes right after the transaction in hand."""
        ...

    async def write(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write whose result nobody reads. Inside a transaction it may be sent with the
        statement after it, or at the end of the (sub)transaction, in one trip: an error in
        it surfaces there, still inside that transaction."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """Every statement inside commits together, or none does (inside a turn or another
        transaction of the same task: a savepoint)."""
        ...

    def turn(self, person: str) -> AbstractAsyncContextManager[Tx]:
        """``person``'s turn: their lock, then one transaction that every statement of this
        task joins until it ends. Nested in a turn of the same person: a savepoint. A turn
        is never opened inside a transaction that is not a turn, nor inside another
        person's turn (locks are always taken person first, then the store)."""
        ...

    def leadership(self, name: str, lease: float = 15.0) -> AbstractAsyncContextManager[Lead]:
        """Held while this process is the one that does ``name`` (``kneecoach run``'s
        polling, gateway and scheduler); entering waits while another process holds it.
        PostgreSQL: a lease of ``lease`` seconds, renewed while held, taken over once it runs
        out; the ``Lead`` says when this process lost it (``bot.store.leadership``).
        SQLite: at once and for good (one process has the file)."""
        ...

    async def notify(self, channel: str, payload: str) -> None:
        """Tell every process listening on ``channel`` (PostgreSQL NOTIFY; inside a
        transaction it goes out at COMMIT). SQLite: nobody else to tell, nothing is sent."""
        ...

    async def listen(
        self, channel: str, heard: Callable[[str], None]
    ) -> Callable[[], Awaitable[None]]:
        """Call ``heard`` with the payload of every notification on ``channel`` (this
        process's own too) until the returned function is awaited. Best effort: a
        notification sent while the listening connection was down is not heard (it is
        connected again, with backoff). SQLite: nothing ever comes."""
        ...

    async def tables(self) -> list[str]: ...

    async def columns(self, table: str) -> list[str]: ...

    async def close(self) -> None: ...


class Lead:
    """This process leads until ``lost()`` returns (why, in words fit for a log)."""

    def __init__(self) -> None:
        self._lost = asyncio.Event()
        self.why = ""

    async def lost(self) -> str:
        await self._lost.wait()
        return self.why

    def lose(self, why: str) -> None:
        if not self._lost.is_set():
            self.why = why
            self._lost.set()


class HeldBy(Protocol):
    """What a backend records of the transaction a task holds."""

    @property
    def owner(self) -> asyncio.Task[Any] | None: ...


H = TypeVar("H", bound=HeldBy)


def held_by_this_task(held: ContextVar[H | None]) -> H | None:
    """The transaction this task holds, if any (a child task inherits the variable but is
    not its owner: it waits for the lock like anyone else). Both backends ask it."""
    current = held.get()
    if current is not None and current.owner is asyncio.current_task():
        return current
    return None


def refuse_nested_turn(held: str | None, person: str) -> None:
    """A turn nests only in a turn of the same person (``held``: whose turn this task is
    in, ``None`` for a plain transaction): anything else would take locks out of order."""
    if held != person:
        raise RuntimeError(
            "a turn may only be nested in a turn of the same person"
            if held is not None
            else "a turn cannot start inside a plain transaction (lock order)"
        )

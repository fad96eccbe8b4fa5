"""The database port the repositories speak: a few statement helpers and transactions.

Repositories (``users``, ``programme``, ``clubs``, ``outbox``, ``dm_channels``) hold all of
the project's SQL, written once in a portable dialect (``?`` placeholders, ``ON CONFLICT``
with a target, ``RETURNING``). A backend implements ``Database``: today SQLite
(``bot.store.sqlite``). The engine and the scheduler use repositories, never a backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol


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


class Database(Protocol):
    """One process's handle on the store. Single statements are atomic on their own."""

    path: str

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement atomically; how many rows it changed."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """Every statement inside commits together, or none does."""
        ...

    async def tables(self) -> list[str]: ...

    async def columns(self, table: str) -> list[str]: ...

    async def close(self) -> None: ...

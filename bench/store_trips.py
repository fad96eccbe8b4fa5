"""How many trips to aiosqlite's thread the bot makes: every statement (or batch of
statements sent together) that the event loop hands to the SQLite connection's thread and
waits for. Each trip costs the loop a queue hand-off and a wake-up from the thread, on top
of the statements' own work, so the count says how much of the store's cost is trips.

``Trips.installed()`` wraps ``aiosqlite.Connection._execute`` (the one method every
statement of aiosqlite's goes through) for as long as it is open; ``count`` is the running
total, read before and after a measured window.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import aiosqlite


class Trips:
    def __init__(self) -> None:
        self.count = 0

    @contextlib.contextmanager
    def installed(self) -> Iterator[Trips]:
        connection: Any = aiosqlite.Connection
        original = connection._execute

        async def _execute(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(conn, fn, *args, **kwargs)

        connection._execute = _execute
        try:
            yield self
        finally:
            connection._execute = original

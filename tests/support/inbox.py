"""The real inbox dispatcher for tests: on the coach's own store, or on one in memory (for a
scripted coach that has no store)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot.domain.clock import Clock, SystemClock
from bot.engine.ports import CoachPort
from bot.schedule.inbox import Dispatcher
from bot.store.sqlite import SQLiteDatabase
from bot.store.stores import Stores


@contextlib.asynccontextmanager
async def open_inbox(
    coach: CoachPort, *, stores: Stores | None = None, clock: Clock | None = None, **kwargs: Any
) -> AsyncIterator[Dispatcher]:
    """A running ``Dispatcher`` for ``coach``; senders are added by the caller
    (``inbox.senders[platform] = adapter``). Stopped (and its memory store closed) on exit."""
    db: SQLiteDatabase | None = None
    if stores is None:
        db = await SQLiteDatabase.open(":memory:")
        stores = Stores.over(db)
    inbox = Dispatcher(stores, coach, clock or SystemClock(), **kwargs)
    try:
        yield inbox
    finally:
        await inbox.stop(2.0)
        if db is not None:
            await db.close()

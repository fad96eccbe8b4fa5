"""The composition root of the engine: the coach with its features on the given stores. A
new feature is its own files under ``bot/engine/features/`` plus one line in ``features``."""

from __future__ import annotations

from pathlib import Path

from bot.content import Bundle, load_bundle
from bot.domain.clock import Clock, SystemClock
from bot.engine.coach import Coach
from bot.engine.feature import Feature
from bot.engine.features.club import Club
from bot.engine.features.intake import Intake
from bot.engine.features.library import Library
from bot.engine.features.navigation import Navigation
from bot.engine.features.privacy import Privacy
from bot.engine.features.programme import Programme
from bot.engine.layout import Layout
from bot.engine.screener import Screener
from bot.engine.textbook import TextBook
from bot.store.sqlite import SQLiteDatabase
from bot.store.stores import Stores


def layout() -> Layout:
    """Buttons laid out for the narrowest door."""
    from bot.platforms import all_capabilities

    return Layout(row_limit=min(c.buttons_per_row for c in all_capabilities()))


def features(bundle: Bundle, stores: Stores, clock: Clock, rows: Layout) -> list[Feature]:
    """The coach's features, in the order their commands are tried (a new feature is one
    line here)."""
    return [
        Intake(stores.programme),
        Navigation(),
        Library(),
        Privacy(),
        Programme(stores.programme, stores.progression, stores.outcomes),
        Club(bundle, stores.clubs, TextBook(bundle.content(), bundle.prefill, rows), clock,
             stores.outbox),
    ]


def assemble(
    bundle: Bundle, stores: Stores, clock: Clock, screener: Screener | None = None
) -> Coach:
    """The coach with its features, on the given stores (``screener``: rules already
    compiled from this bundle, else they are compiled here)."""
    rows = layout()
    return Coach(bundle, stores, clock, features(bundle, stores, clock, rows), rows, screener)


async def open_coach(
    db_path: str | Path,
    clock: Clock | None = None,
    bundle: Bundle | None = None,
    screener: Screener | None = None,
) -> Coach:
    """A coach on a SQLite file (made if missing); ``close()`` closes it."""
    content = bundle or load_bundle()
    db = await SQLiteDatabase.open(db_path)
    return assemble(content, Stores.over(db), clock or SystemClock(), screener)

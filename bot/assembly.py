"""The composition root of the engine: the coach with its features on the given stores. A
new feature is its own files under ``bot/engine/features/`` plus one line in ``features``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from bot.config import cache_beside
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
from bot.engine.features.summary import Summary
from bot.engine.layout import Layout
from bot.engine.screener import Screener
from bot.engine.textbook import TextBook
from bot.pictures.library import PictureLibrary
from bot.store.backends import is_shared, open_database
from bot.store.outbox import LEASE
from bot.store.stores import Stores


def layout() -> Layout:
    """Buttons laid out, and messages held, within the narrowest door."""
    from bot.platforms import all_capabilities

    doors = all_capabilities()
    return Layout(row_limit=min(c.buttons_per_row for c in doors),
                  max_text=min(c.max_text for c in doors),
                  max_rows=min(c.button_rows for c in doors))


def send_rates() -> dict[str, float]:
    """Messages a second each door sends reminders at, by the platforms' own limits."""
    from bot.platforms import send_rates as rates

    return rates()


def features(
    bundle: Bundle, stores: Stores, clock: Clock, rows: Layout, pictures: PictureLibrary,
    rates: Mapping[str, float] | None = None,
) -> list[Feature]:
    """The coach's features, in the order their commands are tried (a new feature is one
    line here). ``rates``: messages a second each platform sends reminders at (quieter
    times are offered where a minute is busy at that rate)."""
    return [
        Intake(stores.programme),
        Navigation(),
        Library(pictures),
        Privacy(),
        Summary(stores.programme, stores.progression, stores.outcomes),
        Programme(stores.programme, stores.progression, stores.outcomes, stores.load,
                  rates if rates is not None else send_rates()),
        Club(bundle, stores.clubs, TextBook(bundle.content(), bundle.prefill, rows), clock,
             stores.outbox),
    ]


def assemble(
    bundle: Bundle,
    stores: Stores,
    clock: Clock,
    screener: Screener | None = None,
    pictures: PictureLibrary | None = None,
    rates: Mapping[str, float] | None = None,
) -> Coach:
    """The coach with its features, on the given stores (``screener``: rules already
    compiled from this bundle, else they are compiled here; ``pictures``: the exercise
    pictures, else drawn and kept in memory only; ``rates``: messages a second each
    platform sends reminders at, else the platforms' own limits)."""
    rows = layout()
    library = pictures or PictureLibrary(bundle.poses)
    return Coach(bundle, stores, clock, features(bundle, stores, clock, rows, library, rates),
                 rows, screener)


async def open_coach(
    db_path: str | Path,
    clock: Clock | None = None,
    bundle: Bundle | None = None,
    screener: Screener | None = None,
    pictures: PictureLibrary | None = None,
    *,
    pool_max: int = 10,
    rates: Mapping[str, float] | None = None,
    lease: timedelta = LEASE,
) -> Coach:
    """A coach on a SQLite file (made if missing) or a PostgreSQL URL; ``close()`` closes
    it. Exercise pictures are cached in a folder beside the file (in memory only for
    ``:memory:`` and PostgreSQL). ``lease``: how long work taken from a shared database
    stays this process's (KNEECOACH_LEASE_SECONDS)."""
    content = bundle or load_bundle()
    db = await open_database(db_path, pool_max=pool_max)
    if pictures is None:
        memory_only = str(db_path) == ":memory:" or is_shared(db_path)
        cache_dir = None if memory_only else cache_beside(Path(db_path))
        pictures = PictureLibrary(content.poses, cache_dir / "pictures" if cache_dir else None)
    return assemble(content, Stores.over(db, lease=lease), clock or SystemClock(), screener,
                    pictures, rates)

"""Which backend a database target names: a ``postgresql://`` URL is PostgreSQL (asyncpg),
anything else a SQLite file (or ``:memory:``), the default. Only the composition root and
the command line open a database; everything else sees the ``Database`` port."""

from __future__ import annotations

from pathlib import Path

from bot.store.database import Database
from bot.store.postgres import PostgresDatabase, is_postgres_url
from bot.store.sqlite import SQLiteDatabase

Target = str | Path


def is_shared(target: Target) -> bool:
    """True for a database several processes may share (PostgreSQL)."""
    return is_postgres_url(target)


async def open_database(target: Target, *, migrate: bool = True, pool_max: int = 10) -> Database:
    """The store at ``target``, migrated to this version's schema (``migrate=False`` on
    PostgreSQL: refuse any other schema instead, as a worker started before its deploy's
    ``kneecoach migrate`` should)."""
    if isinstance(target, str) and is_postgres_url(target):
        return await PostgresDatabase.open(target, migrate=migrate, pool_max=pool_max)
    return await SQLiteDatabase.open(target)


async def migrate(target: Target) -> int:
    """Bring the store at ``target`` to this version's schema; the version it is at."""
    db = await open_database(target)
    try:
        if isinstance(db, PostgresDatabase):
            return await db.version()
        assert isinstance(db, SQLiteDatabase)
        return await db.migrate()
    finally:
        await db.close()

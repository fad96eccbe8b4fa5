"""Two backends, one store: the PostgreSQL migrations reach the SQLite schema, processes
starting together migrate once, a schema from a newer version is refused, and a second
process on one SQLite file refuses to start (PostgreSQL's do not)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from bot.store.backends import open_database
from bot.store.introspect import describe
from bot.store.maintenance import BotRunning, RunLock
from bot.store.postgres import PostgresDatabase, SchemaMismatch, dialect, masked
from bot.store.schema import migrations
from bot.store.sqlite import SQLiteDatabase
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]


async def kneecoach(*args: str, env: dict[str, str] | None = None,
                    stdin: bytes = b"") -> tuple[int, str]:
    """A real `kneecoach` process; its exit code and what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=ROOT,
        env={**os.environ, "KNEECOACH_LOG_LEVEL": "WARNING", **(env or {})},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(stdin), 120)
    return int(process.returncode or 0), out.decode()


def test_the_migrations_are_numbered_alike() -> None:
    sqlite = [(n, name) for n, name, _ in migrations("sqlite")]
    postgres = [(n, name) for n, name, _ in migrations("postgres")]
    assert sqlite == postgres


async def test_both_backends_reach_the_same_schema(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    lite = await SQLiteDatabase.open(tmp_path / "k.db")
    pg = await open_database(await postgres.new_database(migrated=False))
    try:
        a, b = await describe(lite), await describe(pg)
    finally:
        await lite.close()
        await pg.close()
    assert len(a.tables) >= 20
    assert a.tables == b.tables
    assert a.columns == b.columns
    assert a.primary_keys == b.primary_keys
    assert a.unique == b.unique
    assert a.indexes == b.indexes
    assert a.foreign_keys == b.foreign_keys


async def test_processes_starting_together_migrate_once(postgres: PostgresServer) -> None:
    url = await postgres.new_database(migrated=False)
    results = await asyncio.gather(*(kneecoach("migrate", "--db", url) for _ in range(3)))
    newest = migrations("postgres")[-1][0]
    for code, out in results:
        assert code == 0, out
        assert f"schema {newest:03d}" in out
    conn = await asyncpg.connect(url)
    try:
        versions = [r[0] for r in await conn.fetch(
            "SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await conn.close()
    assert versions == [n for n, _, _ in migrations("postgres")]  # each applied once


async def test_sqlite_applies_a_migration_numbered_below_the_newest_when_it_arrives(
    tmp_path: Path,
) -> None:
    """Numbers are handed out to branches in parallel: one that merges later (a lower
    number) is still applied; a file from before the bookkeeping table is not migrated
    again."""
    path = tmp_path / "k.db"
    db = await SQLiteDatabase.open(path)
    await db.execute("DROP TABLE function_checks")  # as if 007 had not arrived yet
    await db.execute("DELETE FROM schema_migrations WHERE version = 7")
    await db.close()
    db = await SQLiteDatabase.open(path)
    try:
        assert "function_checks" in await db.tables()
        await db.execute("DROP TABLE schema_migrations")  # a file from before the table
    finally:
        await db.close()
    db = await SQLiteDatabase.open(path)  # user_version says what was applied
    try:
        rows = await db.fetchall("SELECT version FROM schema_migrations ORDER BY version")
        assert [r[0] for r in rows] == [n for n, _, _ in migrations("sqlite")]
    finally:
        await db.close()


async def test_a_database_from_a_newer_version_is_refused(postgres: PostgresServer) -> None:
    url = await postgres.new_database()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, 'x')")
    finally:
        await conn.close()
    with pytest.raises(SchemaMismatch, match="newer than this Kneecoach"):
        await PostgresDatabase.open(url)


async def test_a_worker_refuses_a_database_not_migrated_yet(postgres: PostgresServer) -> None:
    url = await postgres.new_database(migrated=False)
    with pytest.raises(SchemaMismatch, match="run `kneecoach migrate` first"):
        await open_database(url, migrate=False)


async def test_a_second_process_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    """`kneecoach run` and `chat` hold the file's lock (``RunLock``) while they run."""
    path = tmp_path / "k.db"
    with RunLock(path):  # as a running `kneecoach run` holds it
        code, out = await kneecoach("chat", "--db", str(path), "--script", "-",
                                    stdin=b"/start\n")
        assert code == 1
        assert f"a bot is running on this database (pid {os.getpid()})" in out
        assert "KNEECOACH_DATABASE_URL" in out and "Traceback" not in out
        code, out = await kneecoach("run", env={"KNEECOACH_DB": str(path),
                                                "TELEGRAM_BOT_TOKEN": "1:x"})
        assert code == 1 and "a bot is running on this database" in out
        assert "nothing was started" in out
    code, out = await kneecoach("chat", "--db", str(path), "--script", "-",
                                stdin=b"/start\n")  # free again
    assert code == 0, out


async def test_the_lock_goes_with_a_process_that_dies(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import time; from pathlib import Path; from bot.store.maintenance import RunLock\n"
        f"RunLock(Path({str(path)!r})).acquire(); print('held', flush=True)\n"
        "time.sleep(3600)",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 60) == b"held\n"
        with pytest.raises(BotRunning, match=f"pid {holder.pid}"):
            RunLock(path).acquire()
    finally:
        holder.kill()  # SIGKILL: no clean-up of its own
        await holder.wait()
    RunLock(path).acquire().release()


async def test_several_processes_on_postgres_take_no_file_lock(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """On PostgreSQL the processes share the database: the file lock is not taken (a
    second process on the same host waits as a standby instead: test_run_app.py)."""
    url = await postgres.new_database()
    with RunLock(tmp_path / "k.db"):
        code, out = await kneecoach("migrate", env={"KNEECOACH_DB": str(tmp_path / "k.db"),
                                                    "KNEECOACH_DATABASE_URL": url})
    assert code == 0, out
    assert f"schema {migrations('postgres')[-1][0]:03d}" in out


async def test_a_pooled_connection_goes_back_as_it_is_and_an_open_transaction_ends(
    postgres: PostgresServer,
) -> None:
    """No reset query after a statement (it would be a second round trip); nothing a
    statement leaves in the session, and no transaction, outlives its release."""
    url = await postgres.new_database()
    db = await PostgresDatabase.open(url, pool_max=1)
    watcher = await asyncpg.connect(url)
    try:
        await db.execute("SELECT 1 AS the_last_statement")
        last = await watcher.fetchval(
            "SELECT query FROM pg_stat_activity WHERE application_name='kneecoach'"
            " AND datname=current_database()")
        assert last == "SELECT 1 AS the_last_statement"

        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute("CREATE TABLE scratch (n INTEGER)")
                raise RuntimeError("the turn failed")
        assert await db.fetchone("SELECT to_regclass('scratch') IS NULL AS gone") == (True,)
        assert await db.fetchone("SELECT pg_current_xact_id_if_assigned() IS NULL") == (True,)
    finally:
        await watcher.close()
        await db.close()


def test_placeholders_become_numbered_outside_literals() -> None:
    assert dialect("SELECT * FROM t WHERE a=? AND b IN (?, ?)") == (
        "SELECT * FROM t WHERE a=$1 AND b IN ($2, $3)")
    assert dialect("SELECT '?' || ? FROM \"odd?\"") == "SELECT '?' || $1 FROM \"odd?\""


def test_the_password_is_never_shown() -> None:
    assert masked("postgresql://kc:s3cret@db:5432/kneecoach") == (
        "postgresql://kc:***@db:5432/kneecoach")
    assert masked("postgresql://kc@db/kneecoach") == "postgresql://kc@db/kneecoach"

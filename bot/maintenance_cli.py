"""``kneecoach backup | restore | migrate | version``: the database's upkeep from the
command line (the work itself is in ``bot.store.maintenance``)."""

from __future__ import annotations

import asyncio
import sys
from importlib import metadata
from pathlib import Path


def package_version() -> str:
    try:
        return metadata.version("kneecoach")
    except metadata.PackageNotFoundError:
        return "unknown"


def run_maintenance(command: str, db: Path, path: Path | None) -> int:
    from bot.store.maintenance import (
        BadBackup,
        BotRunning,
        RunLock,
        backup,
        code_schema_version,
        integrity_problems,
        restore,
        schema_version,
    )

    def fail(text: str, code: int = 1) -> int:
        print(f"kneecoach: {text}", file=sys.stderr)
        return code

    if command == "version":
        print(f"kneecoach {package_version()} (database schema {code_schema_version()})")
        if db.exists():
            print(f"database {db}: schema {schema_version(db)}")
        return 0
    if command == "backup":
        assert path is not None
        if not db.exists():
            return fail(f"no database at {db}")
        target = backup(db, path.expanduser())
        problems = integrity_problems(target)
        if problems:
            return fail(f"the backup at {target} failed its integrity check: {problems[0]}")
        print(f"backed up {db} to {target} (schema {schema_version(target)}, integrity ok)")
        return 0
    if command == "restore":
        assert path is not None
        try:
            kept = restore(path.expanduser(), db)
        except BotRunning as exc:
            return fail(f"{exc}: stop it before restoring {db}")
        except BadBackup as exc:
            return fail(f"{path} is not a usable backup: {exc}")
        if kept is not None:
            print(f"the database it replaced is kept at {kept}")
        print(f"restored {db} from {path}; migrations run at the next start "
              "(or `kneecoach migrate`)")
        return 0
    if command == "migrate":
        from bot.store.sqlite import SQLiteDatabase

        before = schema_version(db) if db.exists() else 0
        try:
            with RunLock(db):
                async def _open() -> None:
                    database = await SQLiteDatabase.open(db)
                    await database.close()

                asyncio.run(_open())
        except BotRunning as exc:
            return fail(f"{exc}: stop it first (it migrates at start anyway)")
        after = schema_version(db)
        print(f"database {db}: schema {before} -> {after}"
              if after != before else f"database {db}: schema {after}, up to date")
        return 0
    return fail(f"unknown command {command}", 2)

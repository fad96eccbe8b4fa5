"""Backups, restores and the schema version of a SQLite file, and the lock a running bot
holds on it.

* ``backup(source, target)``: SQLite's online backup API (``sqlite3.Connection.backup``):
  a consistent copy while the bot writes, all pages in one step under one read
  transaction; written to a temporary file beside ``target`` (mode 0600) and renamed into
  place, so a half-written backup never has the final name.
* ``restore(source, target)``: refuses while a bot holds ``target``'s lock, checks the
  backup (``PRAGMA integrity_check``, a schema no newer than this code's), keeps the file
  it replaces beside it and puts the backup in its place (mode 0600). Migrations run at the
  next start, as after any upgrade.
* ``RunLock``: an advisory ``flock`` on ``<db>.lock`` held by ``kneecoach run`` and
  ``kneecoach chat`` for as long as they run (the kernel drops it when the process dies,
  even by kill -9), so restore and migrate can tell a running bot is on the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from bot.store.sqlite import migrations


class BotRunning(Exception):
    """A bot holds the database's lock."""


class BadBackup(Exception):
    """The file is not a usable backup (unreadable, damaged, or from a newer version)."""


def code_schema_version() -> int:
    """The newest migration this code knows."""
    return max((number for number, _, _ in migrations()), default=0)


def schema_version(path: Path) -> int:
    """``PRAGMA user_version`` of a SQLite file (0 for a file no migration has touched)."""
    with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def integrity_problems(path: Path) -> list[str]:
    """What ``PRAGMA integrity_check`` says is wrong ([] when the file is sound)."""
    try:
        with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as conn:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database ({exc})"]
    return [] if rows == ["ok"] else rows


def _read_only(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


class RunLock:
    """``with RunLock(db):`` held while a bot runs on ``db``; ``BotRunning`` if another
    process holds it."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise BotRunning(f"a bot is running on this database (pid {holder or '?'})") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _private_temp(beside: Path) -> Path:
    beside.parent.mkdir(parents=True, exist_ok=True)
    temp = beside.with_name(f".{beside.name}.{os.getpid()}.partial")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    return temp


def _copy(source: Path, target: Path) -> None:
    """The online backup API, source to target, then fsync."""
    with (
        contextlib.closing(sqlite3.connect(_read_only(source), uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.execute("PRAGMA busy_timeout=5000")
        src.backup(dst)  # all pages in one step: one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(source: Path, target: Path) -> Path:
    """A consistent copy of ``source`` at ``target`` (mode 0600), safe while a bot runs."""
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    temp = _private_temp(target)
    try:
        _copy(source, temp)
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return target


def restore(source: Path, target: Path, now: datetime | None = None) -> Path | None:
    """Put the backup ``source`` in place of ``target``. Returns where the replaced file was
    kept (None if there was none). Raises ``BotRunning`` or ``BadBackup``."""
    problems = integrity_problems(source) if source.exists() else [f"no file at {source}"]
    if problems:
        raise BadBackup("; ".join(problems[:3]))
    version = schema_version(source)
    if version > code_schema_version():
        raise BadBackup(f"the backup has schema {version}, newer than this version's "
                        f"{code_schema_version()}: upgrade first")
    with RunLock(target):
        temp = _private_temp(target)
        try:
            _copy(source, temp)
        except BaseException:
            temp.unlink()
            raise
        kept: Path | None = None
        if target.exists():
            stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
            kept = target.with_name(f"{target.name}.before-restore-{stamp}")
            # The replaced database with its WAL folded in, so nothing committed is lost.
            _copy(target, kept)
            os.chmod(kept, 0o600)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{target}{suffix}").unlink()
        os.chmod(temp, 0o600)
        os.replace(temp, target)
        return kept

"""The command line as a service manager and a self-hoster use it: no platform and no
terminal is a clear failure; --env-file and KNEECOACH_ENV_FILE; backup while reminders are
being delivered; restore refused while a bot runs; migrate and version."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.domain.events import ConversationRef
from bot.store.maintenance import RunLock, code_schema_version, integrity_problems
from tests.service.svc_world import START, svc_world

ROOT = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KNEECOACH_", "TELEGRAM_", "DISCORD_"))}
    env.update({"KNEECOACH_DB": str(tmp_path / "k.db"), "PYTHONPATH": str(ROOT)}, **extra)
    return env


def test_run_without_a_platform_or_a_terminal_fails_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=clean_env(tmp_path),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "kneecoach: no platform configured (set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN) "
        "and no terminal for the chat; nothing was started"]
    assert not (tmp_path / "k.db").exists()


def test_env_file_option_and_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KNEECOACH_ENV_FILE", "KNEECOACH_METRICS_PORT", "KNEECOACH_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    named = tmp_path / "kneecoach.env"
    named.write_text("KNEECOACH_METRICS_PORT=9464\nKNEECOACH_LOG_FORMAT=json\n")
    settings = load_settings(named)
    assert settings.kneecoach_metrics_port == 9464
    assert settings.kneecoach_log_format == "json"
    monkeypatch.setenv("KNEECOACH_ENV_FILE", str(named))
    assert load_settings().kneecoach_metrics_port == 9464
    monkeypatch.setenv("KNEECOACH_METRICS_PORT", "9000")  # the environment wins
    assert load_settings().kneecoach_metrics_port == 9000
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "missing.env")


def test_a_missing_env_file_or_a_bad_setting_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["--env-file", str(tmp_path / "nope.env"), "version"]) == 2
    assert capsys.readouterr().err.strip() == f"kneecoach: no env file at {tmp_path}/nope.env"
    monkeypatch.setenv("KNEECOACH_LOG_FORMAT", "xml")
    assert main(["version"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kneecoach: KNEECOACH_LOG_FORMAT:") and "\n" not in err


async def test_backup_while_reminders_are_delivered(tmp_path: Path) -> None:
    """The delivery worker works through sixty due rows (writing each outcome) while the
    backup is taken in another thread: the copy opens, passes integrity_check and holds
    every row committed before it began."""
    async with svc_world(tmp_path) as w:
        db = w.coach.stores.db
        users = w.coach.stores.users
        for n in range(60):  # sixty people whose reminder is due now
            ref = ConversationRef("telegram", str(9000 + n), str(9000 + n))
            user = await users.get_or_create(ref, START)
            await db.execute(
                "INSERT INTO outbox (target, user_id, kind, local_date, due_at, status,"
                " attempts, next_attempt) VALUES (?, ?, 'club_refused', ?, ?, 'pending', 0, ?)",
                (f"u:{user.id}", user.id, "2026-03-02", "2026-03-02T06:00:00Z",
                 "2026-03-02T06:00:00Z"))
        w.clock.set(START + timedelta(seconds=1))
        committed = {r["id"] for r in await db.fetchall("SELECT id FROM outbox")}
        users_before = (await db.fetchone("SELECT COUNT(*) AS n FROM users"))["n"]
        target = tmp_path / "backups" / "k-backup.db"
        drain = asyncio.create_task(w.worker.drain())
        await asyncio.sleep(0)  # let the drain begin before the copy starts
        code = await asyncio.to_thread(
            main, ["backup", str(target), "--db", db.path])
        await drain
    assert code == 0
    assert (target.stat().st_mode & 0o777) == 0o600
    assert integrity_problems(target) == []
    with sqlite3.connect(target) as copy:
        ids = {r[0] for r in copy.execute("SELECT id FROM outbox")}
        assert committed <= ids
        assert copy.execute("SELECT COUNT(*) FROM users").fetchone()[0] == users_before
        assert copy.execute("PRAGMA user_version").fetchone()[0] == code_schema_version()
    assert not list(target.parent.glob("*.partial"))


def test_restore_refuses_while_a_bot_runs_then_restores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "k.db"
    assert main(["migrate", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == f"database {db}: schema 0 -> {code_schema_version()}"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (platform, platform_user_id, chat_id, created_at) "
                     "VALUES ('telegram', '1', '1', '2026-03-01T00:00:00Z')")
    backup = tmp_path / "k-backup.db"
    assert main(["backup", str(backup), "--db", str(db)]) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM users")

    with RunLock(db):  # as `kneecoach run` holds it
        assert main(["restore", str(backup), "--db", str(db)]) == 1
        err = capsys.readouterr().err
        assert "a bot is running on this database" in err and "stop it" in err
        assert main(["migrate", "--db", str(db)]) == 1
    assert main(["restore", str(backup), "--db", str(db)]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 1
    assert (db.stat().st_mode & 0o777) == 0o600
    kept = list(tmp_path.glob("k.db.before-restore-*"))
    assert len(kept) == 1 and (kept[0].stat().st_mode & 0o777) == 0o600

    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database at all" * 100)
    assert main(["restore", str(broken), "--db", str(db)]) == 1
    assert "is not a usable backup" in capsys.readouterr().err


def test_version_names_the_code_and_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "k.db"
    assert main(["version", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("kneecoach ")
    main(["migrate", "--db", str(db)])
    capsys.readouterr()
    assert main(["version", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == f"database {db}: schema {code_schema_version()}"
    assert main(["migrate", "--db", str(db)]) == 0
    assert "up to date" in capsys.readouterr().out

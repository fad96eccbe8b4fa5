"""The `kneecoach` command: run | chat | triage | check | export | diagrams | backup |
restore | migrate | version | health."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.config import Settings, load_settings

if TYPE_CHECKING:
    from bot.check import Checked
    from bot.content import Bundle, ContentError


def main(argv: Sequence[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env-file", type=Path, default=argparse.SUPPRESS,
                        help="read settings from FILE (default: KNEECOACH_ENV_FILE, else .env)")
    parser = argparse.ArgumentParser(prog="kneecoach", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("run", parents=[common],
                   help="start the bot: Telegram/Discord if configured, else the chat")

    chat = sub.add_parser("chat", help="talk to the coach in this terminal")
    chat.add_argument("--script", help="read one message per line from FILE ('-' = stdin)")
    chat.add_argument("--json", action="store_true", help="one JSON object per message")
    chat.add_argument("--db", help="SQLite file (default: KNEECOACH_DB or the data directory)")
    chat.add_argument("--user", default="local", help="who you are in the store")
    chat.add_argument("--clock", help="start a simulated clock at this UTC instant")

    triage = sub.add_parser("triage", help="triage one description of a knee")
    triage.add_argument("text")
    triage.add_argument("--json", action="store_true")

    sub.add_parser("check", help="validate content/ and dialogs/")

    export = sub.add_parser("export", help="print everything stored about one person")
    export.add_argument("--user", required=True)
    export.add_argument("--platform", default="console")
    export.add_argument("--db", help="SQLite file or postgresql:// URL")

    diagrams = sub.add_parser("diagrams", help="write the Mermaid diagram of each dialog")
    diagrams.add_argument("--out", help="folder (default: beside the dialogs)")

    for name, text in (("backup", "copy the database to PATH, consistent while the bot runs"),
                       ("restore", "put the backup PATH in place of the database (bot stopped)")):
        command = sub.add_parser(name, parents=[common], help=text)
        command.add_argument("path", type=Path)
        command.add_argument("--db", help="SQLite file (default: KNEECOACH_DB or the data "
                             "directory)")
    migrate = sub.add_parser("migrate", parents=[common],
                             help="bring the database's schema up to this version (a deploy "
                             "step on PostgreSQL)")
    migrate.add_argument("--db", help="SQLite file or postgresql:// URL (default: "
                         "KNEECOACH_DATABASE_URL, else KNEECOACH_DB or the data directory)")
    version = sub.add_parser("version", parents=[common],
                             help="this version, its schema, and the database's")
    version.add_argument("--db")
    health = sub.add_parser("health", parents=[common],
                            help="ask the running bot's KNEECOACH_METRICS_PORT: alive (or ready)")
    health.add_argument("--ready", action="store_true", help="ask /readyz instead of /healthz")

    args = parser.parse_args(argv)
    try:
        settings = load_settings(getattr(args, "env_file", None))
    except (FileNotFoundError, ValidationError) as exc:
        print(f"kneecoach: {_one_line(exc)}", file=sys.stderr)
        return 2
    from bot.logging_policy import quiet_noisy_loggers, redact_secrets
    from bot.service.log_format import configure_logging

    configure_logging(settings.kneecoach_log_level, settings.kneecoach_log_format)
    quiet_noisy_loggers()
    # Before anything can log: the tokens and the webhook secret never reach a log line.
    redact_secrets(
        [*(v.get_secret_value() if v is not None else None
           for v in (settings.telegram_bot_token, settings.discord_bot_token,
                     settings.telegram_webhook_secret)),
         settings.database_password()]
    )

    if args.command in (None, "run"):
        from bot.app import run_app
        from bot.content import ContentError
        from bot.store.postgres import SchemaMismatch

        try:
            with _run_lock(settings.database_target()):
                return asyncio.run(run_app(settings))
        except ContentError as exc:
            return _refuse(exc)
        except (_Busy, SchemaMismatch) as exc:
            print(f"kneecoach: {exc}; nothing was started", file=sys.stderr)
            return 1
    if args.command == "migrate":
        target = _target(args.db) if args.db else settings.database_target()
        if isinstance(target, str):  # PostgreSQL (a file: the upkeep commands below)
            return _migrate(target)
    if args.command == "chat":
        logging.getLogger().setLevel(logging.WARNING)
        from bot.app import run_chat

        db = Path(args.db) if args.db else settings.db_path()
        clock = _parse_instant(args.clock) if args.clock else None
        checked = _checked(settings)
        try:
            with _run_lock(db):
                return asyncio.run(
                    run_chat(db, args.user, args.script, args.json, clock,
                             bundle=checked.bundle, screener=checked.screener,
                             files_dir=settings.files_path() if settings.kneecoach_files
                             else None)
                )
        except _Busy as exc:
            print(f"kneecoach: {exc}", file=sys.stderr)
            return 1
    if args.command in ("backup", "restore", "migrate", "version"):
        from bot.maintenance_cli import run_maintenance

        db = Path(args.db) if args.db else settings.db_path()
        return run_maintenance(args.command, db, getattr(args, "path", None))
    if args.command == "health":
        return _health(settings, args.ready)
    if args.command == "triage":
        from bot.triage_cli import run_triage

        output, code = run_triage(args.text, args.json, _bundle(settings))
        try:
            print(output, flush=True)
        except BrokenPipeError:  # read by `head` or the like, which stopped reading
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return code
    if args.command == "check":
        return _check(settings.content_root())
    if args.command == "export":
        target = _target(args.db) if args.db else settings.database_target()
        return asyncio.run(_export(target, args.platform, args.user))
    if args.command == "diagrams":
        return _diagrams(Path(args.out) if args.out else None, _bundle(settings))
    parser.print_help()
    return 2


class _Busy(Exception):
    pass


@contextlib.contextmanager
def _run_lock(db: Path | str) -> Iterator[None]:
    """Held while a bot runs on the file ``db`` (``kneecoach restore`` and ``migrate``
    refuse then, and so does a second ``run`` or ``chat``: one SQLite file serves one
    process). PostgreSQL needs none: processes share it (one leads, the others stand by)."""
    from bot.store.maintenance import BotRunning, RunLock

    if isinstance(db, str) or str(db) == ":memory:":
        yield
        return
    try:
        lock = RunLock(db).acquire()
    except BotRunning as exc:
        raise _Busy(f"{exc}: {db}; one SQLite file serves one process (for several, "
                    "share PostgreSQL: KNEECOACH_DATABASE_URL)") from None
    try:
        yield
    finally:
        lock.release()


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


def _health(settings: Settings, ready: bool) -> int:
    """Exit 0 when the running bot answers (and, with --ready, is ready)."""
    from bot.service.health import pretty, probe

    if settings.kneecoach_metrics_port is None:
        print("kneecoach: KNEECOACH_METRICS_PORT is not set; there is no port to ask",
              file=sys.stderr)
        return 2
    status, body = probe(settings.kneecoach_metrics_host, settings.kneecoach_metrics_port,
                         "/readyz" if ready else "/healthz")
    print(pretty(body))
    return 0 if status == 200 else 1


def _migrate(url: str) -> int:
    """`kneecoach migrate` on PostgreSQL: the schema this version needs, applied once
    however many processes run it together (under an advisory lock)."""
    from bot.store.backends import migrate
    from bot.store.postgres import SchemaMismatch, masked

    try:
        version = asyncio.run(migrate(url))
    except SchemaMismatch as exc:
        print(f"kneecoach: {exc}", file=sys.stderr)
        return 1
    print(f"database {masked(url)}: schema {version:03d}")
    return 0


def _checked(settings: Settings) -> Checked:
    """The checked content bundle and its compiled rules, or a clear exit naming every
    problem."""
    from bot.check import build_checked
    from bot.content import ContentError, default_dialogs_root

    try:
        return asyncio.run(build_checked(settings.content_root(), default_dialogs_root()))
    except ContentError as exc:
        raise SystemExit(_refuse(exc)) from None


def _bundle(settings: Settings) -> Bundle:
    """The checked content bundle, or a clear exit naming every problem."""
    return _checked(settings).bundle


def _refuse(exc: ContentError) -> int:
    """A broken content or rules file stops the bot, naming every problem."""
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    print(f"kneecoach: {len(exc.problems)} problem(s) in the content; nothing was started",
          file=sys.stderr)
    return 1


def _parse_instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise SystemExit("--clock needs a time zone, for example 2026-03-01T06:00:00Z")
    return instant


def _check(content_root: Path) -> int:
    from bot.check import run_check
    from bot.content import default_dialogs_root

    problems = run_check(content_root, default_dialogs_root())
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print("content/ and dialogs/ are valid")
    return 0


def _target(given: str) -> str | Path:
    """A --db argument: a postgresql:// URL as it is, anything else a file."""
    from bot.store.postgres import is_postgres_url

    return given if is_postgres_url(given) else Path(given)


async def _export(target: str | Path, platform: str, user: str) -> int:
    from bot.store.backends import open_database
    from bot.store.users import UserStore

    db = await open_database(target)
    try:
        store = UserStore(db)
        found = await store.find(platform, user)
        if found is None:
            print(f"no such user: {platform}/{user}", file=sys.stderr)
            return 1
        print(json.dumps(await store.export(found.id), indent=1, ensure_ascii=False))
        return 0
    finally:
        await db.close()


def _diagrams(out: Path | None, bundle: Bundle) -> int:
    from bot.content.diagrams import write_diagrams

    for target in write_diagrams(bundle, out or bundle.dialogs_root):
        print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

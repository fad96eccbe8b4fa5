"""Delivery at scale (issue 12): reminders due at the same instant, through `kneecoach run`
itself (``run_app``: the real adapter, inbox, sweep and delivery), against the fake Bot API
refusing more than 30 messages in any sliding second; before and after side by side.

    python -m bench.delivery [--reminders 10000] [--overdue 1000] [--before b272782]
                             [--sides before,after,after-no-ahead] [--chat-every 1.0]

Each side runs in its own process, all sides at once (each is held to 30 messages a second,
so they share the 2 cores easily; the stall figures are each process's own event loop).
"before" is the code at ``--before`` checked out with ``git archive``; "after" is this tree
with its default claim-ahead (600 s); "after-no-ahead" is this tree claiming at the due
instant (``KNEECOACH_CLAIM_AHEAD_SECONDS=0``).

Scenario "drain": ``--reminders`` people (chat id = user id) with a started programme and a
reminder due ``LEAD`` seconds after the process starts (after its start-up). From the due
instant on, a new person writes "/start" every ``--chat-every`` seconds until the drain ends.
Measured from the fake's own record of when it accepted each message (not from the bot's
``sent_at``, which "before" took when a tick began): each reminder's lateness (its last
message accepted minus its due instant), against the physical minimum (the i-th of M
messages cannot go before i/30 s after the due instant); how long each "/start" waited for
its first answer; and the event loop's stalls (a task asking to wake every 10 ms; its
lateness is how long the loop could not run anything).

Scenario "startup": ``--overdue`` reminders ten minutes overdue; the time from calling
``run_app`` to "Kneecoach is running" (and from the door opening to it), then a real SIGTERM
to the process 1 s later, in the middle of the catch-up: the time until ``run_app``
returned, and the rows not sent and not waiting in the outbox (lost).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "b272782"
LIMIT = 30
LEAD = 60.0  # seconds from the child's start to the due instant (start-up: 5-20 s)
CHATTER_BASE = 50_000_000
SENDS = ("sendMessage", "sendPhoto", "sendAnimation", "sendDocument")


# ----- the child: one side, one scenario, in its own process ------------------------------


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _seed(path: Path, count: int, due: datetime) -> None:
    from bot.store.sqlite import SQLiteDatabase

    db = await SQLiteDatabase.open(path)
    now = datetime.now(UTC)
    started = (now - timedelta(days=1)).date().isoformat()
    stamp = _stamp(now - timedelta(days=1))
    ids = range(1, count + 1)
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO users (id, platform, platform_user_id, chat_id, created_at, consent_at)"
            " VALUES (?, 'telegram', ?, ?, ?, ?)",
            [(n, str(n), str(n), stamp, stamp) for n in ids],
        )
        await tx.executemany(
            "INSERT INTO programmes (user_id, started_on, strength_days, updated_at)"
            " VALUES (?, ?, '[0,1,2,3,4,5,6]', ?)",
            [(n, started, stamp) for n in ids],
        )
        await tx.executemany(  # the intake's outcome: the home programme may go ahead
            "INSERT INTO triage_results (user_id, at, outcome, signals)"
            " VALUES (?, ?, 'pfp_program', '[]')",
            [(n, stamp) for n in ids],
        )
        await tx.executemany(
            "INSERT INTO reminders (user_id, local_time, timezone, next_due) VALUES (?, ?, ?, ?)",
            [(n, due.astimezone(UTC).strftime("%H:%M"), "UTC", _stamp(due)) for n in ids],
        )
    await db.close()


class _Marks(logging.Handler):
    """When the process said what (monotonic seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[str, float] = {}
        self.running = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        for mark in ("adapter started", "Kneecoach is running"):
            if mark in text and mark not in self.at:
                self.at[mark] = time.monotonic()
                if mark == "Kneecoach is running":
                    self.running.set()


async def _watch_loop(lags: list[tuple[float, float]], period: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(period)
        lags.append((asked, loop.time() - asked - period))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


CLAIM_AT = datetime(2026, 3, 2, 7, 0, 30, tzinfo=UTC)
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "Pacific/Chatham", "Europe/Berlin", "America/Los_Angeles", "UTC"]


async def _claim(args: argparse.Namespace) -> dict[str, Any]:
    """100,000 runners in eight zones, ``--reminders`` of them due at 07:00 UTC (their own
    wall time there), the rest later in the day; one sweep at 07:00:30, as the scheduler
    runs it, with a task asking to wake every millisecond beside it."""
    from zoneinfo import ZoneInfo

    from bot.assembly import open_coach
    from bot.domain.clock import FakeClock
    from bot.schedule.sweep import sweep
    from bot.store.sqlite import SQLiteDatabase

    due = CLAIM_AT.replace(second=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claim.db"
        db = await SQLiteDatabase.open(path)
        stamp = _stamp(due - timedelta(days=1))
        users, reminders = [], []
        for n in range(1, args.population + 1):
            zone = ZONES[n % len(ZONES)]
            when = due if n <= args.reminders else due + timedelta(minutes=15 * (n % 56) + 15)
            wall = when.astimezone(ZoneInfo(zone)).strftime("%H:%M")
            users.append((n, str(n), str(n), stamp, stamp))
            reminders.append((n, wall, zone, _stamp(when)))
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO users (id, platform, platform_user_id, chat_id, created_at,"
                " consent_at) VALUES (?, 'telegram', ?, ?, ?, ?)", users)
            await tx.executemany(
                "INSERT INTO reminders (user_id, local_time, timezone, next_due)"
                " VALUES (?, ?, ?, ?)", reminders)
        await db.close()
        coach = await open_coach(path, clock=FakeClock(CLAIM_AT))
        try:
            lags: list[tuple[float, float]] = []
            watcher = asyncio.create_task(_watch_loop(lags, period=0.001))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            result = await sweep(coach.stores.outbox, CLAIM_AT)
            spent = time.perf_counter() - started
            await asyncio.sleep(0.05)
            watcher.cancel()
        finally:
            await coach.close()
    return {"scenario": "claim", "claimed": result.claimed, "claim_s": spent,
            "claim_stall": max(lag for _, lag in lags), "population": args.population}


async def _child(args: argparse.Namespace) -> dict[str, Any]:
    if args.child == "claim":
        return await _claim(args)
    from pydantic import SecretStr

    from bot.app import run_app
    from bot.config import Settings
    from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

    marks = _Marks()
    logging.getLogger().addHandler(marks)
    logging.getLogger().setLevel(logging.INFO)
    result: dict[str, Any] = {"scenario": args.child}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "k.db"
        t0 = time.monotonic()
        now = datetime.now(UTC)
        if args.child == "drain":
            # a whole second, as a reminder's due instant always is (whole minutes)
            due = (now + timedelta(seconds=LEAD + 1)).replace(microsecond=0)
            count = args.reminders
        else:
            due = now - timedelta(minutes=10)
            count = args.overdue
        await _seed(db, count, due)
        due_mono = t0 + (due - now).total_seconds()
        async with FakeTelegram() as server:
            server.rate_limit(LIMIT)
            settings = Settings(
                kneecoach_db=db,
                telegram_bot_token=SecretStr(DEFAULT_TOKEN),
                telegram_api_base_url=server.base_url,
                kneecoach_tick_seconds=5.0,
                _env_file=None,
            )
            lags: list[tuple[float, float]] = []
            watcher = asyncio.create_task(_watch_loop(lags))
            stop = asyncio.Event()
            called = time.monotonic()
            app = asyncio.create_task(run_app(settings, stop))
            chats: dict[int, float] = {}
            if args.child == "drain":
                await _drain(args, server, db, count, due_mono, chats)
                asked = time.monotonic()
                stop.set()
            else:
                await marks.running.wait()
                await asyncio.sleep(1.0)
                asked = time.monotonic()
                os.kill(os.getpid(), signal.SIGTERM)  # run_app's own handler
            code = await app
            exited = time.monotonic() - asked
            watcher.cancel()
            calls = [c for c in server.calls if c.method in SENDS]
            rate_limited = server.rate_limited
        statuses = await _statuses(db)
    running = marks.at.get("Kneecoach is running", float("nan"))
    result.update(
        exit_code=code, exit_s=exited, statuses=statuses, rate_limited=rate_limited,
        startup_s=running - called, after_door_s=running - marks.at.get("adapter started", 0),
        reminders=count,
    )
    reminder_calls = [c for c in calls if int(c["chat_id"]) < CHATTER_BASE]
    if args.child == "drain":
        last: dict[int, float] = {}
        for c in reminder_calls:
            last[int(c["chat_id"])] = max(last.get(int(c["chat_id"]), 0.0), c.at)
        lateness = sorted(at - due_mono for at in last.values())
        messages = len(reminder_calls)
        per = messages / max(1, len(last))
        minimum = sorted((i + 1) * per / LIMIT for i in range(len(last)))
        # The same bound counting every message the bot sent by then, the replies to the
        # people writing during the drain included: they share the platform's 30 a second.
        sends = sorted(c.at for c in calls)
        shared = sorted(bisect.bisect_right(sends, at) / LIMIT for at in last.values())
        replies_sent = len(calls) - messages
        first_answer: dict[int, float] = {}
        for c in calls:
            chat = int(c["chat_id"])
            if chat >= CHATTER_BASE and chat not in first_answer:
                first_answer[chat] = c.at
        replies = [first_answer[c] - at for c, at in chats.items() if c in first_answer]
        claim_window = [lag for at, lag in lags if running <= at <= due_mono + 15]
        result.update(
            messages=messages, delivered=len(last),
            late_p50=_pct(lateness, 0.5), late_p95=_pct(lateness, 0.95),
            late_max=lateness[-1] if lateness else float("nan"),
            first_late=lateness[0] if lateness else float("nan"),
            min_p50=_pct(minimum, 0.5), min_p95=_pct(minimum, 0.95),
            min_max=minimum[-1] if minimum else float("nan"),
            shared_p95=_pct(shared, 0.95), replies_sent=replies_sent,
            replies=len(replies), unanswered=len(chats) - len(replies),
            reply_p50=_pct(replies, 0.5), reply_p95=_pct(replies, 0.95),
            reply_max=max(replies, default=float("nan")),
            stall_max=max((lag for _, lag in lags), default=float("nan")),
            stall_p99=_pct([lag for _, lag in lags], 0.99),
            stall_claim=max(claim_window, default=float("nan")),
        )
    else:
        result.update(
            sent_before_exit=statuses.get("sent", 0),
            lost=count - statuses.get("sent", 0) - statuses.get("pending", 0),
        )
    return result


async def _drain(
    args: argparse.Namespace, server: Any, db: Path, count: int, due_mono: float,
    chats: dict[int, float],
) -> None:
    import sqlite3

    await asyncio.sleep(max(0.0, due_mono - time.monotonic()))
    deadline = time.monotonic() + args.timeout
    k = 0
    while time.monotonic() < deadline:
        chat = CHATTER_BASE + k
        k += 1
        chats[chat] = time.monotonic()
        server.inject_private_text(chat, "/start")
        await asyncio.sleep(args.chat_every)
        if k % 5 == 0:
            with sqlite3.connect(db) as conn:
                (sent,) = conn.execute(
                    "SELECT count(*) FROM outbox WHERE status='sent' AND kind='daily'"
                ).fetchone()
            if sent >= count:
                break
    await asyncio.sleep(2.0)  # the last chatters' answers


async def _statuses(db: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM outbox WHERE kind='daily' GROUP BY status"
        ).fetchall()
    return {str(s): int(n) for s, n in rows}


# ----- the parent: sides side by side ------------------------------------------------------


def _extract(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "archive", ref, "bot", "bench", "tests", "content", "dialogs"],
        cwd=ROOT, check=True, capture_output=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def _spawn(tree: Path, ahead: float | None, scenario: str, args: argparse.Namespace
           ) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if ahead is not None:
        env["KNEECOACH_CLAIM_AHEAD_SECONDS"] = str(ahead)
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child", scenario,
        "--reminders", str(args.reminders), "--overdue", str(args.overdue),
        "--chat-every", str(args.chat_every), "--timeout", str(args.timeout),
        "--population", str(args.population),
    ]
    return subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _collect(name: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate()
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{out[-3000:]}\n{err[-3000:]}")
    return dict(json.loads(line[len("RESULT "):]))


def _row(label: str, values: list[str]) -> str:
    return "| " + " | ".join([label, *values]) + " |"


def _report(args: argparse.Namespace, sides: list[str], drain: dict[str, dict[str, Any]],
            startup: dict[str, dict[str, Any]], claim: dict[str, dict[str, Any]]) -> str:
    s = "s"
    lines = [
        f"Delivery: {args.reminders:,} reminders due at the same instant through run_app,"
        f" fake Bot API at {LIMIT} messages per sliding second, a new person writing /start"
        f" every {args.chat_every:g} s during the drain; start-up with {args.overdue:,}"
        " overdue. Python " + sys.version.split()[0] + ".",
        "",
        "| measure | " + " | ".join(sides) + " |",
        "|---|" + "---:|" * len(sides),
    ]

    def fmt(side: str, key: str, table: dict[str, dict[str, Any]], unit: str = s) -> str:
        value = table.get(side, {}).get(key)
        if value is None:
            return "n/a"
        if isinstance(value, float):
            return f"{value:.3f} {unit}" if abs(value) < 1 else f"{value:.1f} {unit}"
        return f"{value} {unit}".strip()

    rows: list[tuple[str, Callable[[str], str]]] = [
        ("reminders sent (of due)", lambda x: f"{drain[x]['delivered']:,} / {args.reminders:,}"
         if x in drain else "n/a"),
        ("messages sent / 429s", lambda x: f"{drain[x]['messages']:,} / {drain[x]['rate_limited']}"
         if x in drain else "n/a"),
        ("lateness of the first reminder", lambda x: fmt(x, "first_late", drain)),
        ("lateness p50 (physical minimum)", lambda x: f"{fmt(x, 'late_p50', drain)}"
         f" ({fmt(x, 'min_p50', drain)})"),
        ("lateness p95 (physical minimum)", lambda x: f"{fmt(x, 'late_p95', drain)}"
         f" ({fmt(x, 'min_p95', drain)})"),
        ("lateness max (physical minimum)", lambda x: f"{fmt(x, 'late_max', drain)}"
         f" ({fmt(x, 'min_max', drain)})"),
        ("p95 lateness / physical minimum",
         lambda x: f"{drain[x]['late_p95'] / drain[x]['min_p95']:.3f}x" if x in drain else "n/a"),
        ("messages to the people writing, sent during the drain",
         lambda x: f"{drain[x]['replies_sent']:,}" if x in drain else "n/a"),
        ("p95 lateness / minimum counting those messages too",
         lambda x: f"{drain[x]['late_p95'] / drain[x]['shared_p95']:.3f}x ("
         f"{fmt(x, 'shared_p95', drain)})" if x in drain else "n/a"),
        ("/start answered during the drain", lambda x: f"{drain[x]['replies']}"
         f" ({drain[x]['unanswered']} not answered)" if x in drain else "n/a"),
        ("first answer to /start p50", lambda x: fmt(x, "reply_p50", drain)),
        ("first answer to /start p95", lambda x: fmt(x, "reply_p95", drain)),
        ("first answer to /start max", lambda x: fmt(x, "reply_max", drain)),
        (f"claim {args.reminders:,} due among {args.population:,}: time",
         lambda x: fmt(x, "claim_s", claim)),
        ("... event-loop stall during it (max)", lambda x: fmt(x, "claim_stall", claim)),
        ("event-loop stall after running, to 15 s after due (max)",
         lambda x: fmt(x, "stall_claim", drain)),
        ("event-loop stall, whole run: max / p99", lambda x: f"{fmt(x, 'stall_max', drain)}"
         f" / {fmt(x, 'stall_p99', drain)}"),
        (f"start-up with {args.overdue:,} overdue: run_app to running",
         lambda x: fmt(x, "startup_s", startup)),
        ("... of which after the door opened", lambda x: fmt(x, "after_door_s", startup)),
        ("SIGTERM 1 s into the catch-up: exit after", lambda x: fmt(x, "exit_s", startup)),
        ("... reminders sent before exit / lost", lambda x: f"{startup[x]['sent_before_exit']}"
         f" / {startup[x]['lost']}" if x in startup else "n/a"),
    ]
    for label, cell in rows:
        lines.append(_row(label, [cell(x) for x in sides]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--overdue", type=int, default=1_000)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--sides", default="before,after,after-no-ahead")
    parser.add_argument("--scenarios", default="claim,drain,startup")
    parser.add_argument("--chat-every", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--population", type=int, default=100_000,
                        help="runners in the store of the claim scenario")
    parser.add_argument("--child", choices=("drain", "startup", "claim"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        logging.basicConfig(level=logging.WARNING)
        print("RESULT " + json.dumps(asyncio.run(_child(args))), flush=True)
        return 0
    sides = [s for s in args.sides.split(",") if s]
    scenarios = [s for s in args.scenarios.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"after": (ROOT, None), "after-no-ahead": (ROOT, 0.0)}
        if "before" in sides:
            _extract(args.before, Path(tmp))
            trees["before"] = (Path(tmp), None)
        drain: dict[str, dict[str, Any]] = {}
        startup: dict[str, dict[str, Any]] = {}
        claim: dict[str, dict[str, Any]] = {}
        if "claim" in scenarios:
            for side in sides:  # one at a time: it is CPU-bound
                if side != "after-no-ahead":
                    claim[side] = _collect(side, _spawn(*trees[side], "claim", args))
        if "drain" in scenarios:
            procs = {side: _spawn(*trees[side], "drain", args) for side in sides}
            drain = {side: _collect(side, proc) for side, proc in procs.items()}
        if "startup" in scenarios:
            for side in sides:  # one at a time: start-up is CPU-bound
                startup[side] = _collect(side, _spawn(*trees[side], "startup", args))
    print(_report(args, sides, drain, startup, claim))
    print("\nraw:", json.dumps({"claim": claim, "drain": drain, "startup": startup}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

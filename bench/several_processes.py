"""Several ``kneecoach run`` processes (issue 15, "Measured, not asserted"): updates per second
end to end through one process on SQLite, one on PostgreSQL and three on PostgreSQL, side by
side in the same run against the same fake Bot API; then reminders delivered by three
processes against the fake's 30 messages a second.

    python -m bench.several_processes [--runners N] [--updates N] [--warmup N]
                                      [--repeats R] [--rows sqlite,pg1,pg3]
                                      [--per-poll N] [--reminders N] [--limit 30]

The processes are real ``kneecoach run`` (``bot.app.run_app`` with its settings), forked warm
by tests/support/zygote.py, on a fresh SQLite file or a fresh database of a throwaway
PostgreSQL cluster (tests/support/postgres.py: fsync off; SQLite runs WAL with
synchronous=NORMAL). The fake Bot API and the simulated runners live in this process.

Updates: ``--runners`` runners at once, each enrolling like a person (bench/enrolment.py:
/start, the knee questions, the programme, the function check: about 30 updates each) and
sending its next update only once the bot has finished with the previous one; a finished
runner is replaced by a new one until ``--updates`` updates have been answered. "Finished"
is counted on the fake: one runner enrolls first through the same coach in this process
(untimed) and the number of Bot API calls each of its updates took is recorded; an update
is done when the fake has accepted that many calls for its chat (a press's callback answer
included). Every run checks that each chat got exactly the calls the recording predicts.
``--warmup`` runners enrol first, untimed, on every row (a fresh fork has cold caches).
Telegram's rate limits are off in these processes (``telegram_rate_limits_off`` in
tests/support/zygote.py), as in bench/telegram_updates.py: a limiter would measure itself.
The fake hands the bot ``--per-poll`` updates per getUpdates (1: live traffic). Rows are
interleaved over ``--repeats`` rounds and each reports its median. Reported: updates/s, the
CPU ms per update of the row's bot processes and of the PostgreSQL server's processes (from
/proc: on this box they share the same cores), and the ratios
the issue sets targets for: one PostgreSQL process at least 0.7x SQLite; three processes
more than one.

Delivery: three processes on a fresh PostgreSQL database, ``--reminders`` runners seeded with
the intake's outcome and a reminder due this minute, the fake refusing (429) any message
above ``--limit`` in a sliding second; the processes keep Telegram's rate limits. Reported:
prompts delivered, the sustained rate (first to last accepted prompt) against the limit,
the busiest second the fake saw, 429s, prompts sent twice, and how many processes were
seen holding reminders to send (the outbox's leases, looked at 5 times a second).
Target: at least 95% of the limit with no 429.

Every process answers (a new person's events are announced to all and the least busy takes
the person's lane); the leader alone polls Telegram and sends the reminders (docs/DESIGN.md,
"Several processes on PostgreSQL").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench import telegram_bots
from bench.enrolment import Enrolling, Press, Step, inject
from bench.rows import chosen_rows
from bench.seed import Runner, seed_runners
from bench.telegram_delivery import busiest_window
from tests.fakes.telegram_api import FakeTelegram
from tests.support.postgres import PostgresServer, find_bindir
from tests.support.processes import Zygote, zygote

ROWS: dict[str, tuple[str, str, int]] = {  # key: (label, store, processes)
    "sqlite": ("SQLite, 1 process", "sqlite", 1),
    "pg1": ("PostgreSQL, 1 process", "postgres", 1),
    "pg3": ("PostgreSQL, 3 processes", "postgres", 3),
}
PG_TARGET = 0.7  # one PostgreSQL process against SQLite (issue 15)
DELIVERY_TARGET = 0.95  # of the limit
WITHIN = 120.0  # seconds: a process or an update that takes longer is broken
PROMPT = "When you've had a go"


# ---------------------------------------------------------------------------------------------
# Counting what the fake took, per chat


class Tracker:
    """The fake's accepted calls per chat (a press's callback answer counts for its chat), and
    futures for "chat C has reached N calls"."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self.counts: dict[int, int] = {}
        self.queries: dict[str, int] = {}  # callback query id -> its chat
        self._waiting: dict[int, tuple[int, asyncio.Future[None]]] = {}
        server.on_call = self._seen

    def _seen(self, method: str, phase: str) -> None:
        if phase != "accepted":
            return
        call = self.server.calls[-1]  # recorded just before "accepted" is told
        chat: int | None = None
        if "chat_id" in call.params:
            chat = int(call.params["chat_id"])
        elif "callback_query_id" in call.params:
            chat = self.queries.get(str(call.params["callback_query_id"]))
        if chat is None:
            return
        self.counts[chat] = self.counts.get(chat, 0) + 1
        waiting = self._waiting.get(chat)
        if waiting is not None and self.counts[chat] >= waiting[0] and not waiting[1].done():
            waiting[1].set_result(None)

    def send(self, chat: int, step: Step, calls: int) -> asyncio.Future[None]:
        """Queue ``step``; the future is done once the fake has taken ``calls`` more calls
        for ``chat``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[chat] = (self.counts.get(chat, 0) + calls, future)
        update = inject(self.server, chat, step)
        if isinstance(step, Press):
            self.queries[str(update["callback_query"]["id"])] = chat
        if calls == 0:
            future.set_result(None)
        return future


def answered_query(server: FakeTelegram, update: dict[str, Any]) -> Callable[[], bool]:
    return lambda: server.answered(update)


async def record_calls(per_poll: int) -> list[int]:
    """One runner enrols through the same coach in this process (untimed): the Bot API calls
    each of its updates took, in order."""
    server = FakeTelegram()
    server.updates_per_poll(per_poll)
    await server.start()
    tracker = Tracker(server)
    answered = telegram_bots.Answered()
    calls: list[int] = []
    try:
        async with telegram_bots.start("kneecoach", server, answered, 8):
            runner = Enrolling(server, 5_000)
            while (step := runner.next_step()) is not None:
                before = tracker.counts.get(runner.chat_id, 0)
                done = answered.expect(runner.chat_id)
                update = inject(server, runner.chat_id, step)
                if isinstance(step, Press):
                    tracker.queries[str(update["callback_query"]["id"])] = runner.chat_id
                async with asyncio.timeout(WITHIN):
                    await done
                    if isinstance(step, Press):
                        await server.wait_until(answered_query(server, update), WITHIN)
                calls.append(tracker.counts.get(runner.chat_id, 0) - before)
    finally:
        await server.stop()
    return calls


# ---------------------------------------------------------------------------------------------
# The processes


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (state, ppid, ...); [] if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (/proc)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_cpu(postgres: PostgresServer) -> dict[int, float]:
    """CPU seconds so far of the PostgreSQL server's processes (the postmaster and its
    children: backends, writers), by pid."""
    try:
        postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    found = {postmaster: cpu_seconds([postmaster])}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields and int(fields[1]) == postmaster:
                found[int(name)] = cpu_seconds([int(name)])
    return found


def server_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """What the server's processes spent between two looks (one started since: all of it;
    one ended since is lost: the bot's pooled connections live as long as the round)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


async def connected(server: FakeTelegram, count: int, before: int) -> None:
    """Until ``count`` more processes (than ``before`` had) connected to Telegram: each
    calls getMe once it can send, and from then on answers (the leader polls)."""
    await server.wait_until(lambda: len(server.calls_to("getMe")) >= before + count, WITHIN)


@contextlib.asynccontextmanager
async def running(
    z: Zygote, server: FakeTelegram, store: str | Path, processes: int, *,
    limits_off: bool, tick: float = 1.0,
) -> Any:
    """``processes`` kneecoach run on ``store``, the first leading (polling), the others
    standing by; yields their pids and stops them all (SIGTERM) at the end."""
    settings: dict[str, Any] = {
        "telegram_bot_token": server.token,
        "telegram_api_base_url": server.base_url,
        "kneecoach_tick_seconds": tick,
        "kneecoach_log_level": "WARNING",
        "kneecoach_db_pool_max": 8,
        "telegram_rate_limits_off": limits_off,
    }
    if isinstance(store, Path):
        settings["kneecoach_db"] = str(store)
    else:
        settings["kneecoach_database_url"] = store
    before = len(server.calls_to("getMe"))
    pids = [await z.start(settings)]
    try:
        await server.wait_until(lambda: server.waiting_polls > 0, WITHIN)
        for _ in range(processes - 1):
            pids.append(await z.start(settings))
        if processes > 1:
            assert isinstance(store, str)
            await connected(server, processes, before)
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        codes = [await z.wait(pid) for pid in pids]
        if any(codes):
            print(f"(a process ended with {codes}:\n{z.log_text()[-3000:]})", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Updates per second


@dataclass
class Round:
    updates: int
    seconds: float
    cpu: float  # the row's processes, seconds
    server: float  # the PostgreSQL server's processes, seconds (0 on SQLite)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


@dataclass
class Row:
    key: str
    label: str
    rounds: list[Round] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.rounds)

    @property
    def cpu_ms(self) -> float:
        return statistics.median(1000 * r.cpu / r.updates for r in self.rounds)

    @property
    def server_ms(self) -> float:
        return statistics.median(1000 * r.server / r.updates for r in self.rounds)


class Chats:
    def __init__(self) -> None:
        self.next = 100_000

    def take(self) -> int:
        self.next += 1
        return self.next


async def enrol_all(
    server: FakeTelegram, tracker: Tracker, calls: list[int], chats: Chats, runners: int,
    updates: int,
) -> int:
    """``runners`` at once, replaced as they finish, until ``updates`` were answered (or,
    with ``updates`` 0, the first ``runners`` have enrolled). Returns the updates sent."""
    sent = 0
    started: list[int] = []

    async def one() -> None:
        nonlocal sent
        while updates == 0 or sent < updates:
            runner = Enrolling(server, chats.take())
            started.append(runner.chat_id)
            index = 0
            while (step := runner.next_step()) is not None:
                if index >= len(calls):
                    raise RuntimeError(f"chat {runner.chat_id}: more updates than recorded")
                sent += 1
                async with asyncio.timeout(WITHIN):
                    await tracker.send(runner.chat_id, step, calls[index])
                index += 1
                if updates and sent >= updates:
                    return
            if updates == 0:
                return

    async with asyncio.TaskGroup() as group:
        for _ in range(runners):
            group.create_task(one())
    wrong = [c for c in started if tracker.counts.get(c, 0) > sum(calls)]
    if wrong:
        raise RuntimeError(f"chats got more calls than the recording predicts: {wrong[:5]}")
    return sent


async def one_round(
    row: Row, z: Zygote, postgres: PostgresServer, work: Path, calls: list[int],
    args: argparse.Namespace, chats: Chats,
) -> None:
    _, store_kind, processes = ROWS[row.key]
    store: str | Path = (await postgres.new_database() if store_kind == "postgres"
                         else work / f"{row.key}-{len(row.rounds)}.db")
    server = FakeTelegram()
    server.updates_per_poll(args.per_poll)
    await server.start()
    try:
        tracker = Tracker(server)
        async with running(z, server, store, processes, limits_off=True) as pids:
            if args.warmup:
                await enrol_all(server, tracker, calls, chats, args.warmup, 0)
            cpu, pg = cpu_seconds(pids), server_cpu(postgres)
            start = time.monotonic()
            sent = await enrol_all(server, tracker, calls, chats, args.runners, args.updates)
            seconds = time.monotonic() - start
            pg_spent = server_spent(pg, server_cpu(postgres)) if store_kind == "postgres" else 0
            row.rounds.append(Round(sent, seconds, cpu_seconds(pids) - cpu, pg_spent))
    finally:
        server.on_call = None
        await server.stop()


# ---------------------------------------------------------------------------------------------
# Delivery across three processes


@dataclass
class Delivery:
    reminders: int
    delivered: int
    sustained: float
    busiest: int
    rate_limited: int
    twice: int
    senders: int  # processes seen holding outbox rows (leased to send) during the delivery


async def lease_holders(url: str, seen: set[str]) -> None:
    """Every process seen holding outbox rows (leased to send them), looked at 5 times a
    second until cancelled (a finished row's lease is cleared)."""
    conn = await asyncpg.connect(url)
    try:
        while True:
            rows = await conn.fetch("SELECT DISTINCT claimed_by FROM outbox"
                                    " WHERE claimed_by IS NOT NULL")
            seen.update(str(r[0]) for r in rows)
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def delivery(
    z: Zygote, postgres: PostgresServer, args: argparse.Namespace,
) -> Delivery:
    url = await postgres.new_database()
    server = FakeTelegram()
    server.rate_limit(args.limit)
    await server.start()
    try:
        async with running(z, server, url, 3, limits_off=False, tick=0.5):
            minute = datetime.now(UTC).replace(second=0, microsecond=0)
            await seed_runners(url, [
                Runner(n, "telegram", minute.strftime("%H:%M"), "UTC", minute)
                for n in range(1, args.reminders + 1)
            ], minute - timedelta(days=1), offered=True)

            def chats() -> set[int]:
                return {int(c.params["chat_id"]) for c in server.calls_to("sendMessage")
                        if PROMPT in str(c.params.get("text", ""))}

            holders: set[str] = set()
            watching = asyncio.create_task(lease_holders(url, holders))
            try:
                await server.wait_until(lambda: len(chats()) >= args.reminders,
                                        WITHIN + 3 * args.reminders / args.limit)
            finally:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
        prompts = [c for c in server.calls_to("sendMessage")
                   if PROMPT in str(c.params.get("text", ""))]
        times = sorted(c.at for c in prompts)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return Delivery(
            reminders=args.reminders, delivered=len(chats()),
            sustained=(len(times) - 1) / span if span > 0 else 0.0,
            busiest=busiest_window(times), rate_limited=server.rate_limited,
            twice=len(prompts) - len(chats()), senders=len(holders),
        )
    finally:
        await server.stop()


# ---------------------------------------------------------------------------------------------
# Report


def table(rows: list[Row]) -> str:
    base = next((r for r in rows if r.key == "sqlite"), rows[0])
    out = ["| setup | updates/s (median) | min-max | CPU ms/update: bot processes |"
           f" PostgreSQL server | vs {base.label} |", "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        rates = [r.rate for r in row.rounds]
        server = f"{row.server_ms:.2f}" if ROWS[row.key][1] == "postgres" else "-"
        out.append(f"| {row.label} | {row.rate:.1f} | {min(rates):.1f}-{max(rates):.1f} | "
                   f"{row.cpu_ms:.2f} | {server} | {row.rate / base.rate:.2f}x |")
    return "\n".join(out)


def verdict(rows: list[Row]) -> str:
    by = {r.key: r for r in rows}
    lines = []
    if "sqlite" in by and "pg1" in by:
        ratio = by["pg1"].rate / by["sqlite"].rate
        lines.append(f"One PostgreSQL process: **{ratio:.2f}x** SQLite (target >= "
                     f"{PG_TARGET:.1f}x: {'met' if ratio >= PG_TARGET else 'NOT met'}).")
    if "pg1" in by and "pg3" in by:
        ratio = by["pg3"].rate / by["pg1"].rate
        lines.append(f"Three PostgreSQL processes: **{ratio:.2f}x** one ("
                     f"{'more' if ratio > 1.0 else 'not more'} than one; every process "
                     "answers, the leader alone polls, and the processes and the database "
                     "share this machine's cores).")
    return "\n".join(lines)


def delivery_table(d: Delivery, limit: int) -> str:
    share = d.sustained / limit
    return "\n".join([
        "| processes | reminders | delivered | sustained msg/s | of the limit | busiest second"
        " | 429s | sent twice | processes seen sending |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| 3 | {d.reminders} | {d.delivered} | {d.sustained:.1f} | {100 * share:.0f}% | "
        f"{d.busiest} | {d.rate_limited} | {d.twice} | {d.senders} |",
        "",
        f"Target: >= {100 * DELIVERY_TARGET:.0f}% of {limit}/s with no 429: "
        f"{'met' if share >= DELIVERY_TARGET and d.rate_limited == 0 else 'NOT met'}.",
    ])


async def main_async(args: argparse.Namespace) -> int:
    keys: list[str] = args.rows
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (see tests/support/postgres.py)")
    postgres = PostgresServer(bindir)
    work = Path(tempfile.mkdtemp(prefix="kneecoach-several-"))
    rows = [Row(key, ROWS[key][0]) for key in keys]
    try:
        postgres.start()
        await postgres.make_template()
        calls = await record_calls(args.per_poll)
        chats = Chats()
        with zygote(work / "logs") as z:
            for _ in range(args.repeats):
                for row in rows:
                    await one_round(row, z, postgres, work, calls, args, chats)
            delivered = await delivery(z, postgres, args) if args.reminders else None
        load = os.getloadavg()[0]
        print(
            f"Updates end to end through `kneecoach run` (forked warm), {args.runners} runners "
            f"enrolling at once ({len(calls)} updates, {sum(calls)} Bot API calls each), "
            f"{args.updates} updates timed per row and round after {args.warmup} warm-up "
            f"runners; {args.per_poll} update(s) per getUpdates; Telegram rate limits off; "
            f"median of {args.repeats} interleaved round(s); load average {load:.1f} at the "
            f"end; Python {platform.python_version()}, {os.cpu_count()} CPUs.\n")
        print(table(rows))
        print()
        print(verdict(rows))
        if delivered is not None:
            print(f"\nDelivery: {args.reminders} reminders due in the same minute, three "
                  f"processes on PostgreSQL, the fake refusing above {args.limit} messages in "
                  "any sliding second, Telegram rate limits on.\n")
            print(delivery_table(delivered, args.limit))
    finally:
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.several_processes", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=",".join(ROWS),
                        help=f"comma-separated, of: {', '.join(ROWS)}")
    parser.add_argument("--runners", type=int, default=32, help="runners enrolling at once")
    parser.add_argument("--updates", type=int, default=2000,
                        help="updates timed per row and round")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up runners, untimed")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--per-poll", type=int, default=1,
                        help="updates the fake hands out per getUpdates")
    parser.add_argument("--reminders", type=int, default=1500,
                        help="reminders due in one minute for the delivery (0: none)")
    parser.add_argument("--limit", type=int, default=30,
                        help="messages the fake takes in any sliding second")
    args = parser.parse_args(argv)
    args.rows = chosen_rows(parser, args.rows, ROWS)
    if min(args.runners, args.updates, args.repeats, args.per_poll, args.limit) < 1:
        parser.error("--runners, --updates, --repeats, --per-poll and --limit must be positive")
    if min(args.warmup, args.reminders) < 0:
        parser.error("--warmup and --reminders must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

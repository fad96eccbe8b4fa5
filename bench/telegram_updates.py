"""End-to-end Telegram: runners enrolling through the fake Bot API, bare echo bots beside
the Kneecoach adapter with the real coach (issue 12, "fair benchmarks").

    python -m bench.telegram_updates [--runners N] [--warmup N] [--repeats R]
                                     [--rate U] [--open-updates N] [--open-runners N]
                                     [--per-poll N] [--concurrency C] [--latency-ms MS]
                                     [--rows KEY,...] [--profile FILE]

The workload (bench/enrolment.py): each simulated runner writes /start and enrols like a
person with ordinary runner's knee: taps the buttons of the question just asked, types its
age, its story, its weekly distance, a time and a time zone, reaches the triage outcome,
starts the programme and answers the function check (about 30 updates each). The echo bots
get the same updates (recorded from one runner enrolling with the real coach first): a
press is answered with answerCallbackQuery and one sendMessage, a text with one sendMessage.
The fake hands the bot ONE update per getUpdates call (``--per-poll``), as live traffic
does.

Two measurements per row and round, on one started bot:
* closed loop: ``--runners`` runners at once, each sending its next update only once the
  bot has finished with the previous one (every reply accepted by the fake, a press's
  callback answered): updates/s, process CPU ms per update (split between the bot, the fake
  and the simulated runners, bench/cpu_share.py), Bot API calls per update, trips to
  aiosqlite's thread per update (bench/store_trips.py; the bare bots make none);
* open loop: ``--open-updates`` updates made available at a fixed ``--rate``, below every
  row's saturation, by ``--open-runners`` runners taking turns (the slot goes to the runner
  whose answer came first; a new one when none is free or one has enrolled): latency from
  the update being queued to the last call for it accepted by the fake (p50/p95/p99 over
  all rounds' updates).

The rows (``--rows``): ``ptb-httpx`` bare PTB echo bot, sequential, PTB's defaults (httpx);
``ptb-httpx-conc`` the same with ``concurrent_updates(C)``; ``ptb-aio`` / ``ptb-aio-conc``
the same two on Kneecoach's aiohttp transport; ``aiogram`` a bare aiogram 3 echo bot;
``echo`` the Kneecoach adapter and durable inbox with an echo coach; ``kneecoach`` the
adapter with the real coach on a fresh SQLite file (bench/telegram_bots.py). Every row-run
gets a fresh fake of its own, in the same process and on the same event loop as the bot;
``gc.freeze()`` once the bot has started, as ``kneecoach run`` does (what is in memory then
is never collected again), for every row; then ``--warmup`` runners untimed. Rows are
interleaved over ``--repeats`` rounds and each reports its median, so drift on a shared
machine hits all rows alike. Telegram's rate limits are off everywhere.

The target (issue 12): the adapter with the real coach handles at least 0.6x the updates/s
of the fastest bare PTB echo bot on the same (aiohttp) transport, on this workload.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import cProfile
import gc
import itertools
import platform
import pstats
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import telegram

from bench import telegram_bots
from bench.cpu_share import FAKE, PEOPLE, CpuSample, CpuShares, run_as
from bench.enrolment import Enrolling, Replay, Step, inject
from bench.rows import chosen_rows
from bench.store_trips import Trips
from tests.fakes.telegram_api import FakeTelegram

TARGET_RATIO = 0.6  # issue 12: against bare PTB on the same transport
UPDATE_WITHIN = 60.0  # seconds: a bot that takes longer over one update is broken

ROWS: dict[str, str] = {
    "ptb-httpx": "bare PTB echo bot, sequential (PTB defaults: httpx)",
    "ptb-httpx-conc": "bare PTB echo bot, concurrent_updates({c}), pool {pool} (httpx)",
    "ptb-aio": "bare PTB echo bot, sequential, Kneecoach's aiohttp transport",
    "ptb-aio-conc": "bare PTB echo bot, concurrent_updates({c}), Kneecoach's aiohttp transport",
    "aiogram": "bare aiogram {aiogram} echo bot (its aiohttp session, updates as tasks)",
    "echo": "Kneecoach adapter + durable inbox + echo coach, {c} at once",
    "kneecoach": "Kneecoach adapter + durable inbox + real Coach (SQLite), {c} at once",
}
BARE_SAME_TRANSPORT = ("ptb-aio", "ptb-aio-conc")


class Runner(Protocol):
    chat_id: int

    def next_step(self) -> Step | None: ...


@dataclass
class Sent:
    """One update the runners queued: its chat, when it was queued, its press's query id."""

    chat_id: int
    at: float
    query_id: str | None
    done_at: float = 0.0  # the last call for it accepted by the fake


@dataclass
class Closed:
    updates: int
    seconds: float
    cpu: CpuSample
    sends: int
    polls: int
    runners: int
    trips: int = 0  # trips to aiosqlite's thread (bench/store_trips.py)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else float("inf")

    def ms(self, seconds: float) -> float:
        return 1000 * seconds / self.updates


@dataclass
class Opened:
    updates: int
    latencies: list[float]
    latest_queueing: float  # the worst delay of an update behind its slot (s)


@dataclass
class Row:
    key: str
    label: str
    closed: list[Closed] = field(default_factory=list)
    opened: list[Opened] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(c.rate for c in self.closed)

    def median(self, value: Callable[[Closed], float]) -> float:
        return statistics.median(value(c) for c in self.closed)


# ---------------------------------------------------------------------------------------------
# Driving the runners


async def answer_of(
    server: FakeTelegram, answered: telegram_bots.Answered, runner: Runner, step: Step,
    sent: list[Sent],
) -> None:
    """Queue ``step`` for ``runner`` and wait until the bot has finished with it."""
    done = answered.expect(runner.chat_id)
    update = inject(server, runner.chat_id, step)
    query = update.get("callback_query")
    sent.append(Sent(runner.chat_id, time.monotonic(), str(query["id"]) if query else None))
    async with asyncio.timeout(UPDATE_WITHIN):
        await done
        if query is not None and not server.answered(update):
            await server.wait_until(lambda: server.answered(update), UPDATE_WITHIN)


async def closed_loop(
    server: FakeTelegram, answered: telegram_bots.Answered, runners: Sequence[Runner],
    shares: CpuShares, trips: Trips | None = None,
) -> Closed:
    """All ``runners`` at once, each waiting for the bot's answer before its next update."""
    sent: list[Sent] = []

    async def one(runner: Runner) -> None:
        while (step := runner.next_step()) is not None:
            await answer_of(server, answered, runner, step, sent)

    counts = dict(server.counts)
    trips_before = trips.count if trips is not None else 0
    mark = shares.mark()
    start = time.monotonic()
    async with asyncio.TaskGroup() as group:
        for runner in runners:
            group.create_task(one(runner))
    seconds = time.monotonic() - start
    cpu = shares.since(mark)
    calls = {m: n - counts.get(m, 0) for m, n in server.counts.items()}
    polls = calls.pop("getUpdates", 0)
    trips_made = trips.count - trips_before if trips is not None else 0
    return Closed(len(sent), seconds, cpu, sum(calls.values()), polls, len(runners), trips_made)


async def open_loop(
    server: FakeTelegram, answered: telegram_bots.Answered, new_runner: Callable[[], Runner],
    rate: float, total: int, people: int,
) -> Opened:
    """``total`` updates made available ``rate`` a second by ``people`` runners in turn
    (each slot goes to the runner that has waited longest since its answer came; a new
    runner when none is free, or in place of one that has enrolled)."""
    sent: list[Sent] = []
    ready: deque[Runner] = deque(new_runner() for _ in range(people))
    first_call = len(server.calls)
    worst = 0.0

    async def answer(runner: Runner, step: Step) -> None:
        await answer_of(server, answered, runner, step, sent)
        ready.append(runner)

    start = time.monotonic()
    async with asyncio.TaskGroup() as group:
        for n in range(total):
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            worst = max(worst, time.monotonic() - due)
            step: Step | None = None
            while step is None:
                runner = ready.popleft() if ready else new_runner()
                step = runner.next_step()
            group.create_task(answer(runner, step))
    return Opened(len(sent), latencies(server, first_call, sent), worst)


def latencies(server: FakeTelegram, first_call: int, sent: list[Sent]) -> list[float]:
    """Seconds from each update being queued to the last call for it accepted by the fake:
    a call for chat C belongs to C's newest update queued before it; a callback answer to
    the press it answers."""
    by_chat: dict[int, list[Sent]] = {}
    by_query: dict[str, Sent] = {}
    for update in sorted(sent, key=lambda s: s.at):
        by_chat.setdefault(update.chat_id, []).append(update)
        if update.query_id is not None:
            by_query[update.query_id] = update
    starts = {chat: [u.at for u in updates] for chat, updates in by_chat.items()}
    for call in server.calls[first_call:]:
        owner: Sent | None = None
        if "callback_query_id" in call.params:
            owner = by_query.get(str(call.params["callback_query_id"]))
        elif "chat_id" in call.params:
            chat = int(call.params["chat_id"])
            index = bisect.bisect_right(starts.get(chat, []), call.at) - 1
            owner = by_chat[chat][index] if index >= 0 else None
        if owner is not None:
            owner.done_at = max(owner.done_at, call.at)
    return [s.done_at - s.at for s in sent if s.done_at]


# ---------------------------------------------------------------------------------------------
# One row, one round


@dataclass
class Plan:
    runners: int
    warmup: int
    rate: float
    open_updates: int
    open_runners: int
    per_poll: int
    concurrency: int
    latency_ms: float
    script: tuple[Step, ...] = ()  # what an enrolment sends, for the echo bots
    trips: Trips = field(default_factory=Trips)  # counting while installed (main_async)
    profiler: cProfile.Profile | None = None  # on during the timed closed loops


CHAT_IDS = itertools.count(10_000)


def runner_for(key: str, server: FakeTelegram, plan: Plan) -> Runner:
    chat_id = next(CHAT_IDS)
    if key == "kneecoach":
        return Enrolling(server, chat_id)
    return Replay(server, chat_id, plan.script)


async def started_fake(plan: Plan) -> FakeTelegram:
    server = FakeTelegram()
    server.updates_per_poll(plan.per_poll)
    server.latency = plan.latency_ms / 1000
    await run_as(FAKE, server.start)  # everything it does from now on counts as the fake's
    return server


async def one_round(row: Row, plan: Plan, shares: CpuShares) -> None:
    server = await started_fake(plan)
    answered = telegram_bots.Answered()
    try:
        async with telegram_bots.start(row.key, server, answered, plan.concurrency):
            # Started: what is there now lives as long as the bot (``kneecoach run`` does
            # the same once started; every row gets it).
            gc.collect()
            gc.freeze()
            # The runners' own work (making updates, reading the chat) counts as theirs.
            if plan.warmup:
                warm = [runner_for(row.key, server, plan) for _ in range(plan.warmup)]
                await run_as(PEOPLE, lambda: closed_loop(server, answered, warm, shares))
            runners = [runner_for(row.key, server, plan) for _ in range(plan.runners)]
            if plan.profiler is not None:
                plan.profiler.enable()
            try:
                row.closed.append(await run_as(PEOPLE, lambda: closed_loop(
                    server, answered, runners, shares, plan.trips)))
            finally:
                if plan.profiler is not None:
                    plan.profiler.disable()
            if plan.open_updates:
                row.opened.append(await run_as(PEOPLE, lambda: open_loop(
                    server, answered, lambda: runner_for(row.key, server, plan), plan.rate,
                    plan.open_updates, plan.open_runners,
                )))
    finally:
        gc.unfreeze()
        await server.stop()


async def record_script(plan: Plan) -> tuple[Step, ...]:
    """One runner enrols with the real coach (untimed): the updates the echo bots get."""
    server = await started_fake(plan)
    answered = telegram_bots.Answered()
    try:
        async with telegram_bots.start("kneecoach", server, answered, plan.concurrency):
            runner = Enrolling(server, next(CHAT_IDS))
            await closed_loop(server, answered, [runner], CpuShares())
    finally:
        await server.stop()
    return tuple(runner.steps)


# ---------------------------------------------------------------------------------------------
# Report


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def table(rows: list[Row], plan: Plan) -> str:
    best = max(rows, key=lambda r: r.rate)
    out = [
        "| setup | updates/s (median) | min-max | CPU ms/update: total | bot (of which other"
        " threads) | fake | runners | Bot API calls/update: sends + getUpdates | store trips"
        f"/update | latency at {plan.rate:g}/s p50 / p95 / p99 ms | vs fastest |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        rates = [c.rate for c in row.closed]
        total = row.median(lambda c: c.ms(c.cpu.process))
        bot = row.median(lambda c: c.ms(c.cpu.bot))
        threads = row.median(lambda c: c.ms(c.cpu.other_threads))
        fake = row.median(lambda c: c.ms(c.cpu.share(FAKE)))
        people = row.median(lambda c: c.ms(c.cpu.share(PEOPLE)))
        sends = row.median(lambda c: c.sends / c.updates)
        polls = row.median(lambda c: c.polls / c.updates)
        trips = row.median(lambda c: c.trips / c.updates)
        lat = [x for o in row.opened for x in o.latencies]
        latency = (
            " / ".join(f"{1000 * percentile(lat, p):.1f}" for p in (50, 95, 99))
            if len(lat) >= 2 else "n/a"
        )
        out.append(
            f"| {row.label} | {row.rate:.0f} | {min(rates):.0f}-{max(rates):.0f} | "
            f"{total:.2f} | {bot:.2f} ({threads:.2f}) | {fake:.2f} | {people:.2f} | "
            f"{sends:.2f} + {polls:.2f} | {trips:.2f} | {latency} | "
            f"{row.rate / best.rate:.2f}x |"
        )
    return "\n".join(out)


def verdict(rows: list[Row]) -> str:
    real = next((r for r in rows if r.key == "kneecoach"), None)
    same = [r for r in rows if r.key in BARE_SAME_TRANSPORT]
    if real is None or not same:
        return "(the target needs the rows kneecoach and ptb-aio or ptb-aio-conc)"
    best = max(same, key=lambda r: r.rate)
    ratio = real.rate / best.rate
    bare = [r for r in rows if r.key not in ("echo", "kneecoach")]
    fastest = max(bare, key=lambda r: r.rate)
    own = real.median(lambda c: c.ms(c.cpu.bot))
    best_own = best.median(lambda c: c.ms(c.cpu.bot))
    return (
        f"Adapter + real Coach: {real.rate:.0f} updates/s = **{ratio:.2f}x** the fastest bare "
        f"PTB echo bot on the same transport ({best.label}: {best.rate:.0f}/s); "
        f"{real.rate / fastest.rate:.2f}x the fastest bare bot of any kind ({fastest.label}). "
        f"Target >= {TARGET_RATIO:.2f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'}.\n"
        f"The bot's own CPU per update (the fake's and the runners' left out, as they would "
        f"be against Telegram): {own:.2f} ms against {best_own:.2f} ms, "
        f"{best_own / own:.2f}x the bare bot's capacity on one core."
    )


AREAS = (  # (area, what a profiled function's file path contains), the first match wins
    ("the fake Bot API (tests/fakes)", "/tests/fakes/"),
    ("the simulated runners (bench)", "/bench/"),
    ("Kneecoach: Telegram adapter", "/bot/adapters/"),
    ("Kneecoach: inbox and scheduler", "/bot/schedule/"),
    ("Kneecoach: store (SQL, the event loop's side)", "/bot/store/"),
    ("Kneecoach: engine (coach, dialogs, triage)", "/bot/engine/"),
    ("Kneecoach: content, domain, other", "/bot/"),
    ("python-telegram-bot", "/telegram/"),
    ("aiohttp, yarl, multidict", "/aiohttp/"),
    ("aiohttp, yarl, multidict", "/yarl/"),
    ("aiohttp, yarl, multidict", "/multidict/"),
    ("aiosqlite (the event loop's side)", "/aiosqlite/"),
    ("asyncio and selectors", "/asyncio/"),
    ("asyncio and selectors", "selectors.py"),
    ("json", "/json/"),
)


def by_area(stats: pstats.Stats) -> str:
    """Own (exclusive) time summed by area; C functions count where their name says."""
    totals: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (path, _, name), (_, _, own, _, _) in raw.items():
        where = path if path != "~" else name
        area = next((a for a, part in AREAS if part in where), None)
        if area is None:
            area = "built-ins (sockets, queues, sqlite3 calls...)" if path == "~" else "other"
        totals[area] = totals.get(area, 0.0) + own
    whole = sum(totals.values()) or 1.0
    lines = ["| area | own CPU s | share |", "|---|---:|---:|"]
    for area, spent in sorted(totals.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {area} | {spent:.2f} | {100 * spent / whole:.0f}% |")
    return "\n".join(lines)


def labels(plan: Plan) -> dict[str, str]:
    try:
        import aiogram

        aiogram_version = aiogram.__version__
    except ImportError:  # pragma: no cover - aiogram is a dev dependency
        aiogram_version = "(not installed)"
    return {
        key: text.format(c=plan.concurrency, pool=telegram_bots.POOL, aiogram=aiogram_version)
        for key, text in ROWS.items()
    }


async def main_async(args: argparse.Namespace) -> int:
    keys: list[str] = args.rows
    plan = Plan(args.runners, args.warmup, args.rate, args.open_updates, args.open_runners,
                args.per_poll, args.concurrency, args.latency_ms)
    if args.profile:  # CPU time, not wall time: waiting (epoll, the GIL) is not a cost
        plan.profiler = cProfile.Profile(time.thread_time)
    names = labels(plan)
    rows = [Row(key, names[key]) for key in keys]
    shares = CpuShares()
    with shares.installed(), plan.trips.installed():
        if any(key != "kneecoach" for key in keys):
            plan.script = await record_script(plan)
        for _ in range(args.repeats):
            for row in rows:
                await one_round(row, plan, shares)
    per_runner = {r.key: r.closed[0].updates / r.closed[0].runners for r in rows}
    print(
        f"Telegram, runners enrolling: {args.runners} runners at once in the closed loop "
        f"({', '.join(f'{k} {v:.1f}' for k, v in per_runner.items())} updates each), "
        f"{args.warmup} warm-up runners untimed; open loop {args.open_updates} updates at "
        f"{args.rate:g}/s from {args.open_runners} runners in turn; {args.per_poll} update(s) "
        f"per getUpdates; median of {args.repeats} interleaved rounds (latency percentiles "
        f"over all rounds' updates); Python {platform.python_version()}, "
        f"python-telegram-bot {telegram.__version__}, aiohttp {aiohttp.__version__}; "
        f"loopback fake Bot API in the same process answering after {args.latency_ms:g} ms; "
        "rate limiters off.\n"
    )
    print(table(rows, plan))
    if plan.open_updates:
        worst = max(o.latest_queueing for r in rows for o in r.opened)
        slowest = min(rows, key=lambda r: r.rate)
        below = all(c.rate > plan.rate for r in rows for c in r.closed)
        print(f"\nOpen loop: {plan.rate:g} updates/s offered, "
              f"{'below' if below else 'NOT below'} every row's closed-loop rate in every "
              f"round (the slowest row's median: {slowest.rate:.0f}/s); the worst delay of an "
              f"update behind its slot: {1000 * worst:.1f} ms.")
    print(verdict(rows))
    if plan.profiler is not None:
        plan.profiler.dump_stats(args.profile)
        stats = pstats.Stats(plan.profiler, stream=sys.stdout)
        print(f"\ncProfile of the timed closed loops (CPU time of the event loop's thread; "
              f"saved to {args.profile}), own time by area:\n")
        print(by_area(stats))
        print("\nThe top functions by own time:\n")
        stats.sort_stats("tottime").print_stats(30)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.telegram_updates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", default=",".join(ROWS),
                        help=f"comma-separated, of: {', '.join(ROWS)}")
    parser.add_argument("--runners", type=int, default=64,
                        help="runners enrolling at once in the closed loop")
    parser.add_argument("--warmup", type=int, default=4, help="warm-up runners, untimed")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0,
                        help="updates a second offered in the open loop")
    parser.add_argument("--open-updates", type=int, default=240,
                        help="updates in the open loop (0: none)")
    parser.add_argument("--open-runners", type=int, default=8,
                        help="runners taking turns in the open loop (8: the open loop's "
                        "updates are whole enrolments, not only their first questions)")
    parser.add_argument("--per-poll", type=int, default=1,
                        help="updates the fake hands out per getUpdates (100: a backlog)")
    parser.add_argument("--concurrency", type=int, default=64,
                        help="updates handled at once by the concurrent bots and the inbox")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the timed closed loops of every row run into FILE "
                        "(use with one row and --repeats 1) and print the top costs")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="delay every Bot API answer by this much (a remote API)")
    args = parser.parse_args(argv)
    args.rows = chosen_rows(parser, args.rows, ROWS)
    if min(args.runners, args.repeats, args.per_poll, args.concurrency, args.open_runners) < 1:
        parser.error("--runners, --open-runners, --repeats, --per-poll and --concurrency must "
                     "be positive")
    if args.rate <= 0 or min(args.latency_ms, args.warmup, args.open_updates) < 0:
        parser.error("--rate must be positive; --latency-ms, --warmup, --open-updates not "
                     "negative")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

"""The backlog workload: text messages all queued at once, handed to the bot up to 100 per
getUpdates (Telegram's default ``limit``), in updates/second. Not the headline any more
(bench.telegram_updates is: runners enrolling, one update per getUpdates); kept because
bench.inbox_cost and bench.metrics_overhead compare trees and wirings on it, and because a
backlog after downtime does reach a bot this way.

    python -m bench.telegram_burst [--updates N] [--users N] [--concurrency C]
                                   [--repeats R] [--warmup N] [--latency-ms MS]
                                   [--coach both|echo|kneecoach] [--with-limits]

Why issue 12 called it flattering: the people never get past the consent question (each
starts with /start, then help, free text, /today and a pain score typed where a button is
expected), so there are no presses, no intake writes, no triage; and 100 updates come with
each getUpdates where live traffic brings about one.

What keeps the comparison fair within it:
* one loopback fake Bot API (tests/fakes/telegram_api.py) serves every row of a run, in
  the same process and on the same event loop as the bot (so every row pays for the fake);
* every row gets the same N private messages from the same ``--users`` people (each starts
  with /start), all queued at once, and is timed from the first queued update until the
  last reply has been accepted by the fake;
* every row first handles ``--warmup`` messages from other people, untimed;
* concurrency is comparable: the bare bot runs both sequentially (PTB's default) and with
  ``concurrent_updates(C)`` and the same connection-pool size as the adapter; the adapter
  processes up to C updates at once (one chat strictly in order);
* the transport is comparable: the bare bot also runs on the aiohttp ``BaseRequest`` the
  adapter plugs into PTB, and the ratio is taken against the fastest bare row;
* Telegram's rate limits are off for every row; ``--with-limits`` adds a row with them on;
* rows are interleaved over ``--repeats`` rounds and each setup reports its median.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field

import aiohttp
import telegram
from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bench.telegram_bots import POOL, bare_application, echo_coach, real_coach
from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.domain.clock import SystemClock
from bot.engine.ports import CoachPort
from bot.schedule.inbox import Dispatcher, _Item
from bot.store.stores import Stores
from tests.fakes.telegram_api import FakeTelegram, adapter_settings

TARGET_RATIO = 0.6  # issue 12: against bare PTB on the same transport
WARMUP_USER_BASE = 90_000
USER_BASE = 10_000


@dataclass
class Run:
    updates: int
    seconds: float
    api_calls: int
    refused: int

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Setup:
    key: str
    label: str
    bare: bool
    note: str = ""
    runs: list[Run] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.runs)


def script(users: int, updates: int, first_user: int = USER_BASE) -> list[tuple[int, str]]:
    """(user id, text) pairs: each person starts with /start, then help and free text."""
    lines = ["/help", "my knee hurts going down stairs", "/today", "it was a 3 out of 10"]
    out: list[tuple[int, str]] = []
    for n in range(updates):
        user = first_user + n % users
        turn = n // users
        out.append((user, "/start" if turn == 0 else lines[turn % len(lines)]))
    return out


class Finished:
    """Counts updates whose replies have all been accepted (the bot has Telegram's answer)."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Event()

    def one(self) -> None:
        self.count += 1
        self._changed.set()

    async def reach(self, target: int, within: float = 3600) -> None:
        async with asyncio.timeout(within):
            while self.count < target:
                self._changed.clear()
                await self._changed.wait()


async def timed(server: FakeTelegram, messages: list[tuple[int, str]], finished: Finished) -> Run:
    """Queue ``messages`` and wait until the bot has finished with all of them."""
    before_calls, before_refused = len(server.calls), len(server.rejections)
    target = finished.count + len(messages)
    start = time.perf_counter()
    for user, text in messages:
        server.inject_private_text(user, text)
    await finished.reach(target)
    elapsed = time.perf_counter() - start
    return Run(
        len(messages),
        elapsed,
        len(server.calls) - before_calls,
        len(server.rejections) - before_refused,
    )


# ---------------------------------------------------------------------------------------------
# Bare PTB echo bot


async def run_bare(
    server: FakeTelegram,
    messages: list[tuple[int, str]],
    warmup: list[tuple[int, str]],
    concurrency: int,
    aiohttp_transport: bool = False,
) -> Run:
    finished = Finished()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        try:
            await update.message.reply_text(update.message.text)
        finally:
            finished.one()

    app = bare_application(server, concurrency=concurrency, aiohttp_transport=aiohttp_transport)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(timeout=10)
    await app.start()
    try:
        if warmup:
            await timed(server, warmup, finished)
        return await timed(server, messages, finished)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# ---------------------------------------------------------------------------------------------
# The Kneecoach adapter


class CountingInbox(Dispatcher):
    """The real inbox, counting updates whose replies have all been delivered."""

    finished: Finished

    async def _answer(self, lane: str, item: _Item) -> bool:
        done = await super()._answer(lane, item)
        if done:
            self.finished.one()
        return done


async def run_adapter(
    server: FakeTelegram,
    messages: list[tuple[int, str]],
    warmup: list[tuple[int, str]],
    coach: CoachPort,
    stores: Stores,
    concurrency: int,
    limits: RateLimits | None,
) -> Run:
    """The adapter polling the fake, every update kept in the durable inbox first and
    handled in its person's turn (``concurrency`` people at once)."""
    inbox = CountingInbox(stores, coach, SystemClock(), max_concurrent=concurrency)
    inbox.finished = Finished()
    adapter = TelegramAdapter(
        adapter_settings(server),
        coach,
        inbox=inbox,
        rate_limits=limits,
        connection_pool_size=POOL,
    )
    inbox.senders[adapter.platform] = adapter
    await adapter.start()
    try:
        if warmup:
            await timed(server, warmup, inbox.finished)
        return await timed(server, messages, inbox.finished)
    finally:
        await inbox.stop(5.0)
        await adapter.stop()


# ---------------------------------------------------------------------------------------------


def table(setups: list[Setup], best_bare: Setup) -> str:
    out = [
        "| setup | updates | median s | updates/s (median) | min-max updates/s | Bot API calls"
        " | refused | vs fastest bare | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in setups:
        rates = [r.rate for r in s.runs]
        seconds = statistics.median(r.seconds for r in s.runs)
        run = s.runs[0]
        out.append(
            f"| {s.label} | {run.updates} | {seconds:.2f} | {s.rate:.0f} | "
            f"{min(rates):.0f}-{max(rates):.0f} | {run.api_calls} | "
            f"{max(r.refused for r in s.runs)} | {s.rate / best_bare.rate:.2f}x | {s.note} |"
        )
    return "\n".join(out)


async def main_async(args: argparse.Namespace) -> int:
    messages = script(args.users, args.updates)
    warmup = script(min(args.users, 10), args.warmup, WARMUP_USER_BASE) if args.warmup else []
    conc = args.concurrency
    setups: list[Setup] = [
        Setup("bare-seq", "bare PTB echo bot, sequential (PTB defaults)", bare=True),
    ]
    if conc > 1:
        setups.append(
            Setup(
                "bare-conc",
                f"bare PTB echo bot, concurrent_updates({conc}), pool {POOL}",
                bare=True,
            )
        )
    setups.append(Setup("bare-aio-seq", "bare PTB echo bot, sequential, Kneecoach's aiohttp"
                        " transport", bare=True))
    if conc > 1:
        setups.append(Setup("bare-aio-conc", f"bare PTB echo bot, concurrent_updates({conc}),"
                            f" Kneecoach's aiohttp transport (pool {POOL})", bare=True))
    if args.coach in ("both", "echo"):
        setups.append(Setup("echo", f"Kneecoach adapter + echo coach, {conc} at once", bare=False))
    if args.coach in ("both", "kneecoach"):
        setups.append(
            Setup(
                "kneecoach",
                f"Kneecoach adapter + real Coach (SQLite), {conc} at once",
                bare=False,
                note="fresh database each round",
            )
        )

    async with FakeTelegram() as server:
        server.latency = args.latency_ms / 1000
        for _ in range(args.repeats):
            for setup in setups:
                run: Awaitable[Run]
                if setup.key == "bare-seq":
                    setup.runs.append(await run_bare(server, messages, warmup, 1))
                elif setup.key == "bare-conc":
                    setup.runs.append(await run_bare(server, messages, warmup, conc))
                elif setup.key == "bare-aio-seq":
                    setup.runs.append(await run_bare(server, messages, warmup, 1, True))
                elif setup.key == "bare-aio-conc":
                    setup.runs.append(await run_bare(server, messages, warmup, conc, True))
                elif setup.key == "echo":
                    async with echo_coach() as (coach, stores):
                        run = run_adapter(server, messages, warmup, coach, stores, conc, None)
                        setup.runs.append(await run)
                else:
                    async with real_coach() as (coach, stores):
                        run = run_adapter(server, messages, warmup, coach, stores, conc, None)
                        setup.runs.append(await run)
        limited: Setup | None = None
        if args.with_limits:
            limited = Setup(
                "limits",
                "Kneecoach adapter + real Coach, Telegram's limits on",
                bare=False,
                note="~30 messages/s by design",
            )
            few = messages[: min(len(messages), 150)]
            async with real_coach() as (coach, stores):
                limited.runs.append(
                    await run_adapter(server, few, [], coach, stores, conc, RateLimits())
                )

    bare = [s for s in setups if s.bare]
    best_bare = max(bare, key=lambda s: s.rate)
    print(
        f"Telegram updates end to end: {args.updates} private messages from {args.users} "
        f"people, {args.warmup} warm-up messages untimed, median of {args.repeats} "
        f"interleaved rounds; Python {platform.python_version()}, python-telegram-bot "
        f"{telegram.__version__}, aiohttp {aiohttp.__version__}; loopback fake Bot API in "
        f"the same process answering after {args.latency_ms:g} ms; rate limiters off.\n"
    )
    print(table([*setups, *([limited] if limited else [])], best_bare))
    verdict = next((s for s in setups if s.key == "kneecoach"), None)
    if verdict is not None:
        ratio = verdict.rate / best_bare.rate
        same = next((s for s in bare if s.key == "bare-conc"), bare[0])
        print(
            f"\nAdapter + real Coach: {verdict.rate:.0f} updates/s = {ratio:.2f}x the fastest "
            f"bare echo bot ({best_bare.label}: {best_bare.rate:.0f}/s); "
            f"{verdict.rate / same.rate:.2f}x the bare bot at the same concurrency. "
            f"Target >= {TARGET_RATIO:.2f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'}."
        )
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.telegram_burst",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--coach", choices=("both", "echo", "kneecoach"), default="both")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay every Bot API answer by this much (a remote API)",
    )
    parser.add_argument(
        "--with-limits",
        action="store_true",
        help="also run the adapter with Telegram's rate limits (150 updates)",
    )
    args = parser.parse_args(argv)
    if min(args.updates, args.users, args.concurrency, args.repeats) < 1:
        parser.error("--updates, --users, --concurrency and --repeats must be positive")
    if args.latency_ms < 0 or args.warmup < 0:
        parser.error("--latency-ms and --warmup must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

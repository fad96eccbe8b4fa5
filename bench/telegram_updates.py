"""End-to-end Telegram throughput: fake Bot API -> PTB -> coach -> reply, in updates/second.

    python -m bench.telegram_updates [--coach echo|kneecoach] [--updates N] [--users N]
                                     [--latency-ms MS] [--with-limits]

Every run measures a bare python-telegram-bot echo bot (sequential and concurrent update
processing) as the baseline, then the Kneecoach ``TelegramAdapter`` with the chosen coach:
``echo`` (a trivial CoachPort: the adapter's own cost) or ``kneecoach`` (the real
``bot.engine.coach.Coach`` on a temporary SQLite file, when it exists). N private-chat
messages from ``--users`` people are queued on the loopback fake (tests/fakes/telegram_api.py)
and the clock runs until every reply has been accepted by the fake.

The adapter runs without its outgoing rate limiter unless ``--with-limits`` is given: with
Telegram's limits on, throughput is capped near 30 messages/s by design, which measures the
limiter, not the code. ``--latency-ms`` delays every answer of the fake like a remote API
would (0 by default: pure CPU cost, where concurrency only adds overhead; with a realistic
50-100 ms, processing chats concurrently is what keeps throughput up). The fake server shares
the event loop and the CPU with the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import telegram
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.adapters import telegram_render as render
from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.engine.events import ConversationRef, Inbound, Reply
from bot.engine.ports import CoachPort
from tests.fakes.telegram_api import FakeTelegram, adapter_settings

SENDS = (
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
)


@dataclass
class Row:
    setup: str
    updates: int
    seconds: float
    api_calls: int
    refused: int = 0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else float("inf")


def script(users: int, updates: int) -> list[tuple[int, str]]:
    """(user id, text) pairs: each person starts with /start, then help and free text."""
    lines = ["/help", "my knee hurts going down stairs", "/today", "it was a 3 out of 10"]
    out: list[tuple[int, str]] = []
    for n in range(updates):
        user = 10_000 + n % users
        turn = n // users
        out.append((user, "/start" if turn == 0 else lines[turn % len(lines)]))
    return out


def sends(server: FakeTelegram) -> int:
    return sum(server.counts.get(m, 0) for m in SENDS)


# ---------------------------------------------------------------------------------------------
# Bare PTB echo bot


async def run_bare(server: FakeTelegram, messages: list[tuple[int, str]], concurrent: bool) -> Row:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    builder = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(f"{server.base_url}/bot")
        .base_file_url(f"{server.base_url}/file/bot")
        .job_queue(None)
    )
    if concurrent:
        builder = builder.concurrent_updates(256)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(timeout=10)
    await app.start()
    try:
        before = len(server.calls)
        start = time.perf_counter()
        for user, text in messages:
            server.inject_private_text(user, text)
        await server.wait_until(
            lambda: server.counts.get("sendMessage", 0) >= len(messages), within=600
        )
        elapsed = time.perf_counter() - start
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    label = "bare PTB echo bot, " + ("concurrent (256)" if concurrent else "sequential")
    return Row(label, len(messages), elapsed, len(server.calls) - before, len(server.rejections))


# ---------------------------------------------------------------------------------------------
# The Kneecoach adapter


class EchoCoach:
    """The smallest CoachPort: echo the text back (measures the adapter itself)."""

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        return [Reply("echo", getattr(inbound, "text", "") or getattr(inbound, "name", "?"))]

    def text(self, key: str, **values: object) -> str:
        return key

    def command_menu(self) -> list[tuple[str, str]]:
        return [("start", "Begin"), ("help", "Help")]


class Counting:
    """Wraps a coach; counts handled updates and the Bot API messages their replies need."""

    def __init__(self, inner: CoachPort, username: Callable[[], str | None]) -> None:
        self.inner = inner
        self.username = username
        self.handled = 0
        self.expected_sends = 0

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        replies = await self.inner.handle(ref, inbound)
        allowed = [r for r in replies if not (ref.shared and r.private)]
        self.expected_sends += sum(len(render.render_reply(r, self.username())) for r in allowed)
        self.handled += 1
        return replies

    def text(self, key: str, **values: object) -> str:
        return self.inner.text(key, **values)

    def command_menu(self) -> list[tuple[str, str]]:
        return self.inner.command_menu()


@contextlib.asynccontextmanager
async def kneecoach_coach() -> AsyncIterator[CoachPort | None]:
    try:
        from bot.engine.coach import Coach
    except ImportError as exc:
        print(f"bot.engine.coach.Coach is missing ({exc}); skipping the kneecoach row.")
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        coach = await Coach.open(Path(tmp) / "bench.db")
        try:
            yield coach
        finally:
            await coach.close()


async def run_adapter(
    server: FakeTelegram,
    messages: list[tuple[int, str]],
    coach: CoachPort,
    label: str,
    limits: RateLimits | None,
) -> Row:
    holder: dict[str, TelegramAdapter] = {}
    counting = Counting(coach, lambda: holder["a"].bot_username if "a" in holder else None)
    adapter = TelegramAdapter(adapter_settings(server), counting, rate_limits=limits)
    holder["a"] = adapter
    await adapter.start()
    try:
        before_calls, before_sends = len(server.calls), sends(server)
        start = time.perf_counter()
        for user, text in messages:
            server.inject_private_text(user, text)
        await server.wait_until(
            lambda: (
                counting.handled >= len(messages)
                and sends(server) - before_sends >= counting.expected_sends
            ),
            within=3600,
        )
        elapsed = time.perf_counter() - start
    finally:
        await adapter.stop()
    note = "Telegram limits on" if limits is not None else "rate limiter off"
    calls = len(server.calls) - before_calls
    return Row(label, len(messages), elapsed, calls, len(server.rejections), note)


# ---------------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    out = [
        "| setup | updates | seconds | updates/s | Bot API calls | refused | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        out.append(
            f"| {row.setup} | {row.updates} | {row.seconds:.2f} | {row.rate:.0f} | "
            f"{row.api_calls} | {row.refused} | {row.note} |"
        )
    return "\n".join(out)


async def main_async(args: argparse.Namespace) -> int:
    messages = script(args.users, args.updates)
    rows: list[Row] = []
    for concurrent in (False, True):
        async with FakeTelegram() as server:
            server.latency = args.latency_ms / 1000
            rows.append(await run_bare(server, messages, concurrent))

    async with contextlib.AsyncExitStack() as stack:
        coach: CoachPort | None
        if args.coach == "echo":
            coach, label = EchoCoach(), "Kneecoach adapter + echo coach"
        else:
            coach = await stack.enter_async_context(kneecoach_coach())
            label = "Kneecoach adapter + Coach (SQLite)"
        if coach is not None:
            limit_options: list[RateLimits | None] = [None]
            if args.with_limits:
                limit_options.append(RateLimits())
            for limits in limit_options:
                count = messages if limits is None else messages[: min(len(messages), 150)]
                async with FakeTelegram() as server:
                    server.latency = args.latency_ms / 1000
                    rows.append(await run_adapter(server, count, coach, label, limits))

    print(
        f"Telegram updates end to end ({args.updates} private messages from {args.users} "
        f"people; Python {platform.python_version()}, python-telegram-bot "
        f"{telegram.__version__}, loopback fake Bot API answering after "
        f"{args.latency_ms:g} ms)\n"
    )
    print(table(rows))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.telegram_updates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--coach", choices=("echo", "kneecoach"), default="echo")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
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
    if args.updates < 1 or args.users < 1 or args.latency_ms < 0:
        parser.error("--updates and --users must be positive, --latency-ms not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

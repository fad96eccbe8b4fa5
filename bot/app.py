"""Assembles the process: the coach, the adapters whose tokens are set, the scheduler."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.adapters.console import ConsoleChat
from bot.config import Settings
from bot.engine.clock import Clock, FakeClock, SystemClock
from bot.engine.coach import Coach
from bot.engine.events import ConversationRef
from bot.schedule.simulate import advance, parse_duration
from bot.schedule.ticker import Ticker
from bot.schedule.worker import DeliveryWorker

log = logging.getLogger(__name__)


async def run_chat(
    db_path: Path,
    user: str,
    script: str | None,
    json_mode: bool,
    start: datetime | None,
    out: TextIO | None = None,
) -> int:
    """The terminal chat, interactive or from a script file ('-' reads stdin)."""
    fake = FakeClock(start) if start is not None else None
    clock: Clock = fake or SystemClock()
    coach = await Coach.open(db_path, clock=clock)
    stream = out or sys.stdout
    chat = ConsoleChat(
        coach,
        ConversationRef("console", user, user),
        stream,
        json_mode=json_mode,
        now=clock.now,
    )
    ticker = Ticker(coach.db, DeliveryWorker(coach.db, coach, {"console": chat}, clock), clock)
    try:
        await ticker.tick()  # catch up on anything that fell due while we were away
        if script is not None:
            source = sys.stdin if script == "-" else None
            text = (
                await asyncio.to_thread(source.read)
                if source is not None
                else await asyncio.to_thread(Path(script).read_text, encoding="utf-8")
            )
            for line in text.splitlines():
                await _script_line(chat, ticker, fake, line, stream)
            return 0
        if fake is None:
            ticker.start()
        if not json_mode:
            stream.write(coach.text("console.banner", db=str(db_path)) + "\n\n")
            await chat.say("/start")
        loop = asyncio.get_running_loop()
        while True:
            stream.write("> ")
            stream.flush()
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return 0
            if line.strip() in {"/quit", "/exit"}:
                return 0
            await chat.say(line.rstrip("\n"))
    finally:
        await ticker.stop()
        await coach.close()


async def _script_line(
    chat: ConsoleChat, ticker: Ticker, fake: FakeClock | None, line: str, out: TextIO
) -> None:
    """One scripted line: a message, or `@advance 25h` to move simulated time."""
    if line.startswith("@advance"):
        delta = parse_duration(line.removeprefix("@advance"))
        if delta is None or fake is None:
            out.write(chat.coach.text("console.bad_advance") + "\n")
            return
        await advance(ticker, fake, delta)
        return
    if line.startswith("#"):
        return
    await chat.say(line)


async def run_app(settings: Settings) -> int:
    """`make run`: platforms with tokens, otherwise the terminal chat on the local file."""
    db = settings.db_path()
    if settings.telegram_bot_token is None and settings.discord_bot_token is None:
        return await run_chat(db, "local", None, False, None)
    raise SystemExit("platform adapters are not wired yet")

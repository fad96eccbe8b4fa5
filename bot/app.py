"""Assembles the process: the coach, the inbox, the adapters whose tokens are set, the
scheduler; stops it on a signal or when a platform refuses the bot."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.adapters.console import ConsoleChat
from bot.assembly import open_coach
from bot.check import build_checked
from bot.config import Settings, files_beside
from bot.content import Bundle, default_dialogs_root
from bot.domain.clock import Clock, FakeClock, SystemClock
from bot.domain.events import ConversationRef
from bot.domain.readiness import Readiness
from bot.engine.ports import Adapter, Sender
from bot.logging_policy import redact_secrets
from bot.platforms import Wiring, build_adapters, configured
from bot.schedule.gate import PlatformGate
from bot.schedule.inbox import Dispatcher
from bot.schedule.simulate import advance, parse_duration
from bot.schedule.ticker import Ticker
from bot.schedule.worker import DeliveryWorker

log = logging.getLogger(__name__)

EXIT_REFUSED = 3  # a platform refused the bot itself (revoked token, deleted bot)
EXIT_CANNOT_START = 2  # a door did not open at start
SHUTDOWN_GRACE = 3.0  # seconds the work in hand gets at shutdown


async def run_chat(
    db_path: Path,
    user: str,
    script: str | None,
    json_mode: bool,
    start: datetime | None,
    out: TextIO | None = None,
    bundle: Bundle | None = None,
    files_dir: Path | None = None,
) -> int:
    """The terminal chat, interactive or from a script file ('-' reads stdin). Files it is
    sent (charts, pictures, the summary, the export) go to ``files_dir``, by default a
    folder beside the database."""
    fake = FakeClock(start) if start is not None else None
    clock: Clock = fake or SystemClock()
    coach = await open_coach(db_path, clock=clock, bundle=bundle)
    stream = out or sys.stdout
    chat = ConsoleChat(
        coach,
        ConversationRef("console", user, user),
        stream,
        json_mode=json_mode,
        now=clock.now,
        files_dir=files_dir or files_beside(db_path),
    )
    worker = DeliveryWorker(coach.stores, coach, {"console": chat}, clock)
    ticker = Ticker(coach.stores.outbox, worker, clock)
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


async def run_app(
    settings: Settings, stop: asyncio.Event | None = None, *, bundle: Bundle | None = None
) -> int:
    """`make run`: platforms with tokens, otherwise the terminal chat on the local file.

    Returns the exit code: 0 after a stop (SIGINT, SIGTERM, ``stop``);
    ``EXIT_REFUSED`` when a platform refuses the bot itself (a revoked token: a deaf bot
    is a dead bot, its supervisor must notice); ``EXIT_CANNOT_START`` when a door does not
    open at start.
    """
    redact_secrets(_secrets(settings))
    db = settings.db_path()
    bundle = bundle or await build_checked(settings.content_root(), default_dialogs_root())
    if not configured(settings):
        return await run_chat(db, "local", None, False, None, bundle=bundle,
                              files_dir=settings.files_path())
    clock = SystemClock()
    coach = await open_coach(db, clock=clock, bundle=bundle)
    readiness = Readiness(clock)
    gate = PlatformGate(readiness)
    inbox = Dispatcher(coach.stores, coach, clock, gate=gate)
    adapters = build_adapters(settings, coach, Wiring(inbox, readiness))
    senders: dict[str, Sender] = {a.platform: a for a in adapters}
    inbox.senders.update(senders)
    worker = DeliveryWorker(coach.stores, coach, senders, clock, gate=gate)
    ticker = Ticker(
        coach.stores.outbox, worker, clock, inbox,
        claim_ahead=timedelta(seconds=settings.kneecoach_claim_ahead_seconds),
        retention=timedelta(days=settings.kneecoach_outbox_retention_days),
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    started: list[Adapter] = []
    try:
        # What the last run left unfinished goes first: queued before anything new arrives,
        # handled once the doors can send.
        await inbox.recover()
        for adapter in adapters:
            try:
                await adapter.start()
            except Exception as exc:
                log.critical("%s could not start (%s); stopping", adapter.platform,
                             _reason(exc))
                return EXIT_CANNOT_START
            started.append(adapter)
            log.info("%s adapter started", adapter.platform)
        inbox.start()
        # Everything built so far (the content, the compiled rules, the libraries) lives as
        # long as the process: a full collection need not walk it again (80-100 ms each).
        gc.collect()
        gc.freeze()
        # The sweep and delivery loops; their first pass, in the background, catches up on
        # what fell due while the bot was down.
        ticker.start(settings.kneecoach_tick_seconds)
        log.info("Kneecoach is running; data in %s", db)
        refused = asyncio.ensure_future(readiness.wait_fatal())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({refused, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            refused.cancel()
            stopped.cancel()
        if readiness.fatal is not None:
            log.critical("stopping: %s", readiness.fatal)
            return EXIT_REFUSED
        log.info("shutting down")
        return 0
    finally:
        # Stop taking new work: the tick and the turns in hand get a few seconds (anything
        # unsent stays in the outbox and the inbox for next time, and a delivery cut short
        # resumes from its first unrecorded message), then close the doors and the store.
        await asyncio.gather(ticker.stop(SHUTDOWN_GRACE), inbox.stop(SHUTDOWN_GRACE))
        for adapter in reversed(started):
            with contextlib.suppress(Exception):
                await adapter.stop()
        await coach.close()
        gc.unfreeze()  # the process may go on (tests, an embedding program)
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)


def _secrets(settings: Settings) -> list[str | None]:
    values = (settings.telegram_bot_token, settings.discord_bot_token,
              settings.telegram_webhook_secret)
    return [v.get_secret_value() if v is not None else None for v in values]


def _reason(exc: BaseException) -> str:
    """An exception, named without its text unless it is short (the redactor removes any
    token that slips through)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text and len(text) <= 200 else type(exc).__name__

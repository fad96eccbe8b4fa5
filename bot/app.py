"""Assembles the process: the coach, the inbox, the adapters whose tokens are set, the
scheduler; stops it on a signal or when a platform refuses the bot."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.adapters.console import ConsoleChat
from bot.assembly import open_coach
from bot.check import Checked, build_checked
from bot.config import Settings, files_beside
from bot.content import Bundle, default_dialogs_root
from bot.domain.clock import Clock, FakeClock, SystemClock
from bot.domain.events import ConversationRef
from bot.domain.readiness import Readiness
from bot.engine.ports import Adapter, Sender
from bot.engine.screener import Screener
from bot.logging_policy import redact_secrets
from bot.platforms import Wiring, build_adapters, configured, send_rates, start_error
from bot.schedule.gate import PlatformGate
from bot.schedule.inbox import Dispatcher
from bot.schedule.simulate import advance, parse_duration
from bot.schedule.spread import BusyMinutes
from bot.schedule.ticker import Ticker
from bot.schedule.worker import DeliveryWorker
from bot.service.startup import Started, StartError, start_with_retry, stop_aware_wait
from bot.service.wiring import Service

log = logging.getLogger(__name__)

EXIT_REFUSED = 3  # a platform refused the bot itself (revoked token, deleted bot)
EXIT_CANNOT_START = 2  # a door did not open at start
START_EXIT = {Started.STOPPED: 0, Started.REFUSED: EXIT_REFUSED,
              Started.BROKEN: EXIT_CANNOT_START}
LEADER = "kneecoach run"  # what one process at a time does on a shared database
WORKER_CONCURRENCY = 16  # outbox targets served at once, at least


async def run_chat(
    db_path: Path,
    user: str,
    script: str | None,
    json_mode: bool,
    start: datetime | None,
    out: TextIO | None = None,
    bundle: Bundle | None = None,
    files_dir: Path | None = None,
    screener: Screener | None = None,
) -> int:
    """The terminal chat, interactive or from a script file ('-' reads stdin). Files it is
    sent (charts, pictures, the summary, the export) go to ``files_dir``, by default a
    folder beside the database."""
    fake = FakeClock(start) if start is not None else None
    clock: Clock = fake or SystemClock()
    coach = await open_coach(db_path, clock=clock, bundle=bundle, screener=screener)
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
    settings: Settings,
    stop: asyncio.Event | None = None,
    *,
    checked: Checked | None = None,
    terminal: Callable[[], bool] | None = None,
) -> int:
    """`make run`: platforms with tokens, otherwise the terminal chat on the local file.

    Returns the exit code: 0 after a stop (SIGINT, SIGTERM, ``stop``), also while a door
    that could not be reached was waiting to be tried again; ``EXIT_REFUSED`` when a
    platform refuses the bot itself (a wrong or revoked token: a deaf bot is a dead bot,
    its supervisor must notice); ``EXIT_CANNOT_START`` when a door fails at start for
    another reason than the network, or when there is no platform and no terminal.
    """
    redact_secrets(_secrets(settings))
    db = settings.db_path()
    checked = checked or await build_checked(settings.content_root(), default_dialogs_root())
    bundle = checked.bundle
    if not configured(settings):
        if not (terminal or sys.stdin.isatty)():  # under a service manager: nobody to chat
            print("kneecoach: no platform configured (set TELEGRAM_BOT_TOKEN or "
                  "DISCORD_BOT_TOKEN) and no terminal for the chat; nothing was started",
                  file=sys.stderr)
            return EXIT_CANNOT_START
        return await run_chat(db, "local", None, False, None, bundle=bundle,
                              screener=checked.screener,
                              files_dir=settings.files_path())
    clock = SystemClock()
    readiness = Readiness(clock)
    service = Service(clock, readiness)
    names = [p.name for p in configured(settings)]
    service.platforms(names)
    service.count_logged_errors()
    rates = send_rates(settings)  # what reminders go out at: busy minutes, quieter times
    coach = await open_coach(settings.database_target(), clock=clock, bundle=bundle,
                             screener=service.count_screens(checked.screener),
                             pool_max=settings.kneecoach_db_pool_max, rates=rates,
                             lease=timedelta(seconds=settings.kneecoach_lease_seconds))
    gate = PlatformGate(readiness)
    inbox = Dispatcher(coach.stores, service.coach_port(coach), clock, gate=gate)
    adapters = build_adapters(settings, coach, Wiring(inbox, readiness))
    senders: dict[str, Sender] = {a.platform: a for a in adapters}
    inbox.senders.update(senders)
    # Targets served at once: enough for every message Telegram may have in flight (its
    # paid broadcast needs about 30 to reach its rate).
    worker = DeliveryWorker(coach.stores, coach, service.senders(adapters), clock, gate=gate,
                            concurrency=max(WORKER_CONCURRENCY, settings.telegram_in_flight))
    ticker = service.ticker(
        coach.stores.outbox, worker, inbox,
        claim_ahead=timedelta(seconds=settings.kneecoach_claim_ahead_seconds),
        retention=timedelta(days=settings.kneecoach_outbox_retention_days),
        busy=BusyMinutes(coach.stores.load, {name: rates[name] for name in names}),
    )
    health = (
        service.health_server(coach.stores.db, settings.kneecoach_tick_seconds, names,
                              host=settings.kneecoach_metrics_host,
                              port=settings.kneecoach_metrics_port)
        if settings.kneecoach_metrics_port is not None else None
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    started: list[Adapter] = []
    grace = settings.kneecoach_shutdown_grace
    leadership = contextlib.AsyncExitStack()
    try:
        if health is not None:
            await health.start()
        # One process runs the doors and the scheduler for a bot; on a shared database the
        # others wait as standbys and the first to get the lock takes over when it goes.
        if not await _lead(leadership, coach.stores.db.leadership(LEADER), stop):
            return 0
        # What the last run left unfinished goes first: queued before anything new arrives,
        # handled once the doors can send.
        await inbox.recover()
        for adapter in adapters:
            # A platform that cannot be reached is tried again with backoff (one line an
            # attempt); one that refuses the token, or fails otherwise, stops the process.
            outcome = await start_with_retry(
                adapter, lambda exc: StartError(start_error(exc)), stop_aware_wait(stop),
                connections=readiness, metrics=service.metrics)
            if outcome is not Started.STARTED:
                return START_EXIT[outcome]
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
        log.info("Kneecoach is running; data in %s", coach.stores.db.path)
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
        # Stop taking new work: the tick and the turns in hand get the grace period
        # (KNEECOACH_SHUTDOWN_GRACE; anything unsent stays in the outbox and the inbox for
        # next time, and a delivery cut short resumes from its first unrecorded message),
        # then close the doors, the health port and the store.
        await asyncio.gather(ticker.stop(grace), inbox.stop(grace))
        for adapter in reversed(started):
            with contextlib.suppress(Exception):
                await adapter.stop()
        if health is not None:
            await health.stop()
        service.close()
        await leadership.aclose()
        await coach.close()
        gc.unfreeze()  # the process may go on (tests, an embedding program)
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)


async def _lead(
    stack: contextlib.AsyncExitStack, lock: contextlib.AbstractAsyncContextManager[None],
    stop: asyncio.Event,
) -> bool:
    """Hold ``lock`` (waiting as a standby while another process does); False when told to
    stop first."""
    held = asyncio.ensure_future(stack.enter_async_context(lock))
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({held, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if held.done():
        held.result()
        return True
    held.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await held
    return False


def _secrets(settings: Settings) -> list[str | None]:
    values = (settings.telegram_bot_token, settings.discord_bot_token,
              settings.telegram_webhook_secret)
    return [*(v.get_secret_value() if v is not None else None for v in values),
            settings.database_password()]

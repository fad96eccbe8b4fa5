"""Assembles the process: the coach, the inbox, the adapters whose tokens are set, the
scheduler; stops it on a signal or when a platform refuses the bot."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.adapters.console import ConsoleChat
from bot.assembly import open_coach
from bot.check import Checked, build_checked
from bot.config import Settings, files_beside
from bot.content import Bundle, default_dialogs_root
from bot.domain.clock import Clock, FakeClock, SystemClock
from bot.domain.events import ConversationRef
from bot.domain.readiness import Readiness
from bot.engine.ports import Adapter, Sender, SharedDoor
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
from bot.store.database import Lead

log = logging.getLogger(__name__)

EXIT_REFUSED = 3  # a platform refused the bot itself (revoked token, deleted bot)
EXIT_CANNOT_START = 2  # a door did not open at start
START_EXIT = {Started.STOPPED: 0, Started.REFUSED: EXIT_REFUSED,
              Started.BROKEN: EXIT_CANNOT_START}
EXIT_LOST_LEAD = 4  # on a shared database, another process took the lead over: restart
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
    another reason than the network, when there is no platform and no terminal, or when the
    settings cannot work (``Settings.run_problem``); ``EXIT_LOST_LEAD`` when, on a shared
    database, this process led and another took the lead over (this one was frozen, or cut
    off from the database, past its lease): restarted, it follows.
    """
    redact_secrets(_secrets(settings))
    if (problem := settings.run_problem()) is not None:
        print(f"kneecoach: {problem}; nothing was started", file=sys.stderr)
        return EXIT_CANNOT_START
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
    # On a shared database a person's lane is leased like an outbox row (KNEECOACH_LEASE_SECONDS)
    inbox = Dispatcher(coach.stores, service.coach_port(coach), clock, gate=gate,
                       lane_lease=timedelta(seconds=settings.kneecoach_lease_seconds))
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
    # The handlers before this run, put back after it (asyncio's removal would leave the
    # default action: an embedding program's own handler, or a test run's, would be lost).
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in before:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    started: list[Adapter] = []
    grace = settings.kneecoach_shutdown_grace
    leadership = contextlib.AsyncExitStack()
    shared = coach.stores.db.dialect == "postgres"  # several processes may share it
    if shared:
        service.role.leads = False
        service.role.everywhere = tuple(a.platform for a in adapters
                                        if isinstance(a, SharedDoor))
        # A follower answers only on the doors it opens (Discord is the leader's).
        for platform in set(senders) - set(service.role.everywhere):
            del inbox.senders[platform]

    async def open_doors(lead: bool) -> int | None:
        """Each door's step for this role (see ``_steps``); a platform that cannot be
        reached is tried again with backoff (one line an attempt); one that refuses the
        token, or fails otherwise, stops the process: its exit code."""
        for adapter, step, part in _steps(adapters, shared, lead):
            outcome = await start_with_retry(
                adapter, lambda exc: StartError(start_error(exc)), stop_aware_wait(stop),
                connections=readiness, metrics=service.metrics, step=step, part=part)
            if outcome is not Started.STARTED:
                return START_EXIT[outcome]
            if adapter not in started:
                started.append(adapter)
            log.info("%s adapter %s", adapter.platform, "started" if lead else "connected")
        return None

    # What ends the run: a stop (SIGTERM), a refused token, and once leading a lost lead.
    ends: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait()),
                                       asyncio.ensure_future(readiness.wait_fatal())]
    try:
        if health is not None:
            await health.start()
        # What the last run left unfinished goes first: queued before anything new arrives,
        # handled once the doors can send.
        await inbox.recover()
        if shared:
            # On a shared database every process answers: the doors that run everywhere
            # can send (and take the webhook's posts) and the inbox runs from the start.
            if (code := await open_doors(lead=False)) is not None:
                return code
            inbox.start()  # (its own loop resumes paused lanes: a follower has no ticker)
            _freeze()
            log.info("Kneecoach is answering; data in %s", coach.stores.db.path)
        # One process at a time leads: it polls Telegram (or registers the webhook), owns
        # the Discord gateway and runs the scheduler. On a shared database the others
        # follow, and the first to find the leader's lease run out takes over.
        lead = await _lead(leadership, coach.stores.db.leadership(
            LEADER, settings.kneecoach_leader_lease_seconds), ends)
        if lead is not None and not stop.is_set() and readiness.fatal is None:
            if (code := await open_doors(lead=True)) is not None:
                return code
            inbox.senders.update(senders)
            if not shared:
                inbox.start()
                _freeze()
            service.role.leads = True
            # The sweep and delivery loops; their first pass, in the background, catches up
            # on what fell due while the bot was down.
            ticker.start(settings.kneecoach_tick_seconds)
            log.info("Kneecoach is running; data in %s", coach.stores.db.path)
            ends.append(asyncio.ensure_future(lead.lost()))
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        if readiness.fatal is not None:
            log.critical("stopping: %s", readiness.fatal)
            return EXIT_REFUSED
        if lead is not None and lead.why:
            # It might poll beside the new leader: it stops, and its supervisor starts it
            # again as a follower.
            log.critical("stopping: this process no longer leads (%s)", lead.why)
            return EXIT_LOST_LEAD
        log.info("shutting down")
        return 0
    finally:
        for end in ends:
            end.cancel()
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
        for signum, handler in before.items():
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)
            if handler is not None:
                with contextlib.suppress(ValueError):  # (only the main thread may set one)
                    signal.signal(signum, handler)


Step = tuple[Adapter, Callable[[], Awaitable[None]], str]


def _steps(adapters: list[Adapter], shared: bool, lead: bool) -> list[Step]:
    """What each door does in a role, and the part of it that opens: on a shared database
    a ``SharedDoor`` connects on every process (it can send) and leads on the leader (it
    receives); any other door, and every door of a process alone on its database, starts
    whole on the leader."""
    steps: list[Step] = []
    for adapter in adapters:
        if shared and isinstance(adapter, SharedDoor):
            steps.append((adapter, adapter.lead, "receiving") if lead
                         else (adapter, adapter.connect, "sending"))
        elif lead:
            steps.append((adapter, adapter.start, "receiving"))
    return steps


def _freeze() -> None:
    """Everything built so far (the content, the compiled rules, the libraries) lives as long
    as the process: a full collection need not walk it again (80-100 ms each)."""
    gc.collect()
    gc.freeze()


async def _lead(
    stack: contextlib.AsyncExitStack, lock: contextlib.AbstractAsyncContextManager[Lead],
    ends: list[asyncio.Future[Any]],
) -> Lead | None:
    """Hold ``lock`` (following while another process leads); None when one of ``ends``
    (a stop, a refused token) comes first."""
    held = asyncio.ensure_future(stack.enter_async_context(lock))
    await asyncio.wait({held, *ends}, return_when=asyncio.FIRST_COMPLETED)
    if held.done():
        return held.result()
    held.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await held
    return None


def _secrets(settings: Settings) -> list[str | None]:
    values = (settings.telegram_bot_token, settings.discord_bot_token,
              settings.telegram_webhook_secret)
    return [*(v.get_secret_value() if v is not None else None for v in values),
            settings.database_password()]

"""The scheduler's loops: the sweep (due reminders -> outbox rows, in small transactions,
claiming a little ahead) and the delivery worker (the outbox -> the platforms, continuously,
earliest due first) run as two separate tasks, so a long drain never holds up the next
sweep and a sweep never holds up a send. One APScheduler job for everyone beats every few
seconds: it wakes both loops and the inbox lanes whose answers wait for a retry. No
per-user jobs: they cost memory per person, duplicate on restart and cannot be shared by
several processes; the database is the source of truth.

``start()`` returns at once: the start-up catch-up is the loops' first pass, in the
background. ``stop()`` ends both within its grace period and loses nothing: unsent rows stay
in the outbox (a delivery cut short resumes from its first unrecorded message).

``tick()`` is one sweep and one drain, awaited: the terminal chat and simulated time
(``bot.schedule.simulate``) step with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.clock import Clock
from bot.schedule.inbox import Dispatcher
from bot.schedule.spread import BusyMinutes, Outlook
from bot.schedule.sweep import SweepResult, sweep
from bot.schedule.worker import DeliveryWorker, DrainStats, Nap, rest
from bot.store.outbox import OutboxStore

log = logging.getLogger(__name__)

JOB_ID = "kneecoach-tick"
# Telegram keeps an update it could not deliver for 24 hours: an event id is remembered for
# longer than that, so a late repeat is still dropped.
REMEMBER_EVENTS = timedelta(days=2)
PRUNE_EVERY = timedelta(hours=1)
RETENTION = timedelta(days=30)  # sent and missed outbox rows are kept this long


@dataclass(frozen=True, slots=True)
class TickResult:
    sweep: SweepResult
    drain: DrainStats


class Ticker:
    def __init__(
        self,
        outbox: OutboxStore,
        worker: DeliveryWorker,
        clock: Clock,
        inbox: Dispatcher | None = None,
        *,
        claim_ahead: timedelta = timedelta(0),
        retention: timedelta = RETENTION,
        nap: Nap = rest,
        busy: BusyMinutes | None = None,
    ) -> None:
        self.outbox = outbox
        self.worker = worker
        self.clock = clock
        self.inbox = inbox
        self.claim_ahead = claim_ahead
        self.retention = retention
        self._nap = nap
        self.busy = busy  # looks at the minutes about to be claimed (overfull: a warning)
        self._scheduler: AsyncIOScheduler | None = None
        self._running = asyncio.Lock()
        self._current: asyncio.Task[object] | None = None
        self._pruned: datetime | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self.sweep_wake = asyncio.Event()
        self.sweep_idle = asyncio.Event()
        self.swept = SweepResult(0, 0)  # the sweep loop's last pass

    async def tick(self) -> TickResult:
        """Sweep then drain, awaited (the terminal chat's catch-up and simulated time)."""
        async with self._running:
            self._current = asyncio.current_task()
            try:
                now = self.clock.now()
                swept = await sweep(self.outbox, now, ahead=self.claim_ahead)
                await self._look(now)
                drained = await self.worker.drain()
                if self.inbox is not None:
                    self.inbox.wake(self.clock.now())
                await self._prune(now)
            finally:
                self._current = None
            self.observe(swept, drained)
            if swept.claimed or drained.sent or drained.missed or drained.refused:
                log.info(
                    "tick: %d claimed, %d sent, %d retried, %d missed, %d blocked, %d refused",
                    swept.claimed, drained.sent, drained.retried, drained.missed,
                    drained.blocked, drained.refused,
                )
            return TickResult(swept, drained)

    def observe(self, swept: SweepResult, drained: DrainStats) -> None:
        """Told after every pass (a tick, a sweep, a drain): the service's metrics and
        heartbeat hook in here (``bot.service.metered.ObservedTicker``)."""

    def failed(self) -> None:
        """Told when a pass raised (it is logged and the loop goes on)."""

    def observe_busy(self, outlook: list[Outlook]) -> None:
        """Told after the upcoming minutes were looked at: the busiest upcoming minute and
        its lateness, per platform (``bot.service.metered.ObservedTicker``'s gauges)."""

    async def _look(self, now: datetime) -> None:
        """The minutes about to be claimed, counted (warns of an overfull one)."""
        if self.busy is not None:
            await self.busy.look(now + self.claim_ahead, now)
            self.observe_busy(self.busy.outlook())

    async def _prune(self, now: datetime) -> None:
        if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        if self.inbox is not None:
            await self.inbox.inbox.prune(now - REMEMBER_EVENTS)
        pruned = await self.outbox.prune(now - self.retention)
        if pruned:
            log.info("outbox: %d sent or missed rows older than %d days forgotten", pruned,
                     self.retention.days)

    async def next_event_after(self, now: datetime) -> datetime | None:
        """The next instant anything falls due (a reminder, a retry, a club post, a paused
        answer)."""
        candidates = [await self.outbox.next_event_after(now)]
        if self.inbox is not None:
            wake = self.inbox.next_wake()
            candidates.append(wake if wake is not None and wake > now else None)
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    # ----- the loops -----------------------------------------------------------------------

    def start(self, every_seconds: float = 5.0) -> None:
        """Start the sweep and delivery loops and the beat; returns at once (their first
        pass is the start-up catch-up)."""
        self._stopping = False
        self.worker.stopping = False
        self._loops = [
            asyncio.create_task(self._sweep_loop(every_seconds), name="kneecoach-sweep"),
            asyncio.create_task(
                self.worker.run(self._nap, lambda d: self.observe(SweepResult(0, 0), d),
                                self.failed),
                name="kneecoach-delivery"),
        ]
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self.beat,
            "interval",
            seconds=every_seconds,
            id=JOB_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(60, int(every_seconds * 12)),
        )
        scheduler.start()
        self._scheduler = scheduler

    async def beat(self) -> None:
        """Wake the loops and the lanes waiting for a retry (never waits for anything)."""
        self.sweep_wake.set()
        self.worker.wake.set()
        if self.inbox is not None:
            self.inbox.wake(self.clock.now())

    async def _sweep_loop(self, every_seconds: float) -> None:
        while not self._stopping:
            self.sweep_wake.clear()
            try:
                now = self.clock.now()
                self.swept = await sweep(
                    self.outbox, now, ahead=self.claim_ahead, stop=lambda: self._stopping
                )
                if self.swept.claimed or self.swept.clubs:
                    self.worker.nudge()
                    log.info("sweep: %d reminders and %d club posts claimed up to %s",
                             self.swept.claimed, self.swept.clubs,
                             (now + self.claim_ahead).strftime("%H:%M:%S"))
                if not self._stopping:
                    await self._look(now)
                if not self._stopping:
                    await self._prune(now)
                self.observe(self.swept, DrainStats())
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failed()
                log.exception("the sweep failed; the next one will try again")
            if self._stopping:
                return
            self.sweep_idle.set()
            try:
                await self._nap(self.sweep_wake, every_seconds)
            finally:
                self.sweep_idle.clear()

    async def settled(self) -> None:
        """Until both loops rest with nothing to do (tests, after moving the fake clock:
        ``nudge()`` first)."""
        while not (self.sweep_idle.is_set() and self.worker.idle.is_set()):
            await asyncio.sleep(0)
            if any(loop.done() for loop in self._loops):
                for loop in self._loops:
                    if loop.done() and not loop.cancelled() and loop.exception():
                        raise RuntimeError("a scheduler loop ended") from loop.exception()
                return

    def nudge(self) -> None:
        """Wake both loops now (the clock moved, or rows were added)."""
        self.sweep_idle.clear()
        self.sweep_wake.set()
        self.worker.nudge()

    async def stop(self, grace: float = 3.0) -> None:
        """No new sweep, no new row; the sends in hand get ``grace`` seconds, then they are
        cancelled (unsent rows stay in the outbox, and a row cut short mid-way resumes from
        its first unrecorded message)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self._stopping = True
        self.worker.stopping = True
        self.sweep_wake.set()
        self.worker.wake.set()
        try:
            work: set[asyncio.Task[object]] = {t for t in self._loops if not t.done()}
            current = self._current
            if current is not None and not current.done():
                work.add(current)
            if work:
                _, pending = await asyncio.wait(work, timeout=grace)
                for task in pending:
                    task.cancel()
                for task in pending:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        finally:
            self._loops = []
            self.worker.stopping = False

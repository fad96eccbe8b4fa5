"""One APScheduler job for everyone: every few seconds, sweep due reminders into the outbox,
drain the outbox, and wake the inbox lanes whose answers wait for a retry. No per-user jobs:
they cost memory per person, duplicate on restart and cannot be shared by several
processes; the database is the source of truth.
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
from bot.schedule.sweep import SweepResult, sweep
from bot.schedule.worker import DeliveryWorker, DrainStats
from bot.store.outbox import OutboxStore

log = logging.getLogger(__name__)

JOB_ID = "kneecoach-tick"
# Telegram keeps an update it could not deliver for 24 hours: an event id is remembered for
# longer than that, so a late repeat is still dropped.
REMEMBER_EVENTS = timedelta(days=2)
PRUNE_EVERY = timedelta(hours=1)


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
    ) -> None:
        self.outbox = outbox
        self.worker = worker
        self.clock = clock
        self.inbox = inbox
        self._scheduler: AsyncIOScheduler | None = None
        self._running = asyncio.Lock()
        self._current: asyncio.Task[object] | None = None
        self._pruned: datetime | None = None

    async def tick(self) -> TickResult:
        """Sweep then drain; the start-up catch-up is simply the first tick."""
        async with self._running:
            self._current = asyncio.current_task()
            try:
                now = self.clock.now()
                swept = await sweep(self.outbox, now)
                drained = await self.worker.drain()
                if self.inbox is not None:
                    self.inbox.wake(self.clock.now())
                    await self._prune(now)
            finally:
                self._current = None
            if swept.claimed or drained.sent or drained.missed or drained.refused:
                log.info(
                    "tick: %d claimed, %d sent, %d retried, %d missed, %d blocked, %d refused",
                    swept.claimed, drained.sent, drained.retried, drained.missed,
                    drained.blocked, drained.refused,
                )
            return TickResult(swept, drained)

    async def _prune(self, now: datetime) -> None:
        if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
            return
        assert self.inbox is not None
        await self.inbox.inbox.prune(now - REMEMBER_EVENTS)
        self._pruned = now

    async def next_event_after(self, now: datetime) -> datetime | None:
        """The next instant anything falls due (a reminder, a retry, a club post, a paused
        answer)."""
        candidates = [await self.outbox.next_event_after(now)]
        if self.inbox is not None:
            wake = self.inbox.next_wake()
            candidates.append(wake if wake is not None and wake > now else None)
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler tick failed; the next tick will try again")

    def start(self, every_seconds: float = 5.0) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self._safe_tick,
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

    async def stop(self, grace: float = 3.0) -> None:
        """No new tick; the one in flight stops starting new rows and gets ``grace`` seconds
        for the sends in hand, then it is cancelled (unsent rows stay in the outbox, and a
        row cut short mid-way resumes from its first unrecorded message)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self.worker.stopping = True
        try:
            current = self._current
            if current is not None and not current.done():
                _, pending = await asyncio.wait({current}, timeout=grace)
                if pending:
                    current.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await current
        finally:
            self.worker.stopping = False

"""One APScheduler job for everyone: every few seconds, sweep due reminders into the outbox
and drain the outbox. No per-user jobs: they cost memory per person, duplicate on restart
and cannot be shared by several processes; the database is the source of truth.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.clock import Clock
from bot.schedule.sweep import SweepResult, sweep
from bot.schedule.worker import DeliveryWorker, DrainStats
from bot.store.outbox import OutboxStore

log = logging.getLogger(__name__)

JOB_ID = "kneecoach-tick"


@dataclass(frozen=True, slots=True)
class TickResult:
    sweep: SweepResult
    drain: DrainStats


class Ticker:
    def __init__(self, outbox: OutboxStore, worker: DeliveryWorker, clock: Clock) -> None:
        self.outbox = outbox
        self.worker = worker
        self.clock = clock
        self._scheduler: AsyncIOScheduler | None = None
        self._running = asyncio.Lock()

    async def tick(self) -> TickResult:
        """Sweep then drain; the start-up catch-up is simply the first tick."""
        async with self._running:
            swept = await sweep(self.outbox, self.clock.now())
            drained = await self.worker.drain()
            if swept.claimed or drained.sent or drained.missed or drained.refused:
                log.info(
                    "tick: %d claimed, %d sent, %d retried, %d missed, %d blocked, %d refused",
                    swept.claimed, drained.sent, drained.retried, drained.missed,
                    drained.blocked, drained.refused,
                )
            return TickResult(swept, drained)

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
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

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._running:  # let an in-flight tick finish
            pass

"""The service's parts for one process, and where each plugs into the bot: ``bot.app``
uses it, and so do the tests (with a ``FakeClock``), so both run the same wiring."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from bot.domain.clock import Clock
from bot.domain.readiness import Readiness
from bot.engine.ports import CoachPort, Sender
from bot.engine.screener import Screener
from bot.schedule.inbox import Dispatcher
from bot.schedule.worker import DeliveryWorker
from bot.service.health import HealthServer, HealthSources, Role
from bot.service.metered import (
    ErrorCounter,
    Heartbeat,
    MeteredCoach,
    ObservedTicker,
    metered_senders,
)
from bot.service.metrics import Metrics
from bot.store.database import Database
from bot.store.health import HealthStore
from bot.store.outbox import OutboxStore


class Service:
    def __init__(self, clock: Clock, readiness: Readiness | None = None,
                 metrics: Metrics | None = None) -> None:
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.readiness = readiness or Readiness(clock)
        self.heartbeat = Heartbeat(clock)
        self.role = Role()  # what /readyz expects of this process (``bot.app`` sets it)
        self._errors: ErrorCounter | None = None

    def platforms(self, names: Iterable[str]) -> None:
        for name in names:
            self.metrics.platform(name)

    def coach_port(self, coach: CoachPort) -> MeteredCoach:
        return MeteredCoach(coach, self.metrics)

    def count_screens(self, screener: Screener) -> Screener:
        """The coach's screener, counting every screened text by its level."""
        return screener.observed(self.metrics.screen)

    def senders(self, senders: Iterable[Sender]) -> dict[str, Sender]:
        return metered_senders({s.platform: s for s in senders}, self.metrics,
                               self.readiness)

    def ticker(self, outbox: OutboxStore, worker: DeliveryWorker,
               inbox: Dispatcher | None = None, **options: Any) -> ObservedTicker:
        """``options``: the ticker's own (``claim_ahead``, ``retention``, ``nap``, ``busy``)."""
        return ObservedTicker(outbox, worker, self.clock, inbox, metrics=self.metrics,
                              heartbeat=self.heartbeat, **options)

    def health_server(
        self, db: Database, tick_seconds: float, platforms: Sequence[str], *,
        host: str = "127.0.0.1", port: int = 0,
    ) -> HealthServer:
        sources = HealthSources(
            health=HealthStore(db), readiness=self.readiness,
            heartbeat=self.heartbeat, tick_seconds=tick_seconds, platforms=list(platforms),
            metrics=self.metrics, clock=self.clock, role=self.role,
        )
        return HealthServer(sources, host, port)

    def count_logged_errors(self) -> None:
        """Every record at ERROR or above counts in ``kneecoach_errors{kind="logged"}``."""
        if self._errors is None:
            self._errors = ErrorCounter(self.metrics)
            logging.getLogger().addHandler(self._errors)

    def close(self) -> None:
        if self._errors is not None:
            logging.getLogger().removeHandler(self._errors)
            self._errors = None

"""One process as ``kneecoach run`` wires it, with the service's parts (metrics, readiness,
the health port) and a FakeClock: the real coach, the real TelegramAdapter polling the
loopback fake Bot API, the real delivery worker and ticker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.adapters.telegram import TelegramAdapter
from bot.assembly import open_coach
from bot.domain.clock import FakeClock
from bot.engine.coach import Coach
from bot.platforms import start_error
from bot.schedule.gate import PlatformGate
from bot.schedule.worker import DeliveryWorker
from bot.service.health import HealthServer
from bot.service.metered import ObservedTicker
from bot.service.startup import Started, StartError, start_with_retry
from bot.service.wiring import Service
from tests.fakes.telegram_api import FakeTelegram, adapter_settings
from tests.support.content import shipped_bundle, shipped_pictures, shipped_triage
from tests.support.inbox import open_inbox
from tests.support.recorder import Recorder

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 06:00 in London
TICK_SECONDS = 5.0


@dataclass
class SvcWorld:
    server: FakeTelegram
    service: Service
    coach: Coach
    port: Recorder
    clock: FakeClock
    adapter: TelegramAdapter
    worker: DeliveryWorker
    ticker: ObservedTicker
    health: HealthServer
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(f"http://127.0.0.1:{self.health.port}{path}") as answer:
            return answer.status, await answer.text()

    async def ready(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"http://127.0.0.1:{self.health.port}/readyz") as answer:
            return answer.status, await answer.json()


@contextlib.asynccontextmanager
async def svc_world(tmp_path: Path) -> AsyncIterator[SvcWorld]:
    clock = FakeClock(START)
    service = Service(clock)
    service.platforms(["telegram"])
    bundle = shipped_bundle()
    coach = await open_coach(tmp_path / "k.db", clock=clock, bundle=bundle,
                             screener=service.count_screens(shipped_triage().screener),
                             pictures=shipped_pictures())
    port = Recorder(service.coach_port(coach))  # type: ignore[arg-type]
    try:
        async with (
            FakeTelegram() as server,
            aiohttp.ClientSession() as http,
            open_inbox(port, stores=coach.stores, clock=clock,
                       gate=PlatformGate(service.readiness)) as inbox,
        ):
            adapter = TelegramAdapter(adapter_settings(server), port, rate_limits=None,
                                      inbox=inbox, readiness=service.readiness)
            inbox.senders[adapter.platform] = adapter

            async def no_wait(seconds: float) -> bool:
                return False

            started = await start_with_retry(
                adapter, lambda exc: StartError(start_error(exc)), no_wait,
                connections=service.readiness, metrics=service.metrics)
            assert started is Started.STARTED
            try:
                worker = DeliveryWorker(coach.stores, coach, service.senders([adapter]), clock)
                ticker = service.ticker(coach.stores.outbox, worker, inbox)
                health = service.health_server(coach.stores.db, TICK_SECONDS, ["telegram"])
                await health.start()
                try:
                    await ticker.tick()
                    yield SvcWorld(server, service, coach, port, clock, adapter, worker,
                                   ticker, health, http)
                finally:
                    await health.stop()
            finally:
                await adapter.stop()
    finally:
        service.close()
        await coach.close()


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v
                                           for k, v in labels.items()):
                return float(sample.value)
    return 0.0

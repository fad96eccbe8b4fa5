"""The optional local HTTP port (``KNEECOACH_METRICS_PORT``; off by default, bound to
127.0.0.1 unless ``KNEECOACH_METRICS_HOST`` says otherwise), on aiohttp in the bot's own
event loop:

* ``/healthz``: the process is alive (its event loop answers): 200.
* ``/readyz``: 200 when the database answers, every configured platform is connected (or
  down for less than the grace of ``ReadinessView``), and the scheduler ticked within two
  intervals; otherwise 503. The body says the process's role and names each check and,
  when one fails, why, in words fit for a log (an error's class, never a message text or a
  token). A follower (PostgreSQL: another process leads) is checked for what it runs: the
  database and the doors that run on every process (Telegram's sender, and its webhook
  server in webhook mode); the leader's doors and the scheduler are not its own.
* ``/metrics``: Prometheus' text format (``prometheus-client``), the outbox backlog read
  from the store at each scrape.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.domain.clock import Clock
from bot.service.metered import Heartbeat
from bot.service.metrics import Metrics
from bot.service.readiness import ReadinessView
from bot.store.health import HealthStore

log = logging.getLogger(__name__)

DB_TIMEOUT = 2.0  # seconds the database gets to answer a readiness check


@dataclass(slots=True)
class Role:
    """What this process does among those sharing a database: the leader runs every door
    and the scheduler; a follower the inbox and the doors that run on every process
    (``everywhere``). One process alone on its database leads."""

    leads: bool = True
    everywhere: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return "leader" if self.leads else "follower"


@dataclass(slots=True)
class HealthSources:
    health: HealthStore
    readiness: ReadinessView
    heartbeat: Heartbeat
    tick_seconds: float
    platforms: Sequence[str]  # the configured ones
    metrics: Metrics
    clock: Clock
    role: Role = field(default_factory=Role)


async def readiness_report(src: HealthSources) -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Any] = {}
    try:
        db_ok = await asyncio.wait_for(src.health.ping(), DB_TIMEOUT)
        checks["database"] = "ok" if db_ok else "no answer"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    leads = src.role.leads
    expected = [n for n in src.platforms if leads or n in src.role.everywhere]
    states = src.readiness.platforms()
    for name in expected:
        state = states.get(name)
        if state is None:
            checks[f"platform:{name}"] = "not started"
        else:
            checks[f"platform:{name}"] = "connected" if state.connected else (
                f"down: {state.reason}")
            src.metrics.connected(name, state.connected)
    age = src.heartbeat.age()
    window = 2 * src.tick_seconds
    if leads:  # a follower has no scheduler: it is the leader's
        checks["ticker"] = "not started" if age is None else (
            "ok" if age <= window else f"last tick {age:.0f} s ago")
    ready = (
        checks["database"] == "ok"
        and all(name in states for name in expected)
        and src.readiness.ready()
        and checks.get("ticker", "ok") == "ok"
    )
    return ready, checks


class HealthServer:
    def __init__(self, sources: HealthSources, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sources = sources
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> int:
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("health and metrics on http://%s:%d/ (healthz, readyz, metrics)",
                 self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _readyz(self, request: web.Request) -> web.Response:
        ready, checks = await readiness_report(self.sources)
        return web.json_response({"ready": ready, "role": self.sources.role.name,
                                  "checks": checks},
                                 status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        src = self.sources
        try:
            backlog = await asyncio.wait_for(src.health.outbox_backlog(), DB_TIMEOUT)
            src.metrics.backlog(backlog.pending, backlog.oldest_age(src.clock.now()))
        except Exception as exc:  # the scrape still answers with the counters
            log.warning("metrics: the outbox backlog could not be read (%s)",
                        type(exc).__name__)
        body = src.metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def probe(host: str, port: int, path: str, timeout: float = 3.0) -> tuple[int, str]:
    """``kneecoach health``: ask the running bot's port (status, body); (0, why) when
    nothing answers."""
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return int(answer.status), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return 0, f"no answer from {url}: {type(exc).__name__}"


def pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=1)
    except ValueError:
        return body

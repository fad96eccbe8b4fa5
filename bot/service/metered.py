"""The engine's ports and the scheduler, observed from outside: each wrapper does what it
wraps and reports counts to ``Metrics`` (and platform state to ``Connections``). Nothing
here decides anything; no engine or adapter module knows these exist.

* ``MeteredCoach`` (a ``CoachPort``, what the doors call): updates handled, turn latency,
  replies per platform; it also binds the log context of the turn (``turn_context``).
* ``MeteredSender`` (a ``Sender``, what the delivery worker calls): what each platform
  answered (sent, 429 and its wait, blocked, refused); any answer means the platform is
  reachable, ``Unreachable`` (a network error, a timeout, a 5xx) that it is not (as the
  platform gate also reports).
* ``ObservedTicker`` (the ``Ticker``): reminders due and what became of them, how late each
  went out, the busiest upcoming minute and how late its last reminder is expected to go
  out, and the heartbeat ``/readyz`` reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.domain.clock import Clock
from bot.domain.events import ConversationRef, Inbound, Reply
from bot.domain.results import SendResult, Unreachable
from bot.engine.ports import CoachPort, Sender
from bot.schedule.spread import Outlook
from bot.schedule.sweep import SweepResult
from bot.schedule.ticker import Ticker, TickResult
from bot.schedule.worker import DrainStats
from bot.service.log_format import turn_context
from bot.service.metrics import Metrics
from bot.service.readiness import ConnectionReports

log = logging.getLogger(__name__)

ERROR_KEY = "error.internal"  # the host's reply when a turn failed


class MeteredCoach:
    def __init__(self, coach: CoachPort, metrics: Metrics,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.coach = coach
        self.metrics = metrics
        self.timer = timer

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        started = self.timer()
        with turn_context(ref.platform, ref.user_id):
            replies = await self.coach.handle(ref, inbound)
        failed = any(r.key == ERROR_KEY for r in replies)
        self.metrics.turn(ref.platform, self.timer() - started, len(replies), failed)
        return replies

    def text(self, key: str, **values: object) -> str:
        return self.coach.text(key, **values)

    def command_menu(self) -> list[tuple[str, str]]:
        return self.coach.command_menu()


class MeteredSender:
    """``options``: whatever else the sender takes is passed through untouched."""

    def __init__(self, sender: Sender, metrics: Metrics,
                 connections: ConnectionReports | None = None) -> None:
        self.sender = sender
        self.platform = sender.platform
        self.metrics = metrics
        self.connections = connections

    async def send(self, ref: ConversationRef, replies: Sequence[Reply],
                   idempotency_key: str, **options: Any) -> SendResult:
        try:
            result: SendResult = await self.sender.send(ref, replies, idempotency_key,
                                                        **options)
        except Exception:
            self.metrics.error("send_exception")
            raise
        self.metrics.sent(self.platform, replies, result)
        if self.connections is not None:
            if isinstance(result, Unreachable):
                self.connections.down(self.platform, "sending", "no answer")
            else:
                self.connections.up(self.platform, "sending")
        return result


def metered_senders(senders: Mapping[str, Sender], metrics: Metrics,
                    connections: ConnectionReports | None = None) -> dict[str, Sender]:
    return {name: MeteredSender(s, metrics, connections) for name, s in senders.items()}


class Heartbeat:
    """When the scheduler last started or finished a tick."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last: datetime | None = None

    def beat(self) -> None:
        self.last = self.clock.now()

    def age(self) -> float | None:
        if self.last is None:
            return None
        return (self.clock.now() - self.last).total_seconds()


class ObservedTicker(Ticker):
    """The ticker, beating the heartbeat and counting what each tick did."""

    def __init__(self, *args: Any, metrics: Metrics, heartbeat: Heartbeat,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics
        self.heartbeat = heartbeat

    async def tick(self) -> TickResult:
        self.heartbeat.beat()
        try:
            return await super().tick()
        except Exception:
            self.failed()
            raise

    def observe(self, swept: SweepResult, drained: DrainStats) -> None:
        """After every tick, and every pass of the sweep and delivery loops."""
        self.heartbeat.beat()
        self.metrics.tick(
            swept.claimed + swept.clubs,
            {"sent": drained.sent, "retried": drained.retried, "missed": drained.missed,
             "blocked": drained.blocked, "refused": drained.refused,
             "failed": drained.failed, "skipped": drained.skipped},
            drained.late,
            self.clock.now().timestamp(),
        )

    def failed(self) -> None:
        self.metrics.error("tick")

    def observe_busy(self, outlook: list[Outlook]) -> None:
        for platform in outlook:
            self.metrics.busy(platform.platform, platform.busiest, platform.late_seconds)


class ErrorCounter(logging.Handler):
    """Counts every record at ERROR or above as an error of kind "logged"."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(logging.ERROR)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        self.metrics.error("logged")

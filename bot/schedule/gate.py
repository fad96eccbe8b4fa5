"""One probe at a time while a platform is down, instead of a retry for every message.

When a send finds the platform itself unreachable (``Unreachable``: network, timeout, 5xx),
the platform's gate closes: nothing more is sent to it until ``next_probe``, when ONE
message (whichever comes first) is tried. Its answer opens the gate again (any answer from
the platform, even a refusal, shows it is reachable) or closes it for longer: 5 s, 10 s,
20 s, 40 s, then every 60 s (``MAX_WAIT``). Messages waiting meanwhile are not charged an
attempt; they wait until their own late limit says they are no longer worth sending.
The gate reports to ``Readiness`` (the platform's "sending" part).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.readiness import Readiness
from bot.domain.results import SendResult, Unreachable

FIRST_WAIT = 5.0
MAX_WAIT = 60.0


@dataclass(slots=True)
class _Closed:
    failures: int
    next_probe: datetime
    probing: bool = False
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # the probe answered


class PlatformGate:
    def __init__(self, readiness: Readiness | None = None) -> None:
        self.readiness = readiness
        self._closed: dict[str, _Closed] = {}

    async def admit(self, platform: str, now: datetime) -> bool:
        """True when a message may go to ``platform`` now: the gate is open, or it is time
        for the probe (the first caller then IS the probe and must report its answer with
        ``settle``; the others wait for that answer). False: wait until ``next_probe``."""
        while True:
            closed = self._closed.get(platform)
            if closed is None:
                return True
            if now < closed.next_probe:
                return False
            if not closed.probing:
                closed.probing = True
                return True
            await closed.settled.wait()

    def next_probe(self, platform: str) -> datetime | None:
        closed = self._closed.get(platform)
        return None if closed is None else closed.next_probe

    def closed_platforms(self) -> dict[str, datetime]:
        return {p: c.next_probe for p, c in self._closed.items()}

    def settle(self, platform: str, result: SendResult, now: datetime) -> None:
        """What the platform answered a send (or that it did not)."""
        if isinstance(result, Unreachable):
            self.failed(platform, now, result.reason, result.seconds)
        else:
            self.succeeded(platform)

    def failed(
        self, platform: str, now: datetime, reason: str, at_least: float = 0.0
    ) -> datetime:
        closed = self._closed.get(platform)
        failures = 1 if closed is None else closed.failures + (1 if closed.probing else 0)
        wait = max(at_least, min(FIRST_WAIT * 2 ** (failures - 1), MAX_WAIT))
        if closed is not None and not closed.probing:
            # Another send that was already out when the gate closed: no new wait.
            return closed.next_probe
        probe = now + timedelta(seconds=wait)
        self._closed[platform] = _Closed(failures, probe)
        if closed is not None:
            closed.settled.set()
        if self.readiness is not None:
            self.readiness.down(platform, "sending", reason or "unreachable")
        return probe

    def succeeded(self, platform: str) -> None:
        closed = self._closed.pop(platform, None)
        if closed is not None:
            closed.settled.set()
        if self.readiness is not None:
            self.readiness.up(platform, "sending")

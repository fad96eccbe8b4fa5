"""Is the bot able to do its job right now? What ``/readyz`` reports.

``ReadinessView`` is all the health endpoint reads of platform state: whether the process
is ready, and per platform whether it is connected and why not. ``Connections`` is the
state kept here from what the service sees from outside the adapters: a door that did or
did not open at start (``startup``), and what a platform answered to each delivery (any
answer is "connected"; a network error, a timeout, a 5xx is not). A platform counts as
ready while it has been down for less than ``grace`` (one blip is not an outage).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.clock import Clock

GRACE = timedelta(seconds=30)


class PlatformHealth(Protocol):
    @property
    def connected(self) -> bool: ...

    @property
    def reason(self) -> str: ...


class ReadinessView(Protocol):
    def ready(self) -> bool: ...

    def platforms(self) -> Mapping[str, PlatformHealth]: ...


@dataclass(frozen=True, slots=True)
class PlatformState:
    connected: bool
    since: datetime  # when it last changed
    reason: str = ""  # why it is down: an error's class, never a message text or a token


class Connections:
    """Per platform and part ("receiving", "sending"): connected or not, since when."""

    def __init__(self, clock: Clock, grace: timedelta = GRACE) -> None:
        self.clock = clock
        self.grace = grace
        self._parts: dict[tuple[str, str], PlatformState] = {}

    def up(self, platform: str, part: str) -> None:
        known = self._parts.get((platform, part))
        if known is None or not known.connected:
            self._parts[(platform, part)] = PlatformState(True, self.clock.now())

    def down(self, platform: str, part: str, reason: str) -> None:
        known = self._parts.get((platform, part))
        since = known.since if known is not None and not known.connected else self.clock.now()
        self._parts[(platform, part)] = PlatformState(False, since, reason)

    def state(self, platform: str) -> PlatformState | None:
        parts = [s for (p, _), s in self._parts.items() if p == platform]
        if not parts:
            return None
        down = [s for s in parts if not s.connected]
        if down:
            return min(down, key=lambda s: s.since)
        return PlatformState(True, max(s.since for s in parts))

    def platforms(self) -> dict[str, PlatformState]:
        names = sorted({p for p, _ in self._parts})
        return {name: state for name in names if (state := self.state(name)) is not None}

    def ready(self) -> bool:
        now = self.clock.now()
        return all(s.connected or now - s.since < self.grace
                   for s in self.platforms().values())

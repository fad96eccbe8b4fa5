"""Is the bot able to do its job right now? Per platform: connected or not, and since when.

Written by the adapters (receiving: a poll that came back, a gateway that is up) and by the
delivery worker (sending: the platform answered, or did not); read by whoever reports
health (a later health endpoint, the logs). The process is ready while no platform has been
unreachable for longer than ``grace`` (a single blip is not an outage).

A platform that refuses the bot itself (an unknown or revoked token: Telegram's 401 or 404,
Discord's failed login) is ``fatal``: a bot that can neither hear nor speak must stop with
a non-zero exit so its supervisor notices, rather than run on deaf (``kneecoach run`` waits
on ``wait_fatal``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.clock import Clock

GRACE = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class PlatformState:
    connected: bool
    since: datetime  # when it last changed
    reason: str = ""  # why it is down (no message text, no token)


class Readiness:
    def __init__(self, clock: Clock, grace: timedelta = GRACE) -> None:
        self.clock = clock
        self.grace = grace
        self._parts: dict[tuple[str, str], PlatformState] = {}
        self._fatal: str | None = None
        self._fatal_event = asyncio.Event()

    def up(self, platform: str, part: str) -> None:
        """``part`` ("receiving", "sending") of ``platform`` works."""
        known = self._parts.get((platform, part))
        if known is None or not known.connected:
            self._parts[(platform, part)] = PlatformState(True, self.clock.now())

    def down(self, platform: str, part: str, reason: str) -> None:
        known = self._parts.get((platform, part))
        if known is None or known.connected:
            self._parts[(platform, part)] = PlatformState(False, self.clock.now(), reason)
        elif known.reason != reason:
            self._parts[(platform, part)] = PlatformState(False, known.since, reason)

    def state(self, platform: str) -> PlatformState | None:
        """Connected when every part is; since the newest change (or, when down, since it
        first went down)."""
        parts = [s for (p, _), s in self._parts.items() if p == platform]
        if not parts:
            return None
        down = [s for s in parts if not s.connected]
        if down:
            first = min(down, key=lambda s: s.since)
            return PlatformState(False, first.since, first.reason)
        return PlatformState(True, max(s.since for s in parts))

    def platforms(self) -> dict[str, PlatformState]:
        names = sorted({p for p, _ in self._parts})
        return {name: state for name in names if (state := self.state(name)) is not None}

    def ready(self) -> bool:
        """No fatal refusal, and no platform down for longer than ``grace``."""
        if self._fatal is not None:
            return False
        now = self.clock.now()
        return all(s.connected or now - s.since < self.grace for s in self.platforms().values())

    def fail(self, platform: str, reason: str) -> None:
        """The platform refuses the bot itself: the process must stop."""
        if self._fatal is None:
            self._fatal = f"{platform}: {reason}"
        self.down(platform, "receiving", reason)
        self._fatal_event.set()

    @property
    def fatal(self) -> str | None:
        return self._fatal

    async def wait_fatal(self) -> str:
        await self._fatal_event.wait()
        assert self._fatal is not None
        return self._fatal

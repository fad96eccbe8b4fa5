"""What ``/readyz`` reads of the platforms: whether the process is ready, and per platform
whether it is connected and why not. ``bot.domain.readiness.Readiness`` (written by the
adapters, the platform gate and the start-up retries) is the one in use; these protocols
keep the health endpoint to what it reads and the start-up to what it reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class PlatformHealth(Protocol):
    @property
    def connected(self) -> bool: ...

    @property
    def reason(self) -> str: ...


class ReadinessView(Protocol):
    def ready(self) -> bool: ...

    def platforms(self) -> Mapping[str, PlatformHealth]: ...


class ConnectionReports(Protocol):
    def up(self, platform: str, part: str) -> None: ...

    def down(self, platform: str, part: str, reason: str) -> None: ...

"""What a platform answered to a proactive send: sent, retry after N seconds, blocked, failed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sent:
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RetryAfter:
    seconds: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Blocked:
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str = ""


SendResult = Sent | RetryAfter | Blocked | Failed

"""Opening the doors at start, as a service should: a platform that cannot be reached is
tried again with backoff (1, 2, 4 ... up to ``max_wait`` seconds), one log line per
attempt and never a traceback at INFO; a platform that refuses the bot itself (a wrong or
revoked token) is not tried again: the process stops with a clear line and a non-zero exit
so its supervisor notices. A stop (SIGTERM) while waiting ends the wait at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import Enum

from bot.engine.ports import Adapter
from bot.service.metrics import Metrics
from bot.service.readiness import ConnectionReports

log = logging.getLogger(__name__)

FIRST_WAIT = 1.0
MAX_WAIT = 60.0


class StartError(Enum):
    UNREACHABLE = "unreachable"  # network, timeout, 5xx, a rate limit: try again
    REFUSED = "refused"  # the platform refuses the bot itself: stop
    BROKEN = "broken"  # anything else (a bug, a bad setting): stop


class Started(Enum):
    STARTED = "started"
    STOPPED = "stopped"  # asked to stop while waiting to try again
    REFUSED = "refused"
    BROKEN = "broken"


Waiter = Callable[[float], Awaitable[bool]]  # wait up to N seconds; True when asked to stop


def stop_aware_wait(stop: asyncio.Event) -> Waiter:
    async def wait(seconds: float) -> bool:
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            return False
        return True

    return wait


def describe(exc: BaseException) -> str:
    """An error in one short line: its class, and its text when short (adapters keep tokens
    and URLs out of their errors' text)."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {text}" if text and len(text) <= 160 else name


async def start_with_retry(
    adapter: Adapter,
    classify: Callable[[BaseException], StartError],
    wait: Waiter,
    *,
    connections: ConnectionReports | None = None,
    metrics: Metrics | None = None,
    first_wait: float = FIRST_WAIT,
    max_wait: float = MAX_WAIT,
    step: Callable[[], Awaitable[None]] | None = None,
    part: str = "receiving",
) -> Started:
    """Take ``step`` (by default ``adapter.start``) until it works; ``part``: what of the
    platform it opens, reported to ``connections``."""
    attempt = 0
    delay = first_wait
    while True:
        attempt += 1
        try:
            await (step or adapter.start)()
        except Exception as exc:
            kind = classify(exc)
            if metrics is not None:
                metrics.error("platform_start")
            if connections is not None:
                connections.down(adapter.platform, part, type(exc).__name__)
            if kind is StartError.REFUSED:
                log.critical("%s refused the bot (%s): check its token; stopping",
                             adapter.platform, describe(exc))
                return Started.REFUSED
            if kind is StartError.BROKEN:
                log.critical("%s could not start (%s); stopping", adapter.platform,
                             describe(exc))
                log.debug("%s start failure", adapter.platform, exc_info=exc)
                return Started.BROKEN
            log.warning("%s not reachable (%s), attempt %d; trying again in %.0f s",
                        adapter.platform, describe(exc), attempt, delay)
            if await wait(delay):
                return Started.STOPPED
            delay = min(delay * 2, max_wait)
            continue
        if connections is not None:
            connections.up(adapter.platform, part)
        if attempt > 1:
            log.info("%s connected after %d attempts", adapter.platform, attempt)
        return Started.STARTED

"""A door that cannot be reached at start is tried again with backoff, one log line per
attempt and no traceback; a refused token stops at once; a stop ends the waiting. The real
TelegramAdapter against the fake Bot API; the waits are recorded, never slept."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.domain.clock import FakeClock
from bot.domain.readiness import Readiness as Connections
from bot.platforms import start_error
from bot.service.metrics import Metrics
from bot.service.startup import Started, StartError, start_with_retry
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram, ScriptedCoach, adapter_settings
from tests.support.inbox import open_inbox


def classify(exc: BaseException) -> StartError:
    return StartError(start_error(exc))


class Waits:
    """Records each wait; says "stop" at the wait numbered ``stop_at`` (1-based)."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.seconds: list[float] = []
        self.stop_at = stop_at

    async def __call__(self, seconds: float) -> bool:
        self.seconds.append(seconds)
        return self.stop_at is not None and len(self.seconds) >= self.stop_at


async def test_unreachable_telegram_is_tried_again_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    clock = FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    connections = Connections(clock)
    metrics = Metrics()
    async with FakeTelegram() as server, open_inbox(ScriptedCoach()) as inbox:
        for _ in range(3):
            server.drop_next("getMe")  # the connection closes without an answer
        adapter = TelegramAdapter(adapter_settings(server), ScriptedCoach(), rate_limits=None,
                                  inbox=inbox)
        waits = Waits()
        try:
            outcome = await start_with_retry(adapter, classify, waits,
                                             connections=connections, metrics=metrics)
            assert outcome is Started.STARTED
            assert adapter.running
        finally:
            await adapter.stop()
    assert waits.seconds == [1.0, 2.0, 4.0]
    attempts = [r for r in caplog.records if "not reachable" in r.getMessage()]
    assert len(attempts) == 3
    assert [r.levelname for r in attempts] == ["WARNING"] * 3
    assert "attempt 3; trying again in 4 s" in attempts[-1].getMessage()
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in caplog.records
               if r.levelno >= logging.INFO and r.name.startswith("bot."))
    assert "Traceback" not in caplog.text
    assert DEFAULT_TOKEN not in caplog.text
    assert connections.platforms()["telegram"].connected
    assert metrics.errors.labels("platform_start")._value.get() == 3


async def test_backoff_is_capped() -> None:
    async with FakeTelegram() as server, open_inbox(ScriptedCoach()) as inbox:
        for _ in range(9):
            server.drop_next("getMe")
        adapter = TelegramAdapter(adapter_settings(server), ScriptedCoach(), rate_limits=None,
                                  inbox=inbox)
        waits = Waits()
        try:
            assert await start_with_retry(adapter, classify, waits, max_wait=30.0) is (
                Started.STARTED)
        finally:
            await adapter.stop()
    assert waits.seconds == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]


async def test_a_refused_token_is_not_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    connections = Connections(clock)
    async with FakeTelegram() as server, open_inbox(ScriptedCoach()) as inbox:
        wrong = "111111:wrong-token-for-this-bot"
        adapter = TelegramAdapter(adapter_settings(server, token=wrong), ScriptedCoach(),
                                  inbox=inbox)
        waits = Waits()
        outcome = await start_with_retry(adapter, classify, waits, connections=connections)
    assert outcome is Started.REFUSED
    assert waits.seconds == []
    (line,) = [r for r in caplog.records if r.name == "bot.service.startup"]
    assert line.levelname == "CRITICAL" and "refused the bot" in line.getMessage()
    assert wrong not in caplog.text and "Traceback" not in caplog.text
    assert not connections.platforms()["telegram"].connected


async def test_a_stop_while_waiting_ends_the_start() -> None:
    async with FakeTelegram() as server, open_inbox(ScriptedCoach()) as inbox:
        for _ in range(5):
            server.drop_next("getMe")
        adapter = TelegramAdapter(adapter_settings(server), ScriptedCoach(), rate_limits=None,
                                  inbox=inbox)
        waits = Waits(stop_at=2)
        assert await start_with_retry(adapter, classify, waits) is Started.STOPPED
        assert not adapter.running
    assert waits.seconds == [1.0, 2.0]


async def test_the_stop_aware_wait_returns_at_once_on_stop() -> None:
    from bot.service.startup import stop_aware_wait

    stop = asyncio.Event()
    wait = stop_aware_wait(stop)
    stop.set()
    assert await asyncio.wait_for(wait(3600), timeout=5) is True
    assert await stop_aware_wait(asyncio.Event())(0) is False

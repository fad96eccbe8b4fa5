"""Telegram fixtures: the fake Bot API server, a scripted coach, started adapters.

Reusable elsewhere: ``tests.fakes.telegram_api`` holds ``FakeTelegram`` and
``running_adapter(server, coach)`` (an async context manager giving a started
``TelegramAdapter`` for any ``CoachPort``); these fixtures are thin wrappers around them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.engine.ports import CoachPort
from tests.fakes.telegram_api import FakeTelegram, ScriptedCoach, StartAdapter, running_adapter


@pytest.fixture
async def tg_server() -> AsyncIterator[FakeTelegram]:
    """A started fake Telegram Bot API on 127.0.0.1."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def tg_coach() -> ScriptedCoach:
    return ScriptedCoach()


@pytest.fixture
async def tg_start_adapter(tg_server: FakeTelegram) -> AsyncIterator[StartAdapter]:
    """Factory: ``await tg_start_adapter(coach, **settings)`` -> a started adapter.

    Keyword ``rate_limits`` (a ``RateLimits`` or ``None``) is passed to the adapter, other
    keywords to ``TelegramSettings``. Everything started is stopped at teardown.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start(coach: CoachPort, **kwargs: Any) -> TelegramAdapter:
            return await stack.enter_async_context(running_adapter(tg_server, coach, **kwargs))

        yield start


@pytest.fixture
async def tg_adapter(tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach) -> TelegramAdapter:
    """The adapter polling the fake, with the scripted coach.

    Telegram's limits, except a larger per-chat burst so tests that send many messages to
    one chat do not wait on the per-chat pace (tested on its own).
    """
    return await tg_start_adapter(tg_coach, rate_limits=RateLimits(per_chat_burst=50))

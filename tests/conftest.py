"""Shared fixtures: a coach on a real SQLite file with a fake clock, and a chat client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.clock import FakeClock
from bot.engine.coach import Coach
from tests.support.client import CoachClient
from tests.support.content import open_test_coach
from tests.support.world import World

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kneecoach.db"


@pytest.fixture
async def coach(db_path: Path, clock: FakeClock) -> AsyncIterator[Coach]:
    coach = await open_test_coach(db_path, clock=clock)
    try:
        yield coach
    finally:
        await coach.close()


@pytest.fixture
def client(coach: Coach) -> CoachClient:
    return CoachClient(coach)


@pytest.fixture
async def world(db_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    """A coach with a recording platform and the real ticker, on a fake clock."""
    coach = await open_test_coach(db_path, clock=clock)
    try:
        yield World(coach, clock)
    finally:
        await coach.close()

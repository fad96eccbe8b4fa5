"""Shared fixtures: a coach on a real SQLite file (and, for the tests marked
``both_backends``, on a real PostgreSQL database too) with a fake clock, and a chat client."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.clock import FakeClock
from bot.engine.coach import Coach
from tests.support.client import CoachClient
from tests.support.content import open_test_coach
from tests.support.postgres import PostgresServer, find_bindir
from tests.support.world import World

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kneecoach.db"


BACKENDS = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: run with the store on SQLite and on PostgreSQL (the "
        "`backend` fixture; the test opens its store through `store_target`)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_backends`` that reach the store run once per backend."""
    if ("backend" in metafunc.fixturenames
            and metafunc.definition.get_closest_marker("both_backends") is not None):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the session. Missing binaries fail the run under
    CI (CI=true: `make test` installs them, so a missing server is a broken install step);
    elsewhere the PostgreSQL cases are skipped, saying why."""
    bindir = find_bindir()
    if bindir is None:
        message = ("no PostgreSQL server binaries (initdb, pg_ctl): run `make test`, which "
                   "installs them, or set KNEECOACH_PG_BINDIR")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bindir)
    try:
        server.start()
        # (the first test that asks may already run in an event loop: a thread of its own)
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, server.make_template()).result()
        yield server
    finally:
        server.stop()


@pytest.fixture
async def store_target(
    backend: str, db_path: Path, request: pytest.FixtureRequest
) -> str | Path:
    """Where this test's store is: the SQLite file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        return db_path
    server: PostgresServer = request.getfixturevalue("postgres")
    return await server.new_database()


@pytest.fixture
async def coach(store_target: str | Path, clock: FakeClock) -> AsyncIterator[Coach]:
    coach = await open_test_coach(store_target, clock=clock)
    try:
        yield coach
    finally:
        await coach.close()


@pytest.fixture
def client(coach: Coach) -> CoachClient:
    return CoachClient(coach)


@pytest.fixture
async def world(store_target: str | Path, clock: FakeClock) -> AsyncIterator[World]:
    """A coach with a recording platform and the real ticker, on a fake clock."""
    coach = await open_test_coach(store_target, clock=clock)
    try:
        yield World(coach, clock)
    finally:
        await coach.close()

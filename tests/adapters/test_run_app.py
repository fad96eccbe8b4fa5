"""`kneecoach run` with a Telegram token: the real adapter, the coach and the scheduler in
one process against the fake Bot API, and a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from bot.app import run_app
from bot.config import Settings
from bot.domain.clock import SystemClock
from bot.domain.readiness import Readiness
from bot.platforms import Wiring, build_adapters
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram
from tests.support.postgres import PostgresServer


def settings(tmp_path: Path, base_url: str) -> Settings:
    return Settings(
        kneecoach_db=tmp_path / "k.db",
        telegram_bot_token=SecretStr(DEFAULT_TOKEN),
        telegram_api_base_url=base_url,
        kneecoach_tick_seconds=3600,
        _env_file=None,  # type: ignore[call-arg]
    )


async def test_run_starts_telegram_and_stops_cleanly(
    tmp_path: Path, tg_server: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stop = asyncio.Event()
    running = asyncio.create_task(run_app(settings(tmp_path, tg_server.base_url), stop))
    await tg_server.wait_for_calls("setMyCommands", within=30)  # content check + start
    tg_server.inject_private_text(4242, "/start")
    sent = await tg_server.wait_for_calls("sendMessage", count=1, within=30)  # one message
    assert "Kneecoach" in sent[0]["text"]
    stop.set()
    assert await asyncio.wait_for(running, timeout=20) == 0
    assert DEFAULT_TOKEN not in caplog.text
    assert (tmp_path / "k.db").exists()


async def test_a_run_puts_back_the_signal_handlers_it_found(
    tmp_path: Path, tg_server: FakeTelegram
) -> None:
    """Embedded (a test run, another program), a run leaves SIGTERM as it found it: the
    test PostgreSQL's clean-up on SIGTERM was lost after the first run_app of a session."""
    def mine(signum: int, frame: object) -> None: ...

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        stop = asyncio.Event()
        running = asyncio.create_task(run_app(settings(tmp_path, tg_server.base_url), stop))
        await tg_server.wait_for_calls("setMyCommands", within=30)
        stop.set()
        assert await asyncio.wait_for(running, timeout=20) == 0
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_only_configured_platforms_start(tmp_path: Path) -> None:
    none = Settings(kneecoach_db=tmp_path / "k.db", _env_file=None)  # type: ignore[call-arg]
    assert none.telegram_bot_token is None and none.discord_bot_token is None

    class _Coach:
        stores = SimpleNamespace(db=SimpleNamespace(dialect="sqlite"))  # (no shared budget)

    wiring = Wiring(inbox=None, readiness=Readiness(SystemClock()))  # type: ignore[arg-type]
    adapters = build_adapters(settings(tmp_path, "http://127.0.0.1:9"), _Coach(), wiring)  # type: ignore[arg-type]
    assert [a.platform for a in adapters] == ["telegram"]


Run = tuple["asyncio.Task[int]", asyncio.Event]


async def _leader_and_follower(
    tmp_path: Path, tg_server: FakeTelegram, postgres: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> tuple[Run, Run]:
    """Two `kneecoach run` on one new PostgreSQL database: the first leads (it has set
    its commands), the second has connected and said it follows."""
    caplog.set_level(logging.INFO)
    url = await postgres.new_database()
    shared = settings(tmp_path, tg_server.base_url).model_copy(
        update={"kneecoach_database_url": SecretStr(url)})
    first_stop, second_stop = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(run_app(shared, first_stop))
    await tg_server.wait_for_calls("setMyCommands", within=60)
    second = asyncio.create_task(run_app(shared, second_stop))
    await tg_server.wait_until(lambda: _logged(caplog, "following"), 60)
    return (first, first_stop), (second, second_stop)


async def test_on_postgres_a_second_run_follows_and_takes_over(
    tmp_path: Path, tg_server: FakeTelegram, postgres: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two `kneecoach run` on one PostgreSQL: both connect to Telegram (getMe: each can
    send), one polls and runs the scheduler; when it stops, the other takes over and
    answers."""
    (first, first_stop), (second, second_stop) = await _leader_and_follower(
        tmp_path, tg_server, postgres, caplog)
    assert len(tg_server.calls_to("getMe")) == 2  # each process connected
    tg_server.inject_private_text(4242, "/start")
    sent = await tg_server.wait_for_calls("sendMessage", count=1, within=60)  # one message
    assert "Kneecoach" in sent[0]["text"]
    # Only the leader published the menu and cleared the webhook to poll.
    assert len(tg_server.calls_to("setMyCommands")) == 1
    assert len(tg_server.calls_to("deleteWebhook")) == 1
    first_stop.set()
    assert await asyncio.wait_for(first, timeout=60) == 0
    await tg_server.wait_for_calls("deleteWebhook", count=2, within=60)  # took over
    assert len(tg_server.calls_to("setMyCommands")) == 2
    assert len(tg_server.calls_to("getMe")) == 2  # it was connected already
    tg_server.inject_private_text(4343, "/start")
    sent = await tg_server.wait_for_calls("sendMessage", count=2, within=60)
    assert "Kneecoach" in sent[1]["text"]
    second_stop.set()
    assert await asyncio.wait_for(second, timeout=60) == 0
    assert not (tmp_path / "k.db").exists()  # the store was PostgreSQL all along


async def test_a_follower_told_to_stop_stops(
    tmp_path: Path, tg_server: FakeTelegram, postgres: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (first, first_stop), (second, second_stop) = await _leader_and_follower(
        tmp_path, tg_server, postgres, caplog)
    second_stop.set()
    assert await asyncio.wait_for(second, timeout=60) == 0
    first_stop.set()
    assert await asyncio.wait_for(first, timeout=60) == 0
    assert len(tg_server.calls_to("setMyCommands")) == 1


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)

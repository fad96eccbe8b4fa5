"""The Discord gateway on several `kneecoach run` processes sharing one PostgreSQL: the
leader holds the one gateway session; when it goes (cancelled in this process, or killed
with SIGKILL as a separate process), the standby connects within seconds and answers the
next slash command. At no moment are two gateway sessions ready at the fake (Discord would
send every event to both)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import run_app
from bot.config import Settings
from tests.fakes.discord_api import MEMBER_PERMISSIONS, FakeDiscord, FakeGuild, FakeUser
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
WITHIN = 60.0  # seconds any one step may take on the loaded 2-core box
TAKEOVER = 30.0  # seconds from the leader's end to the standby's READY, at most

log = logging.getLogger(__name__)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


def _people(fake: FakeDiscord) -> tuple[FakeGuild, FakeUser, FakeUser]:
    guild = fake.add_guild("Runners Club", channels=("general",))
    alice, bob = fake.add_user("alice"), fake.add_user("bob")
    fake.set_permissions(guild, alice, MEMBER_PERMISSIONS)
    fake.set_permissions(guild, bob, MEMBER_PERMISSIONS)
    return guild, alice, bob


async def _answers_start(fake: FakeDiscord, guild: FakeGuild, user: FakeUser) -> None:
    """``user`` runs /knee start in the server: a private note there, the welcome in a DM."""
    interaction = await fake.slash(user, guild, "start")
    note = await fake.wait_original(interaction, within=WITHIN)
    assert note.ephemeral
    (welcome, *_) = await fake.wait_dm(user, 1, within=WITHIN)
    assert "Kneecoach" in welcome.content


def _ready(fake: FakeDiscord) -> int:
    return len(fake._ready_sessions())


async def test_discord_gateway_moves_to_the_standby_when_the_leader_goes(
    tmp_path: Path, fake: FakeDiscord, postgres: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two `run_app` in this process: the leader's task is cancelled (it closes its
    gateway and gives back the lock as it unwinds); the standby identifies and answers."""
    caplog.set_level(logging.INFO)
    guild, alice, bob = _people(fake)
    shared = Settings(
        kneecoach_db=tmp_path / "k.db",
        kneecoach_database_url=SecretStr(await postgres.new_database()),
        discord_bot_token=SecretStr(fake.token),
        discord_api_base_url=fake.api_base,
        kneecoach_tick_seconds=3600,
        _env_file=None,  # type: ignore[call-arg]
    )
    leader = asyncio.create_task(run_app(shared, asyncio.Event()))
    standby_stop = asyncio.Event()
    standby: asyncio.Task[int] | None = None
    try:
        await fake.wait_for(lambda: _ready(fake) == 1, within=WITHIN, what="the leader's READY")
        standby = asyncio.create_task(run_app(shared, standby_stop))
        await _until(lambda: _logged(caplog, "following"))
        await _answers_start(fake, guild, alice)
        assert len(fake.identifies) == 1  # the standby has no gateway session

        leader.cancel()
        gone = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(leader, WITHIN)
        await fake.wait_for(lambda: len(fake.identifies) == 2 and _ready(fake) == 1,
                            within=TAKEOVER, what="the standby's READY")
        ready = time.monotonic() - gone
        await _answers_start(fake, guild, bob)
        log.info("the standby identified %.2f s and answered %.2f s after the leader went",
                 ready, time.monotonic() - gone)
        assert fake.peak_ready_sessions == 1
        standby_stop.set()
        assert await asyncio.wait_for(standby, WITHIN) == 0
        assert _ready(fake) == 0
    finally:
        for task in (leader, standby):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


class Run:
    """A `kneecoach run` process and what it logged."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> Run:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=cwd, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def end(self) -> int:
        if self.process.returncode is None:
            self.process.kill()
        code = await self.process.wait()
        await self._reader
        return code


async def test_discord_gateway_moves_to_the_standby_when_the_leader_is_killed(
    tmp_path: Path, fake: FakeDiscord, postgres: PostgresServer,
) -> None:
    """Two `kneecoach run` processes on one PostgreSQL; the leader is killed with SIGKILL
    (no goodbye to Discord nor to PostgreSQL: the kernel closes its sockets). The standby
    takes the lock, identifies and answers."""
    guild, alice, bob = _people(fake)
    env = {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DISCORD_", "KNEECOACH_"))},
        "PYTHONPATH": str(ROOT),
        "KNEECOACH_DATABASE_URL": await postgres.new_database(),
        "KNEECOACH_DB": str(tmp_path / "k.db"),
        "KNEECOACH_TICK_SECONDS": "3600",
        "KNEECOACH_LOG_LEVEL": "INFO",
        "DISCORD_BOT_TOKEN": fake.token,
        "DISCORD_API_BASE_URL": fake.api_base,
    }
    runs: list[Run] = []
    try:
        runs.append(leader := await Run.start(env, tmp_path))
        await fake.wait_for(lambda: _ready(fake) == 1, within=WITHIN, what="the leader's READY")
        runs.append(standby := await Run.start(env, tmp_path))
        await _until(lambda: standby.said("following"))
        await _answers_start(fake, guild, alice)
        assert len(fake.identifies) == 1

        leader.process.send_signal(signal.SIGKILL)
        gone = time.monotonic()
        assert await leader.end() == -signal.SIGKILL
        await fake.wait_for(lambda: len(fake.identifies) == 2 and _ready(fake) == 1,
                            within=TAKEOVER, what="the standby's READY")
        ready = time.monotonic() - gone
        assert standby.said("took over")
        await _answers_start(fake, guild, bob)
        log.info("the standby identified %.2f s and answered %.2f s after the kill",
                 ready, time.monotonic() - gone)
        assert fake.peak_ready_sessions == 1
    finally:
        for run in runs:
            await run.end()
    assert fake.token not in "\n".join(line for run in runs for line in run.lines)


async def _until(predicate: Callable[[], bool], within: float = WITHIN) -> None:
    """Poll ``predicate`` (a log line, another process) until it holds, for ``within`` s."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s")
        await asyncio.sleep(0.05)


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)

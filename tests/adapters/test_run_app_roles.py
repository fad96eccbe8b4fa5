"""`kneecoach run` on PostgreSQL: every process answers, one leads. A follower serves the
webhook (behind a round-robin proxy) but never registers it; /readyz says each process's
role and checks what that role runs; a webhook shared by several processes needs one
secret; a leader frozen past its lease (SIGSTOP) or killed is replaced, and a frozen one
that comes back stops instead of leading beside the new one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import EXIT_CANNOT_START, EXIT_LOST_LEAD, run_app
from bot.cli import main
from bot.config import Settings
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram, free_port
from tests.support.postgres import PostgresServer

SECRET = "kc_roles-Secret_7"
HOOK = "/telegram/hook"
WITHIN = 60.0  # seconds a process may take for a step on the loaded box


def shared_settings(tmp_path: Path, server: FakeTelegram, url: str, **more: Any) -> Settings:
    return Settings(
        kneecoach_db=tmp_path / "k.db",
        kneecoach_database_url=SecretStr(url),
        telegram_bot_token=SecretStr(DEFAULT_TOKEN),
        telegram_api_base_url=server.base_url,
        kneecoach_tick_seconds=3600,
        kneecoach_metrics_port=free_port(),
        _env_file=None,
        **more,
    )


async def readyz(port: int) -> tuple[int, dict[str, Any]]:
    """The process's /readyz (0 while nothing answers on the port)."""
    try:
        async with aiohttp.ClientSession() as session, session.get(
                f"http://127.0.0.1:{port}/readyz") as answer:
            return answer.status, await answer.json()
    except aiohttp.ClientError:
        return 0, {}


async def until_role(port: int, role: str, within: float = WITHIN) -> dict[str, Any]:
    """Poll /readyz until the process is ready in ``role``; its body."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        status, body = await readyz(port)
        if status == 200 and body.get("role") == role:
            return body
        assert loop.time() < deadline, f"not a ready {role} within {within} s: {status} {body}"
        await asyncio.sleep(0.2)


async def post(port: int, update: dict[str, Any], secret: str) -> int:
    """Telegram's POST, as the proxy would hand it to the process on ``port``."""
    async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{port}{HOOK}", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as answer:
        return answer.status


def test_on_postgres_a_webhook_without_its_secret_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A secret made up by each process would make the others refuse Telegram's posts:
    one friendly line names the setting, and nothing starts (no traceback)."""
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("KNEECOACH_ENV_FILE", "TELEGRAM_WEBHOOK_SECRET", "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KNEECOACH_DATABASE_URL", "postgresql://kc:pw@127.0.0.1:9/kc")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org/telegram/hook")

    assert main(["run"]) == EXIT_CANNOT_START
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("kneecoach: set TELEGRAM_WEBHOOK_SECRET")
    assert "nothing was started" in err

    # With the secret, or without PostgreSQL, the rule does not apply.
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    assert Settings().run_problem() is None
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    monkeypatch.delenv("KNEECOACH_DATABASE_URL")
    assert Settings().run_problem() is None


async def test_every_process_serves_the_webhook_and_only_the_leader_registers_it(
    tmp_path: Path, tg_server: FakeTelegram, postgres: PostgresServer,
) -> None:
    url = await postgres.new_database()
    leader_port, follower_port = free_port(), free_port()

    def webhook(port: int) -> Settings:
        return shared_settings(
            tmp_path, tg_server, url,
            telegram_webhook_url=f"https://bot.example.org{HOOK}",  # the proxy
            telegram_webhook_port=port, telegram_webhook_secret=SecretStr(SECRET))

    first, second = webhook(leader_port), webhook(follower_port)
    assert first.kneecoach_metrics_port and second.kneecoach_metrics_port
    first_stop, second_stop = asyncio.Event(), asyncio.Event()
    leader = asyncio.create_task(run_app(first, first_stop))
    try:
        body = await until_role(first.kneecoach_metrics_port, "leader")
        assert body["checks"] == {"database": "ok", "platform:telegram": "connected",
                                  "ticker": "ok"}
        follower = asyncio.create_task(run_app(second, second_stop))
        try:
            # Ready as a follower: its store, its sender and its webhook server; the
            # scheduler is the leader's.
            body = await until_role(second.kneecoach_metrics_port, "follower")
            assert body["checks"] == {"database": "ok", "platform:telegram": "connected"}
            (registered,) = tg_server.calls_to("setWebhook")
            assert registered["url"] == f"https://bot.example.org{HOOK}"
            assert registered["secret_token"] == SECRET

            # The proxy hands Telegram's posts to either: the follower keeps and answers.
            hello = tg_server.make_message(chat_id=5151, user_id=5151, text="/start")
            assert await post(follower_port, hello, "not-the-secret") == 403
            assert await post(follower_port, hello, SECRET) == 200
            (sent,) = await tg_server.wait_for_calls("sendMessage", within=WITHIN)
            assert "Kneecoach" in sent["text"]
            again = tg_server.make_message(chat_id=5252, user_id=5252, text="/start")
            assert await post(leader_port, again, SECRET) == 200
            await tg_server.wait_for_calls("sendMessage", count=2, within=WITHIN)

            # The leader stops: the follower takes over and registers the webhook again
            # (with the one secret); nobody ever deleted it, nobody polled.
            first_stop.set()
            assert await asyncio.wait_for(leader, WITHIN) == 0
            body = await until_role(second.kneecoach_metrics_port, "leader")
            assert body["checks"]["ticker"] == "ok"
            _, second_call = tg_server.calls_to("setWebhook")
            assert second_call["secret_token"] == SECRET
            assert tg_server.calls_to("deleteWebhook") == []
            assert tg_server.calls_to("getUpdates") == []
            late = tg_server.make_message(chat_id=5353, user_id=5353, text="/start")
            assert await post(follower_port, late, SECRET) == 200
            await tg_server.wait_for_calls("sendMessage", count=3, within=WITHIN)
            second_stop.set()
            assert await asyncio.wait_for(follower, WITHIN) == 0
        finally:
            second_stop.set()
            await asyncio.wait_for(follower, WITHIN)
    finally:
        first_stop.set()
        await asyncio.wait_for(leader, WITHIN)


class Kneecoach:
    """A real `kneecoach run` process on the shared database; what it logged in a file (a
    pipe nobody reads would block it)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, port: int) -> None:
        self.process = process
        self.log = log
        self.port = port

    @classmethod
    async def start(cls, tmp_path: Path, server: FakeTelegram, url: str,
                    lease: float) -> Kneecoach:
        port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "DISCORD_", "KNEECOACH_"))}
        env.update({
            "KNEECOACH_DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE_URL": server.base_url, "KNEECOACH_TICK_SECONDS": "3600",
            "KNEECOACH_LEADER_LEASE_SECONDS": str(lease),
            "KNEECOACH_METRICS_PORT": str(port), "KNEECOACH_LOG_LEVEL": "INFO",
            "KNEECOACH_DB": str(tmp_path / "unused.db"),
        })
        log = tmp_path / "leader.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=tmp_path, env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=asyncio.subprocess.STDOUT)
        return cls(process, log, port)

    def said(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def ended(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WITHIN)

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
                self.process.kill()


@pytest.mark.parametrize("how", ["frozen", "killed"])
async def test_a_leader_frozen_or_killed_is_replaced_and_a_thawed_one_stops_leading(
    tmp_path: Path, tg_server: FakeTelegram, postgres: PostgresServer, how: str,
) -> None:
    lease = 5.0  # short for the test; long enough for a loaded box
    url = await postgres.new_database()
    old = await Kneecoach.start(tmp_path, tg_server, url, lease)
    try:
        await until_role(old.port, "leader")
        config = shared_settings(tmp_path, tg_server, url,
                                 kneecoach_leader_lease_seconds=lease)
        assert config.kneecoach_metrics_port is not None
        stop = asyncio.Event()
        new = asyncio.create_task(run_app(config, stop))
        try:
            body = await until_role(config.kneecoach_metrics_port, "follower")
            assert body["checks"] == {"database": "ok", "platform:telegram": "connected"}
            assert len(tg_server.calls_to("deleteWebhook")) == 1  # the leader's alone

            # SIGSTOP: the kernel still answers its TCP keepalives, so its connections
            # stay open; only its lease runs out.
            os.kill(old.process.pid, signal.SIGSTOP if how == "frozen" else signal.SIGKILL)
            await until_role(config.kneecoach_metrics_port, "leader")
            await tg_server.wait_for_calls("deleteWebhook", count=2, within=WITHIN)
            tg_server.inject_private_text(6161, "/start")
            (sent,) = await tg_server.wait_for_calls("sendMessage", within=WITHIN)
            assert "Kneecoach" in sent["text"]

            if how == "frozen":
                # Thawed, it finds its lease gone and stops (its supervisor starts it
                # again, as a follower), instead of polling beside the new leader.
                os.kill(old.process.pid, signal.SIGCONT)
                assert await old.ended() == EXIT_LOST_LEAD, old.said()
                assert "no longer leads" in old.said()
            else:
                assert await old.ended() == -signal.SIGKILL
            assert (await readyz(config.kneecoach_metrics_port))[1]["role"] == "leader"
            assert len(tg_server.calls_to("deleteWebhook")) == 2
            stop.set()
            assert await asyncio.wait_for(new, WITHIN) == 0
        finally:
            stop.set()
            await asyncio.wait_for(new, WITHIN)
    finally:
        old.kill()
        await old.process.wait()

"""`kneecoach run` as a service manager runs it: a process of its own, configured by
environment only, against the loopback fake Bot API. Its health port answers (also through
`kneecoach health`, the container's HEALTHCHECK), its log is JSON lines without the token,
and SIGTERM lets the turn in hand finish, then the process exits 0."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp

from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram, free_port
from tests.service.test_service_cli import clean_env

WITHIN = 60.0


async def test_sigterm_finishes_the_turn_in_hand_and_exits_0(tmp_path: Path) -> None:
    async with FakeTelegram() as server:
        port = free_port()
        env = clean_env(
            tmp_path, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN, TELEGRAM_API_BASE_URL=server.base_url,
            KNEECOACH_METRICS_PORT=str(port), KNEECOACH_LOG_FORMAT="json",
            KNEECOACH_TICK_SECONDS="3600")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=tmp_path, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            await server.wait_for_calls("setMyCommands", within=WITHIN)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    assert answer.status == 200
            health = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "health", "--ready", cwd=tmp_path, env=env,
                stdout=asyncio.subprocess.PIPE)
            out, _ = await asyncio.wait_for(health.communicate(), WITHIN)
            assert health.returncode == 0, out
            assert json.loads(out)["ready"] is True

            release = server.hold("sendMessage")
            server.inject_private_text(4242, "/start")
            await server.wait_until(lambda: server.holding >= 1, WITHIN)
            proc.send_signal(signal.SIGTERM)  # mid-turn: the reply is on its way
            release.set()
            _, err = await asyncio.wait_for(proc.communicate(), WITHIN)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0
    assert len(server.calls_to("sendMessage")) == 1  # the welcome with the first question
    lines = [json.loads(line) for line in err.decode().splitlines()]
    events = [e["event"] for e in lines]
    assert "shutting down" in events and "telegram adapter stopped" in events
    assert DEFAULT_TOKEN not in err.decode()

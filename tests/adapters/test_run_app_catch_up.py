"""`kneecoach run` with reminders overdue (issue 12): it reports running before the start-up
catch-up has sent them (the catch-up runs in the background), and a stop in the middle of
that catch-up returns within the shutdown grace and leaves every unsent reminder in the
outbox for the next start."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import run_app
from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef
from bot.domain.timefmt import to_db
from tests.adapters.test_run_app import settings
from tests.fakes.telegram_api import FakeTelegram
from tests.support.client import CoachClient, enrol
from tests.support.content import open_test_coach

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

RUNNERS = 24


@dataclass
class TelegramClient(CoachClient):
    @property
    def ref(self) -> ConversationRef:
        return ConversationRef("telegram", self.user_id, self.user_id)


async def _overdue_runners(db: Path) -> None:
    coach = await open_test_coach(db, clock=FakeClock(datetime(2026, 3, 2, 6, tzinfo=UTC)))
    try:
        for n in range(RUNNERS):
            await enrol(TelegramClient(coach, user_id=str(7000 + n), platform="telegram"))
        overdue = datetime.now(UTC) - timedelta(minutes=10)
        await coach.stores.db.execute("UPDATE reminders SET next_due=?", (to_db(overdue),))
    finally:
        await coach.close()


async def test_runs_at_once_with_reminders_overdue_and_a_stop_mid_catch_up_loses_nothing(
    tmp_path: Path, tg_server: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await _overdue_runners(tmp_path / "k.db")
    tg_server.latency = 0.2  # slow answers: the catch-up would take 10 s
    stop = asyncio.Event()
    config = settings(tmp_path, tg_server.base_url)
    running = asyncio.create_task(run_app(config, stop))

    await tg_server.wait_for_calls("sendMessage", count=1)
    # the first reminder of the catch-up is going out: the bot already said it is running
    assert "Kneecoach is running" in caplog.text
    assert len(tg_server.calls_to("sendMessage")) < 2 * RUNNERS  # still catching up

    asked = time.monotonic()
    stop.set()  # SIGTERM
    assert await asyncio.wait_for(running, timeout=20) == 0
    assert time.monotonic() - asked < config.kneecoach_shutdown_grace + 1.0

    coach = await open_test_coach(tmp_path / "k.db")
    try:
        rows = await coach.stores.db.fetchall("SELECT status, sent FROM outbox")
    finally:
        await coach.close()
    assert len(rows) == RUNNERS  # every overdue reminder claimed once ...
    statuses = [r["status"] for r in rows]
    assert set(statuses) <= {"sent", "pending"} and "pending" in statuses  # ... none lost
    delivered = {int(c["chat_id"]) for c in tg_server.calls_to("sendMessage")}
    sent_rows = statuses.count("sent")
    assert sent_rows <= len(delivered) <= sent_rows + 1 + statuses.count("pending")

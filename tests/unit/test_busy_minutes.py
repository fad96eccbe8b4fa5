"""Honesty at the limit (issue 12, item 4): a minute holding more reminders than its platform
sends within it is said once, in one WARNING line of counts and times, and the gauges show
the busiest upcoming minute and how late its last reminder is expected to go out."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.pace import busy_limit, seconds_to_send, span_text
from bot.engine.coach import Coach
from bot.schedule.spread import BusyMinutes
from bot.schedule.worker import DeliveryWorker
from bot.service.wiring import Service
from tests.service.svc_world import metric
from tests.support.crowd import fill_minute

SEVEN = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SPREAD = "bot.schedule.spread"


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == SPREAD and r.levelno == logging.WARNING]


@pytest.mark.both_backends
async def test_an_overfull_minute_is_said_once_and_shown_in_the_gauges(
    coach: Coach, clock: FakeClock, caplog: pytest.LogCaptureFixture,
) -> None:
    db = coach.stores.db
    await fill_minute(db, SEVEN, 12_000)
    await fill_minute(db, SEVEN + timedelta(minutes=1), 2_000)
    await fill_minute(db, SEVEN + timedelta(minutes=2), 100)  # late only by the spill-over
    await fill_minute(db, SEVEN + timedelta(minutes=10), 100, platform="discord")
    await fill_minute(db, SEVEN + timedelta(minutes=12), 100)
    service = Service(clock)
    service.platforms(["telegram", "discord"])
    busy = BusyMinutes(coach.stores.load, {"telegram": 30.0, "discord": 50.0})
    ticker = service.ticker(coach.stores.outbox, DeliveryWorker(coach.stores, coach, {}, clock),
                            claim_ahead=timedelta(minutes=10), busy=busy)
    clock.set(SEVEN - timedelta(minutes=20))  # claims up to 06:50: counts up to 07:05
    caplog.set_level(logging.WARNING, logger=SPREAD)
    await ticker.tick()
    assert warnings(caplog) == [
        "07:00 UTC: 12,000 reminders due on telegram, about 6 min 40 s to send at 30/s;"
        " the last about 6 min 40 s late",
        "07:01 UTC: 2,000 reminders due on telegram, about 1 min 7 s to send at 30/s, after"
        " 5 min 40 s left from the minutes before; the last about 6 min 47 s late",
    ]
    page = service.metrics.exposition().decode()
    assert metric(page, "kneecoach_busiest_minute_reminders", platform="telegram") == 12_000
    assert metric(page, "kneecoach_expected_backlog_seconds",
                  platform="telegram") == pytest.approx(400 + 2_000 / 30 - 60)
    assert metric(page, "kneecoach_busiest_minute_reminders", platform="discord") == 0
    assert not re.search(r'kneecoach_(busiest|expected)\w*\{[^}]*(user|chat)', page)

    for _ in range(3):  # later passes count only minutes not counted yet: no second line
        clock.advance(timedelta(seconds=5))
        await ticker.tick()
    clock.set(SEVEN - timedelta(minutes=12))  # now 07:08 is counted: not overfull
    await ticker.tick()
    assert len(warnings(caplog)) == 2
    page = service.metrics.exposition().decode()
    assert metric(page, "kneecoach_busiest_minute_reminders", platform="discord") == 100
    assert metric(page, "kneecoach_expected_backlog_seconds", platform="discord") == 2


async def test_passed_minutes_leave_the_gauges_and_a_backlog_drains(coach: Coach) -> None:
    db = coach.stores.db
    await fill_minute(db, SEVEN, 12_000)
    await fill_minute(db, SEVEN + timedelta(minutes=9), 300)  # 400 s left: gone by 07:09
    busy = BusyMinutes(coach.stores.load, {"telegram": 30.0})
    loads = await busy.look(SEVEN - timedelta(minutes=5), SEVEN - timedelta(minutes=5))
    assert [(m.minute.strftime("%H:%M"), m.overfull) for m in loads] == [
        ("07:00", True), ("07:09", False)]
    assert loads[1].late_seconds == pytest.approx(10)  # its own 300 at 30 a second
    await busy.look(SEVEN + timedelta(minutes=1), SEVEN + timedelta(minutes=1))
    (telegram,) = busy.outlook()
    assert (telegram.busiest, telegram.late_seconds) == (300, pytest.approx(10))


async def test_what_a_reminder_sends_is_counted(
    coach: Coach, caplog: pytest.LogCaptureFixture,
) -> None:
    """Reminders lately sent as two messages each take twice as long."""
    await fill_minute(coach.stores.db, SEVEN, 6_000)
    async with coach.stores.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO outbox (target, platform, kind, local_date, due_at, next_attempt,"
            " status, sent, sent_at) VALUES ('u:1', 'telegram', 'daily', '2026-03-01',"
            " '2026-03-01T07:00:00Z', '2026-03-01T07:00:00Z', 'sent', '[\"5\", \"6\"]',"
            " '2026-03-01T07:00:01Z')")
    caplog.set_level(logging.WARNING, logger=SPREAD)
    busy = BusyMinutes(coach.stores.load, {"telegram": 30.0, "console": 1e9})
    await busy.look(SEVEN - timedelta(minutes=5), SEVEN - timedelta(minutes=5))
    assert warnings(caplog) == [
        "07:00 UTC: 6,000 reminders due on telegram (12,000 messages), about 6 min 40 s to"
        " send at 30/s; the last about 6 min 40 s late"]


def test_the_busy_limit_derives_from_the_rate() -> None:
    assert busy_limit(30.0, 1.0) == 9_000  # Telegram: 30 a second for five minutes
    assert busy_limit(50.0, 1.0) == 15_000  # Discord's 50 requests a second
    assert busy_limit(1000.0, 1.0) == 300_000  # Telegram's paid broadcast
    assert busy_limit(30.0, 2.0) == 4_500
    assert seconds_to_send(12_000, 1.0, 30.0) == 400
    assert [span_text(s) for s in (400, 45, 3900, 60)] == [
        "6 min 40 s", "45 s", "1 h 5 min", "1 min"]

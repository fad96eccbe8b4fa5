"""/healthz and /readyz on the local port: ready while the database answers, the platform
answers and the scheduler ticks; failing when the fake Bot API stops answering (past the
grace) and ready again when it returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef, Reply
from bot.domain.readiness import Readiness
from bot.domain.results import Sent, Unreachable
from bot.service.health import HealthSources, Role, readiness_report
from bot.service.metered import Heartbeat
from bot.service.metrics import Metrics
from bot.store.health import HealthStore
from bot.store.sqlite import SQLiteDatabase
from tests.service.svc_world import TICK_SECONDS, svc_world

ALICE = 7001


async def test_readyz_follows_the_platform_the_ticker_and_the_database(
    tmp_path: Path,
) -> None:
    async with svc_world(tmp_path) as w:
        assert await w.get("/healthz") == (200, '{"status": "alive"}')
        status, body = await w.ready()
        assert status == 200, body
        assert body["role"] == "leader"  # alone on its database
        assert body["checks"] == {"database": "ok", "platform:telegram": "connected",
                                  "ticker": "ok"}

        sender = w.worker.senders["telegram"]
        ref = ConversationRef("telegram", str(ALICE), str(ALICE))
        hello = [Reply(key="k", text="Hello")]

        # The platform stops answering: a delivery finds it gone.
        await w.server.stop()
        assert isinstance(await sender.send(ref, hello, "kc-1"), Unreachable)
        status, body = await w.ready()
        assert status == 200, "one failed send is within the grace"
        assert body["checks"]["platform:telegram"].startswith("down: ")
        w.clock.advance(timedelta(seconds=31))
        await w.ticker.tick()
        status, body = await w.ready()
        assert status == 503 and body["ready"] is False
        assert body["checks"]["platform:telegram"].startswith("down: ")
        assert body["checks"]["ticker"] == "ok"

        # It comes back on the same address: the next delivery goes through; polling is
        # back once a message comes in again (the poller tries again on its own backoff).
        await w.server.start()
        assert isinstance(await sender.send(ref, hello, "kc-2"), Sent)
        status, body = await w.ready()
        assert status == 503 and "getUpdates" in body["checks"]["platform:telegram"]
        calls = len(w.port.calls)
        w.server.inject_private_text(ALICE, "/help")
        await w.port.wait_call(calls, ALICE, within=60)
        status, body = await w.ready()
        assert status == 200, body

        # The scheduler stops ticking: not ready after two intervals.
        w.clock.advance(timedelta(seconds=2 * TICK_SECONDS))
        assert (await w.ready())[0] == 200
        w.clock.advance(timedelta(seconds=1))
        status, body = await w.ready()
        assert status == 503 and body["checks"]["ticker"].startswith("last tick 11 s")
        await w.ticker.tick()
        assert (await w.ready())[0] == 200

        # The database goes away.
        await w.coach.stores.db.close()
        status, body = await w.ready()
        assert status == 503 and body["checks"]["database"].startswith("error")
        assert (await w.get("/healthz"))[0] == 200  # still alive


async def test_a_follower_is_ready_with_its_store_and_its_shared_doors(tmp_path: Path) -> None:
    """On a shared database a follower runs the inbox and the doors that run on every
    process (Telegram's sender): /readyz checks those, not the leader's gateway nor the
    scheduler, and says which role it checked."""
    clock = FakeClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    readiness = Readiness(clock)
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    src = HealthSources(
        health=HealthStore(db), readiness=readiness, heartbeat=Heartbeat(clock),
        tick_seconds=TICK_SECONDS, platforms=["telegram", "discord"], metrics=Metrics(),
        clock=clock, role=Role(leads=False, everywhere=("telegram",)),
    )
    try:
        assert await readiness_report(src) == (
            False, {"database": "ok", "platform:telegram": "not started"})
        readiness.up("telegram", "sending")  # connected: it can send
        assert await readiness_report(src) == (
            True, {"database": "ok", "platform:telegram": "connected"})
        readiness.down("telegram", "sending", "no answer")
        clock.advance(timedelta(seconds=31))
        assert (await readiness_report(src))[0] is False

        # Leading, it answers for every door and the scheduler.
        readiness.up("telegram", "sending")
        src.role.leads = True
        ready, checks = await readiness_report(src)
        assert not ready
        assert checks == {"database": "ok", "platform:telegram": "connected",
                          "platform:discord": "not started", "ticker": "not started"}
    finally:
        await db.close()

"""The sweep and delivery loops (issue 12), on the fake clock: claimed ahead but never sent
early, delivered earliest due first, ``sent_at`` taken at the real send, lateness per row,
the start-up catch-up in the background, nothing lost on stop, old rows pruned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef, Reply
from bot.domain.results import SendResult
from bot.engine.ports import Progress
from bot.schedule.ticker import Ticker
from bot.schedule.worker import DeliveryWorker
from tests.support.content import open_test_coach
from tests.support.world import RecordingPlatform, World

AHEAD = timedelta(minutes=10)


async def wake_only(wake: asyncio.Event, seconds: float) -> None:
    """The loops' rest in tests: only a nudge ends it (the test moves the fake clock)."""
    await wake.wait()


@dataclass
class SlowPlatform(RecordingPlatform):
    """Each send takes ``takes`` of fake time before the platform has the message; a send
    to a user in ``held`` waits until the test lets it go."""

    takes: timedelta = timedelta(seconds=3)
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # a held send is waiting

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        idempotency_key: str,
        *,
        progress: Progress | None = None,
        answering: str = "",
        wait: float = 0.0,
    ) -> SendResult:
        gate = self.held.get(ref.user_id)
        if gate is not None:
            self.arrived.set()
            await gate.wait()
        self.clock.advance(self.takes)
        return await super().send(ref, replies, idempotency_key, progress=progress,
                                  answering=answering, wait=wait)


def loops(world: World, platform: RecordingPlatform, concurrency: int = 16) -> Ticker:
    """The production loops on the world's coach, resting until nudged."""
    world.platform = platform
    worker = DeliveryWorker(world.coach.stores, world.coach, {"console": platform},
                            world.clock, concurrency=concurrency)
    return Ticker(world.coach.stores.outbox, worker, world.clock, claim_ahead=AHEAD,
                  nap=wake_only)


@pytest.fixture
async def running(world: World) -> AsyncIterator[list[Ticker]]:
    """Tickers started by a test, stopped at its end."""
    started: list[Ticker] = []
    yield started
    for ticker in started:
        await ticker.stop(grace=0)


async def at(ticker: Ticker, clock: FakeClock, when: datetime) -> None:
    clock.set(when)
    ticker.nudge()
    await ticker.settled()


async def outbox(world: World) -> list[dict[str, object]]:
    rows = await world.coach.stores.db.fetchall(
        "SELECT target, status, due_at, next_attempt, sent_at FROM outbox ORDER BY id"
    )
    return [dict(r) for r in rows]


def daily(platform: RecordingPlatform) -> list[tuple[str, datetime]]:
    return [(d.ref.user_id, d.at) for d in platform.delivered
            if any(r.key == "daily.ask.session" for r in d.replies)]


async def test_claimed_ten_minutes_ahead_and_sent_at_its_time_not_before(
    world: World, running: list[Ticker]
) -> None:
    await world.enrol("r1", at="07:30")
    platform = SlowPlatform(world.clock, takes=timedelta(0))
    ticker = loops(world, platform)
    world.clock.set(datetime(2026, 3, 2, 7, 19, 59, tzinfo=UTC))
    ticker.start(every_seconds=3600)
    running.append(ticker)
    await ticker.settled()
    assert await outbox(world) == []  # 10 min 1 s ahead: not yet

    await at(ticker, world.clock, datetime(2026, 3, 2, 7, 20, tzinfo=UTC))
    (row,) = await outbox(world)
    assert row["status"] == "pending" and row["due_at"] == "2026-03-02T07:30:00Z"
    assert row["next_attempt"] == "2026-03-02T07:30:00Z"  # waits for its time
    assert daily(platform) == []

    await at(ticker, world.clock, datetime(2026, 3, 2, 7, 29, 59, tzinfo=UTC))
    assert daily(platform) == []  # never early

    await at(ticker, world.clock, datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
    assert daily(platform) == [("r1", datetime(2026, 3, 2, 7, 30, tzinfo=UTC))]
    (row,) = await outbox(world)
    assert row["status"] == "sent" and row["sent_at"] == "2026-03-02T07:30:00Z"
    # claimed once: the reminder moved on to tomorrow
    reminder = await world.coach.stores.db.fetchone("SELECT next_due FROM reminders")
    assert reminder is not None and reminder[0] == "2026-03-03T07:30:00Z"


async def test_delivered_earliest_due_first_with_sent_at_at_the_real_send(
    world: World, running: list[Ticker]
) -> None:
    times = {"r1": "07:34", "r2": "07:30", "r3": "07:33", "r4": "07:31", "r5": "07:32"}
    for user, wall in times.items():
        await world.enrol(user, at=wall)
    platform = SlowPlatform(world.clock, takes=timedelta(seconds=3))
    ticker = loops(world, platform, concurrency=1)
    world.clock.set(datetime(2026, 3, 2, 7, 40, tzinfo=UTC))  # all five overdue
    ticker.start(every_seconds=3600)
    running.append(ticker)
    await ticker.settled()

    sent = daily(platform)
    assert [user for user, _ in sent] == ["r2", "r4", "r5", "r3", "r1"]  # by due time
    start = datetime(2026, 3, 2, 7, 40, tzinfo=UTC)
    assert [when for _, when in sent] == [start + timedelta(seconds=3 * n) for n in (1, 2, 3, 4, 5)]
    rows = {r["target"]: r for r in await outbox(world)}
    users = {u: await world.coach.users.find("console", u) for u in times}
    for user, when in sent:
        found = users[user]
        assert found is not None
        # the instant the platform took it, not the instant the drain or the row began
        assert rows[f"u:{found.id}"]["sent_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    lateness = await world.coach.stores.outbox.lateness(start - timedelta(hours=1))
    expected = sorted(
        (when - datetime(2026, 3, 2, int(times[user][:2]), int(times[user][3:]), tzinfo=UTC))
        .total_seconds()
        for user, when in sent
    )
    assert sorted(lateness) == expected
    assert ticker.worker.total.sent == 5


async def test_start_up_catch_up_runs_in_the_background_and_chats_are_answered_meanwhile(
    world: World, running: list[Ticker]
) -> None:
    for n in range(3):
        await world.enrol(f"r{n}", at="07:30")
    held = asyncio.Event()
    platform = SlowPlatform(world.clock, takes=timedelta(0),
                            held={f"r{n}": held for n in range(3)})
    ticker = loops(world, platform)
    world.clock.set(datetime(2026, 3, 2, 7, 45, tzinfo=UTC))  # three overdue reminders
    ticker.start(every_seconds=3600)  # returns at once: nothing awaited
    running.append(ticker)
    await platform.arrived.wait()
    assert daily(platform) == []  # the catch-up is under way, held by the platform
    assert len(await outbox(world)) == 3

    client = world.client("someone-new")  # meanwhile a new person writes
    await client.send("/start")
    assert client.keys == ["start.welcome", "intake.ask.consent"]

    held.set()
    await ticker.settled()
    assert sorted(user for user, _ in daily(platform)) == ["r0", "r1", "r2"]


async def test_stop_ends_at_once_and_loses_nothing(db_path: Path, clock: FakeClock) -> None:
    coach = await open_test_coach(db_path, clock=clock)
    world = World(coach, clock)
    for n in range(4):
        await world.enrol(f"r{n}", at="07:30")
    hang = asyncio.Event()  # never set: r0's platform never answers
    platform = SlowPlatform(clock, takes=timedelta(0), held={"r0": hang})
    ticker = loops(world, platform, concurrency=1)
    clock.set(datetime(2026, 3, 2, 7, 31, tzinfo=UTC))
    ticker.start(every_seconds=3600)
    await platform.arrived.wait()
    assert daily(platform) == []  # r0 is first (lowest id) and hangs; the rest wait
    await ticker.stop(grace=0)  # SIGTERM: the send in hand is cut short
    assert all(r["status"] == "pending" for r in await outbox(world))
    await coach.close()

    coach = await open_test_coach(db_path, clock=clock)  # the next start
    try:
        world = World(coach, clock)
        again = SlowPlatform(clock, takes=timedelta(0))
        ticker = loops(world, again)
        ticker.start(every_seconds=3600)
        await ticker.settled()
        await ticker.stop(grace=0)
        assert sorted(user for user, _ in daily(again)) == ["r0", "r1", "r2", "r3"]
        assert [r["status"] for r in await outbox(world)] == ["sent"] * 4
    finally:
        await coach.close()


async def test_stop_lets_the_send_in_hand_finish_within_the_grace(
    world: World, running: list[Ticker]
) -> None:
    await world.enrol("r0", at="07:30")
    await world.enrol("r1", at="07:30")
    held = asyncio.Event()
    platform = SlowPlatform(world.clock, takes=timedelta(0), held={"r0": held, "r1": held})
    ticker = loops(world, platform, concurrency=1)
    world.clock.set(datetime(2026, 3, 2, 7, 31, tzinfo=UTC))
    ticker.start(every_seconds=3600)
    await platform.arrived.wait()
    stopping = asyncio.create_task(ticker.stop(grace=30))
    await asyncio.sleep(0)
    held.set()  # the platform answers the send in hand
    await stopping  # returns as soon as the send in hand is recorded
    statuses = sorted(str(r["status"]) for r in await outbox(world))
    assert statuses == ["pending", "sent"]  # no new row was begun after the stop


async def test_sent_and_missed_rows_are_pruned_after_the_retention_period(world: World) -> None:
    await world.enrol("r1", at="07:30")
    await world.enrol("r2", at="07:30")
    world.platform.down.add("r2")  # r2's reminders are all missed
    await world.advance(timedelta(days=40))
    rows = await world.coach.stores.db.fetchall(
        "SELECT status, local_date FROM outbox ORDER BY local_date"
    )
    days = sorted({r["local_date"] for r in rows})
    now = world.clock.now()
    oldest = datetime.fromisoformat(days[0]).replace(tzinfo=UTC)
    # nothing older than 30 days (and an hour: pruning runs hourly) is left ...
    assert now - oldest <= timedelta(days=31, hours=1), (now, days[0])
    # ... and the last 30 days are all there, sent and missed
    assert len(days) >= 30
    assert {r["status"] for r in rows} == {"sent", "missed"}


async def test_pruning_keeps_rows_still_waiting_however_old(world: World) -> None:
    outbox_store = world.coach.stores.outbox
    await world.enrol("r1", at="07:30")
    user = await world.coach.users.find("console", "r1")
    assert user is not None
    old = world.clock.now() - timedelta(days=60)
    await outbox_store.add(f"u:{user.id}", "snooze", old.date(), old, user_id=user.id)
    await outbox_store.add(f"u:{user.id}", "daily", old.date(), old, user_id=user.id)
    (sent_id,) = [r["id"] for r in await world.coach.stores.db.fetchall(
        "SELECT id FROM outbox WHERE kind='daily'")]
    await outbox_store.finish(sent_id, "sent", old, None)
    assert await outbox_store.prune(world.clock.now() - timedelta(days=30)) == 1
    left = await world.coach.stores.db.fetchall("SELECT kind, status FROM outbox")
    assert [(r["kind"], r["status"]) for r in left] == [("snooze", "pending")]


async def test_the_loops_beat_the_service_heartbeat_and_count_what_they_did(
    world: World, running: list[Ticker]
) -> None:
    from bot.service.wiring import Service
    from tests.service.svc_world import metric

    service = Service(world.clock)
    await world.enrol("r1", at="07:30")
    platform = SlowPlatform(world.clock, takes=timedelta(0))
    world.platform = platform
    worker = DeliveryWorker(world.coach.stores, world.coach, {"console": platform}, world.clock)
    ticker = service.ticker(world.coach.stores.outbox, worker, claim_ahead=AHEAD,
                            nap=wake_only)
    world.clock.set(datetime(2026, 3, 2, 7, 25, tzinfo=UTC))
    ticker.start(every_seconds=3600)
    running.append(ticker)
    await ticker.settled()
    assert service.heartbeat.last == world.clock.now()  # /readyz: the scheduler is alive
    await at(ticker, world.clock, datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
    assert service.heartbeat.last == world.clock.now()
    text = service.metrics.exposition().decode()
    assert metric(text, "kneecoach_reminders_due_total") == 1
    assert metric(text, "kneecoach_reminders_total", outcome="sent") == 1
    assert metric(text, "kneecoach_reminder_late_seconds_count") == 1

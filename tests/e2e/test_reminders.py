"""Daily reminders: local time across DST, restarts, blocked users, late rule, pause."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.clock import FakeClock
from bot.schedule.sweep import sweep
from bot.store.outbox import LEASE
from tests.support.content import open_test_coach
from tests.support.world import ProcessDied, World

# The reminders run on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends


def wait_out_the_lease(clock: FakeClock, backend: str) -> None:
    """PostgreSQL: the restarted process has a new name, and the row the dead one was
    sending stays its own until its lease runs out (any process may then take it over)."""
    if backend == "postgres":
        clock.set(clock.now() + LEASE)


def _daily(world: World, user: str) -> list[datetime]:
    return [
        d.at
        for d in world.platform.to(user)
        if any(r.key == "daily.ask.session" for r in d.replies)
    ]


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("Europe/London", datetime(2026, 3, 15, 12, tzinfo=UTC)),  # spring forward 29 Mar
        ("Europe/London", datetime(2026, 10, 10, 12, tzinfo=UTC)),  # fall back 25 Oct
        ("America/New_York", datetime(2026, 2, 25, 12, tzinfo=UTC)),  # 8 Mar
        ("America/New_York", datetime(2026, 10, 20, 12, tzinfo=UTC)),  # 1 Nov
        ("Australia/Sydney", datetime(2026, 3, 20, 12, tzinfo=UTC)),  # fall back 5 Apr
        ("Australia/Sydney", datetime(2026, 9, 20, 12, tzinfo=UTC)),  # spring forward 4 Oct
        ("Asia/Kolkata", datetime(2026, 3, 15, 12, tzinfo=UTC)),  # no DST, +05:30
        ("Pacific/Chatham", datetime(2026, 3, 20, 12, tzinfo=UTC)),  # +12:45 -> 5 Apr
        ("Pacific/Chatham", datetime(2026, 9, 10, 12, tzinfo=UTC)),  # 27 Sep
    ],
)
async def test_0730_arrives_at_0730_local_every_day_across_dst(
    world: World, zone: str, start: datetime
) -> None:
    world.clock.set(start)
    await world.enrol("r1", zone=zone, at="07:30")
    for _ in range(31):
        await world.advance(timedelta(days=1))
    arrivals = _daily(world, "r1")
    tz = ZoneInfo(zone)
    local = [a.astimezone(tz) for a in arrivals]
    assert all((t.hour, t.minute) == (7, 30) for t in local), local
    days = [t.date() for t in local]
    assert len(days) == len(set(days)), "a day got two reminders"
    first = days[0]
    assert days == [first + timedelta(days=i) for i in range(len(days))], "a day was skipped"
    assert len(days) >= 30


async def test_spring_forward_gap_fires_at_first_valid_minute(world: World) -> None:
    world.clock.set(datetime(2026, 3, 6, 12, tzinfo=UTC))
    await world.enrol("r1", zone="America/New_York", at="02:30")
    for _ in range(4):
        await world.advance(timedelta(days=1))
    local = [a.astimezone(ZoneInfo("America/New_York")) for a in _daily(world, "r1")]
    by_day = {t.date(): (t.hour, t.minute) for t in local}
    assert by_day[date(2026, 3, 8)] == (3, 0)
    assert by_day[date(2026, 3, 9)] == (2, 30)
    assert len(local) == len(by_day)


async def test_restart_between_claim_and_send_loses_nothing(
    store_target: str | Path, clock: FakeClock
) -> None:
    coach = await open_test_coach(store_target, clock=clock)
    world = World(coach, clock)
    await world.enrol("r1")
    clock.set(datetime(2026, 3, 3, 7, 30, 5, tzinfo=UTC))
    claimed = await sweep(coach.stores.outbox, clock.now())
    assert claimed.claimed == 1
    await coach.close()  # the process stops before the delivery worker runs

    coach = await open_test_coach(store_target, clock=clock)
    try:
        world = World(coach, clock)
        await world.ticker.tick()  # the start-up catch-up
        await world.ticker.tick()
        assert len(_daily(world, "r1")) == 1
    finally:
        await coach.close()


async def test_restart_between_send_and_record_doubles_nothing(
    store_target: str | Path, clock: FakeClock, backend: str
) -> None:
    coach = await open_test_coach(store_target, clock=clock)
    world = World(coach, clock)
    await world.enrol("r1")
    world.platform.crash_after_send = True
    clock.set(datetime(2026, 3, 3, 7, 31, tzinfo=UTC))
    with pytest.raises(BaseExceptionGroup) as died:
        await world.ticker.tick()
    assert died.group_contains(ProcessDied)
    platform = world.platform
    await coach.close()
    wait_out_the_lease(clock, backend)

    coach = await open_test_coach(store_target, clock=clock)
    try:
        world = World(coach, clock)
        world.platform = platform
        world.worker.senders["console"] = platform
        await world.ticker.tick()
        assert len(_daily(world, "r1")) == 1
        # the resend carried the same idempotency key, so the platform could drop it
        assert len(platform.calls) == 2 and platform.calls[0] == platform.calls[1]
        row = await coach.stores.db.fetchone("SELECT status FROM outbox WHERE kind='daily'")
        assert row is not None and row[0] == "sent"
    finally:
        await coach.close()


async def test_blocked_user_gets_nothing_more_and_others_still_do(world: World) -> None:
    await world.enrol("alice")
    await world.enrol("bob")
    world.platform.blocked.add("alice")
    for _ in range(3):
        await world.advance(timedelta(days=1))
    assert _daily(world, "alice") == []
    assert len(_daily(world, "bob")) == 3
    calls_to_alice = [c for c in world.platform.calls]
    user = await world.coach.users.find("console", "alice")
    assert user is not None and not user.active
    for _ in range(2):
        await world.advance(timedelta(days=1))
    assert len(world.platform.calls) - len(calls_to_alice) == 2  # only bob's two
    # writing again wakes them up: they are active once more when they restart
    client = world.client("alice")
    await client.send("/resume")
    assert client.keys == ["settings.resumed"]


async def test_429_is_waited_out_and_nothing_lost(world: World) -> None:
    await world.enrol("r1")
    world.platform.retry_once["r1"] = 30.0
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 1
    delivered = _daily(world, "r1")[0]
    assert delivered - datetime(2026, 3, 2, 7, 30, tzinfo=UTC) >= timedelta(seconds=30)


async def test_a_ten_minute_outage_is_waited_out_and_every_reminder_arrives_once(
    world: World,
) -> None:
    runners = [f"r{n}" for n in range(5)]
    for runner in runners:
        await world.enrol(runner)  # 07:30 London
    await world.advance(timedelta(hours=1, minutes=29))  # 07:29
    world.platform.down.update(runners)
    calls = len(world.platform.calls)
    for _ in range(10):  # 07:29 -> 07:39, the platform answers nothing
        await world.advance(timedelta(minutes=1))
        assert all(_daily(world, r) == [] for r in runners)
    tried = len(world.platform.calls) - calls
    # One probe at a time, spaced out to a minute: not a retry for every reminder.
    assert 0 < tried <= 15, tried
    assert not world.readiness.ready()
    state = world.readiness.state("console")
    assert state is not None and not state.connected and "network" in state.reason

    world.platform.down.clear()
    await world.advance(timedelta(minutes=5))
    for runner in runners:
        (arrived,) = _daily(world, runner)
        assert arrived <= datetime(2026, 3, 2, 7, 40, tzinfo=UTC) + timedelta(minutes=2)
    assert world.readiness.ready()
    rows = await world.coach.stores.db.fetchall("SELECT status, attempts FROM outbox")
    assert [r["status"] for r in rows] == ["sent"] * len(runners)
    assert sum(r["attempts"] for r in rows) <= tried  # the waiting rows were not charged


async def test_an_outage_past_the_late_limit_is_recorded_as_missed_with_the_reason(
    world: World,
) -> None:
    await world.enrol("r1")
    world.platform.down.add("r1")
    await world.advance(timedelta(hours=6))  # 06:00 -> 12:00, the reminder was due 07:30
    assert _daily(world, "r1") == []
    row = await world.coach.stores.db.fetchone(
        "SELECT status, detail FROM outbox WHERE kind='daily'"
    )
    assert row is not None and row["status"] == "missed"
    assert "within 3 h" in row["detail"] and "network: down" in row["detail"]
    world.platform.down.clear()
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 1  # the next day arrives as usual


async def test_a_restart_mid_send_resends_only_the_message_in_flight(
    store_target: str | Path, clock: FakeClock, backend: str
) -> None:
    coach = await open_test_coach(store_target, clock=clock)
    # A prompt too long to fold into one message (as on a platform with short messages) is
    # the session, then its question: two messages.
    coach.layout = dataclasses.replace(coach.layout, max_text=100)
    world = World(coach, clock)
    await world.enrol("r1")
    platform = world.platform
    platform.crash_after_parts = 1  # the first of the prompt's messages is delivered
    clock.set(datetime(2026, 3, 2, 7, 31, tzinfo=UTC))
    with pytest.raises(BaseExceptionGroup) as died:
        await world.ticker.tick()
    assert died.group_contains(ProcessDied)
    await coach.close()
    wait_out_the_lease(clock, backend)

    coach = await open_test_coach(store_target, clock=clock)
    try:
        world = World(coach, clock)
        world.platform = platform
        world.worker.senders["console"] = platform
        await world.ticker.tick()
        first, second = platform.parts
        assert first[1] == 0 and second[1] == 1  # part 0 once, then only part 1
        assert first[0] == second[0]  # the very same composed delivery
        row = await coach.stores.db.fetchone("SELECT status, sent FROM outbox")
        assert row is not None and row["status"] == "sent"
    finally:
        await coach.close()


async def test_more_than_three_hours_late_is_recorded_as_missed(world: World) -> None:
    await world.enrol("r1")  # 07:30 London, enrolled Monday 06:00
    world.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))  # the process was down
    await world.ticker.tick()
    assert _daily(world, "r1") == []
    row = await world.coach.stores.db.fetchone("SELECT status FROM outbox WHERE kind='daily'")
    assert row is not None and row[0] == "missed"
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 1  # the next day arrives as usual


async def test_two_hours_late_is_still_sent(world: World) -> None:
    await world.enrol("r1")
    world.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    await world.ticker.tick()
    assert len(_daily(world, "r1")) == 1


async def test_pause_and_resume(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 1
    await client.send("/settings")
    await client.press("Pause for a few days")
    await client.press("3 days")
    assert client.keys == ["settings.paused"]
    for _ in range(3):
        await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 1, "nothing while paused"
    await world.advance(timedelta(days=2))
    assert len(_daily(world, "r1")) >= 2, "back after the pause"


async def test_stop_is_easy_and_resume_brings_it_back(world: World) -> None:
    client = await world.enrol("r1")
    await client.send("/stop")
    assert client.keys == ["stop.done"]
    for _ in range(3):
        await world.advance(timedelta(days=1))
    assert _daily(world, "r1") == []
    await client.send("/resume")
    assert client.keys == ["settings.resumed"]
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 1


async def test_snooze_sends_again_in_an_hour_once(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))  # 08:00, the 07:30 prompt has arrived
    await client.press("Snooze 1 hour")
    assert client.keys == ["daily.snoozed"]
    await world.advance(timedelta(hours=1, minutes=1))
    assert len(_daily(world, "r1")) == 2
    await client.press("Snooze 1 hour")
    assert client.keys == ["daily.snooze_used"]


async def test_settings_change_time_and_zone(world: World) -> None:
    client = await world.enrol("r1")
    await client.send("/settings")
    await client.press("Reminder time")
    await client.send("6pm")
    assert client.keys == ["settings.time_set"]
    await client.send("/settings")
    await client.press("Time zone")
    await client.send("banana")
    assert client.keys == ["input.hint", "settings.ask.timezone"]
    await client.send("New York")
    assert client.keys == ["settings.zone_set"]
    await world.advance(timedelta(days=2))
    local = [a.astimezone(ZoneInfo("America/New_York")) for a in _daily(world, "r1")]
    assert local and all((t.hour, t.minute) == (18, 0) for t in local)


async def test_one_scheduler_job_not_one_per_user(world: World) -> None:
    for n in range(5):
        await world.enrol(f"r{n}")
    world.ticker.start(every_seconds=3600)
    try:
        assert world.ticker._scheduler is not None
        jobs = world.ticker._scheduler.get_jobs()
        assert [j.id for j in jobs] == ["kneecoach-tick"]
    finally:
        await world.ticker.stop()


async def test_an_adapter_error_is_retried_and_does_not_stop_the_others(world: World) -> None:
    await world.enrol("alice")
    await world.enrol("bob")
    world.platform.broken_once.add("alice")
    await world.advance(timedelta(hours=2))  # 08:00: both prompts were due at 07:30
    assert len(_daily(world, "bob")) == 1
    assert len(_daily(world, "alice")) == 1  # retried a minute later, still on time
    assert _daily(world, "alice")[0] > _daily(world, "bob")[0]


async def test_a_runner_who_unblocks_and_writes_again_gets_reminders_again(world: World) -> None:
    client = await world.enrol("alice")
    world.platform.blocked.add("alice")
    await world.advance(timedelta(days=1))
    assert _daily(world, "alice") == []
    world.platform.blocked.discard("alice")  # they unblock the bot and say hello
    await client.send("/resume")
    assert client.keys == ["settings.resumed"]
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "alice")) == 1


async def test_a_red_flag_typed_mid_checkin_stops_it_and_holds_the_programme(
    world: World,
) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))
    await client.press("Done ✅")
    await client.press("About right")
    assert client.keys[-1] == "checkin.ask.pain"
    await client.send("the knee has swollen up again since yesterday")
    assert client.keys == ["safety.see_clinician", "safety.hold"]
    await world.advance(timedelta(days=2))
    assert len(_daily(world, "r1")) == 1, "no sessions while waiting for a clinician"
    await client.press("A clinician has checked it")
    assert client.keys == ["settings.resumed"]
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 2

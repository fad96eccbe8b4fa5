"""Readiness (per platform: connected or not, since when) and the gate that turns an outage
into one probe at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain.clock import FakeClock
from bot.domain.readiness import Readiness
from bot.domain.results import RetryAfter, Unreachable
from bot.schedule.gate import PlatformGate

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_readiness_is_per_platform_and_waits_out_a_blip() -> None:
    clock = FakeClock(START)
    readiness = Readiness(clock)
    assert readiness.ready() and readiness.platforms() == {}
    readiness.up("telegram", "receiving")
    readiness.down("telegram", "sending", "network: TimedOut")
    clock.advance(timedelta(seconds=10))
    assert readiness.ready()  # a blip is not an outage
    clock.advance(timedelta(seconds=30))
    state = readiness.state("telegram")
    assert state is not None and not state.connected and state.reason == "network: TimedOut"
    assert state.since == START
    assert not readiness.ready()
    readiness.up("telegram", "sending")
    assert readiness.ready()
    readiness.fail("discord", "the gateway refused the bot (LoginFailure)")
    assert not readiness.ready()
    assert readiness.fatal == "discord: the gateway refused the bot (LoginFailure)"


async def test_the_gate_probes_once_backs_off_and_opens_on_any_answer() -> None:
    clock = FakeClock(START)
    readiness = Readiness(clock)
    gate = PlatformGate(readiness)
    assert await gate.admit("telegram", clock.now())
    gate.settle("telegram", Unreachable(5.0, "network: TimedOut"), clock.now())
    waits = []
    for _ in range(6):
        probe = gate.next_probe("telegram")
        assert probe is not None
        assert not await gate.admit("telegram", probe - timedelta(seconds=1))
        clock.set(probe)
        waits.append((probe - START).total_seconds())
        assert await gate.admit("telegram", clock.now())  # the probe
        # Others arriving meanwhile wait for its answer, then hold back with it.
        other = asyncio.create_task(gate.admit("telegram", clock.now()))
        await asyncio.sleep(0)
        assert not other.done()
        gate.settle("telegram", Unreachable(5.0, "network: TimedOut"), clock.now())
        assert await other is False
    steps = [b - a for a, b in zip([0.0, *waits], waits, strict=False)]
    assert steps == [5, 10, 20, 40, 60, 60]
    state = readiness.state("telegram")
    assert state is not None and not state.connected and state.since == START

    clock.set(gate.next_probe("telegram") or START)
    assert await gate.admit("telegram", clock.now())
    gate.settle("telegram", RetryAfter(3.0, "flood control"), clock.now())  # it answered
    assert gate.next_probe("telegram") is None
    assert await gate.admit("telegram", clock.now())
    assert readiness.ready()

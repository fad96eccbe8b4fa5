"""The leader's lease on PostgreSQL (``bot.store.leadership``): renewed while held, so a
second process waits; let go at a clean stop, so the second takes it at once; a holder
whose row another process took (its lease had run out) is told it no longer leads. A
holder frozen past its lease, and a killed one: tests/adapters/test_run_app_roles.py."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable

import asyncpg

from bot.store.leadership import LeaderLease
from tests.support.postgres import PostgresServer

NAME = "kneecoach run"
WITHIN = 30.0


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(WITHIN):
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)  # a real database's clock: polled, with a timeout


async def test_a_held_lease_is_renewed_and_let_go_to_the_one_waiting(
    postgres: PostgresServer,
) -> None:
    url = await postgres.new_database()

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(url)

    first = LeaderLease(connect, NAME, seconds=1.5, holder="first")
    second = LeaderLease(connect, NAME, seconds=1.5, holder="second")
    watch = await asyncpg.connect(url)
    try:
        async def lease() -> tuple[str, float]:
            row = await watch.fetchrow(
                "SELECT holder, lease_until FROM leader_lease WHERE name = $1", NAME)
            assert row is not None
            return str(row[0]), float(row[1])

        async with contextlib.AsyncExitStack() as stack:
            async with first.held() as lead:
                waiting = asyncio.create_task(stack.enter_async_context(second.held()))
                holder, until_then = await lease()
                assert holder == "first"
                # Renewed, again and again past its first lease: the second one waits.
                for _ in range(3):
                    await until(functools.partial(renewed, lease, until_then))
                    holder, until_then = await lease()
                    assert holder == "first"
                assert not waiting.done() and not lead.why
            # A clean stop lets it go: the second takes it at its next try.
            second_lead = await asyncio.wait_for(waiting, WITHIN)
            assert (await lease())[0] == "second" and not second_lead.why
        assert await watch.fetchval("SELECT count(*) FROM leader_lease") == 0
    finally:
        await watch.close()


async def renewed(lease: Callable[[], Awaitable[tuple[str, float]]], then: float) -> bool:
    return (await lease())[1] > then


async def test_a_holder_whose_lease_was_taken_over_is_told(postgres: PostgresServer) -> None:
    url = await postgres.new_database()

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(url)

    lease = LeaderLease(connect, NAME, seconds=1.5, holder="old")
    async with lease.held() as lead:
        # As another process does once the old holder's lease has run out (it was frozen,
        # or out of reach of the database).
        other = await asyncpg.connect(url)
        try:
            await other.execute("UPDATE leader_lease SET holder = 'new' WHERE name = $1",
                                NAME)
        finally:
            await other.close()
        why = await asyncio.wait_for(lead.lost(), WITHIN)
        assert why == "another process took the lead over"
    # Leaving does not delete the new holder's row.
    check = await asyncpg.connect(url)
    try:
        assert await check.fetchval("SELECT holder FROM leader_lease") == "new"
    finally:
        await check.close()

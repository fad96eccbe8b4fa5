"""The outbox's lease on PostgreSQL: processes draining together never take the same row,
a dead taker's rows are taken over once its lease runs out, and only the lease holder's
word about a row counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.assembly import open_coach
from bot.config import Settings
from bot.store.backends import open_database
from bot.store.outbox import LEASE, OutboxStore
from tests.support.postgres import PostgresServer

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
ROWS = 1200


async def fill(outbox: OutboxStore, rows: int) -> None:
    for n in range(rows):
        assert await outbox.add(f"c:{n}", "club_refused", date(2026, 3, 2),
                                NOW - timedelta(seconds=n % 60))


async def test_three_processes_draining_together_never_take_one_row_twice(
    postgres: PostgresServer,
) -> None:
    url = await postgres.new_database()
    dbs = [await open_database(url, pool_max=3) for _ in range(3)]  # three processes' pools
    try:
        stores = [OutboxStore(db) for db in dbs]
        await fill(stores[0], ROWS)
        taken: dict[str, list[int]] = {s.owner: [] for s in stores}

        async def drain(outbox: OutboxStore) -> None:
            while rows := await outbox.due(NOW, 50):
                for row in rows:
                    taken[outbox.owner].append(row.id)
                    assert await outbox.finish(row.id, "sent", NOW, None)
                await asyncio.sleep(0)

        await asyncio.gather(*(drain(s) for s in stores))
        every = [i for ids in taken.values() for i in ids]
        assert len(every) == len(set(every)) == ROWS  # each row taken once, none left
        left = await dbs[0].fetchone("SELECT count(*) FROM outbox WHERE status <> 'sent'")
        assert left is not None and left[0] == 0
    finally:
        for db in dbs:
            await db.close()


async def test_a_dead_takers_rows_wait_out_its_lease_and_its_late_word_does_not_count(
    postgres: PostgresServer,
) -> None:
    url = await postgres.new_database()
    one, two = await open_database(url), await open_database(url)
    try:
        dead, alive = OutboxStore(one), OutboxStore(two)
        await fill(dead, 3)
        held = await dead.due(NOW, 10)
        assert len(held) == 3
        assert await alive.due(NOW, 10) == []  # leased to the other process
        later = NOW + LEASE
        again = await alive.due(later, 10)  # its lease ran out: taken over
        assert sorted(r.id for r in again) == sorted(r.id for r in held)
        row = held[0]
        await dead.record_sent(row.id, ["ghost"])  # the old taker wakes up: not its row now
        assert not await dead.finish(row.id, "failed", later, "late word")
        assert await alive.finish(row.id, "sent", later, None)
        kept = await two.fetchone("SELECT status, sent, claimed_by FROM outbox WHERE id=?",
                                  (row.id,))
        assert kept is not None
        assert (kept["status"], kept["sent"], kept["claimed_by"]) == ("sent", "[]", None)
        # a retry gives the row back to anyone, at its new time
        other = again[1]
        await alive.retry(other.id, 1, later + timedelta(seconds=30), "429")
        assert [r.id for r in await dead.due(later + timedelta(seconds=30), 10)
                if r.id == other.id] == [other.id]
    finally:
        await one.close()
        await two.close()


async def test_postponing_a_platform_leaves_a_row_another_transaction_holds(
    postgres: PostgresServer,
) -> None:
    """A platform down postpones its due rows; a row a turn or a send holds locked is left
    to it (waiting on it, in whatever order the rows came, deadlocked with those)."""
    url = await postgres.new_database()
    one, two = await open_database(url), await open_database(url)
    try:
        outbox = OutboxStore(one)
        await fill(outbox, 3)
        await one.execute("UPDATE outbox SET platform='telegram'")
        rows = await one.fetchall("SELECT id FROM outbox ORDER BY id")
        held, platform = int(rows[1]["id"]), "telegram"
        until = NOW + timedelta(minutes=5)
        async with two.transaction() as tx:
            await tx.fetchone("SELECT id FROM outbox WHERE id=? FOR UPDATE", (held,))
            moved = await asyncio.wait_for(outbox.postpone(platform, until, NOW), 30)
        assert moved == 2
        after = {int(r["id"]): str(r["next_attempt"]) for r in
                 await one.fetchall("SELECT id, next_attempt FROM outbox")}
        assert sum(1 for v in after.values() if v.startswith("2026-03-02T07:05")) == 2
        assert not after[held].startswith("2026-03-02T07:05")
    finally:
        await one.close()
        await two.close()


async def test_the_lease_is_as_long_as_the_process_was_told(postgres: PostgresServer) -> None:
    """KNEECOACH_LEASE_SECONDS: a short lease gives a dead taker's rows over sooner, and not
    a second before it runs out."""
    url = await postgres.new_database()
    one, two = await open_database(url), await open_database(url)
    try:
        short = timedelta(seconds=5)
        dead, alive = OutboxStore(one, lease=short), OutboxStore(two, lease=short)
        await fill(dead, 2)
        held = await dead.due(NOW, 10)
        assert len(held) == 2
        assert await alive.due(NOW + short - timedelta(seconds=1), 10) == []
        again = await alive.due(NOW + short, 10)
        assert sorted(r.id for r in again) == sorted(r.id for r in held)
        until = await two.fetchone("SELECT max(lease_until) FROM outbox")
        assert until is not None and until[0] == "2026-03-02T07:00:10Z"  # renewed: now + 5 s
    finally:
        await one.close()
        await two.close()


def test_the_lease_setting_defaults_to_two_minutes_and_reaches_the_outbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).kneecoach_lease_seconds == LEASE.total_seconds() == 120
    monkeypatch.setenv("KNEECOACH_LEASE_SECONDS", "7.5")
    assert Settings(_env_file=None).kneecoach_lease_seconds == 7.5
    for wrong in ("0", "-1"):
        monkeypatch.setenv("KNEECOACH_LEASE_SECONDS", wrong)
        with pytest.raises(ValidationError):
            Settings(_env_file=None)


async def test_open_coach_passes_the_lease_to_the_outbox(tmp_path: Path) -> None:
    coach = await open_coach(tmp_path / "k.db", lease=timedelta(seconds=9))
    try:
        assert coach.stores.outbox.lease == timedelta(seconds=9)
    finally:
        await coach.close()
    coach = await open_coach(tmp_path / "k.db")
    try:
        assert coach.stores.outbox.lease == LEASE
    finally:
        await coach.close()

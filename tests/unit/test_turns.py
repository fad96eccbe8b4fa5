"""Turns on the store: one person's business as one transaction, their lock held, nested
transactions as savepoints, and the coach's turn all or nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.events import Command
from bot.engine.coach import Coach
from bot.store.sqlite import SQLiteDatabase
from tests.support.client import CoachClient


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    opened = await SQLiteDatabase.open(tmp_path / "k.db")
    await opened.execute("CREATE TABLE notes (who TEXT, what TEXT)")
    try:
        yield opened
    finally:
        await opened.close()


async def notes(db: SQLiteDatabase) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in await db.fetchall("SELECT who, what FROM notes ORDER BY rowid")]


class Boom(Exception):
    pass


async def test_a_turn_commits_everything_or_nothing(db: SQLiteDatabase) -> None:
    async with db.turn("telegram:1"):
        await db.execute("INSERT INTO notes VALUES ('1', 'kept')")
        await db.execute("INSERT INTO notes VALUES ('1', 'kept too')")
    with pytest.raises(Boom):
        async with db.turn("telegram:1"):
            await db.execute("INSERT INTO notes VALUES ('1', 'lost')")
            raise Boom
    assert await notes(db) == [("1", "kept"), ("1", "kept too")]


async def test_nested_transactions_and_turns_are_savepoints(db: SQLiteDatabase) -> None:
    async with db.turn("telegram:1"):
        await db.execute("INSERT INTO notes VALUES ('1', 'outer')")
        with pytest.raises(Boom):
            async with db.turn("telegram:1"):  # the coach's turn inside the inbox's
                await db.execute("INSERT INTO notes VALUES ('1', 'inner')")
                raise Boom
        async with db.transaction() as tx:  # a repository's own transaction
            await tx.execute("INSERT INTO notes VALUES ('1', 'repository')")
    assert await notes(db) == [("1", "outer"), ("1", "repository")]


async def test_writes_nobody_reads_go_out_with_the_next_trip_and_fail_where_they_belong(
    db: SQLiteDatabase,
) -> None:
    await db.execute("CREATE TABLE once (k TEXT PRIMARY KEY)")
    async with db.turn("telegram:1"):
        await db.write("INSERT INTO notes VALUES ('1', 'deferred')")
        assert await notes(db) == [("1", "deferred")]  # sent with the read, before it
        await db.write("INSERT INTO notes VALUES ('1', 'at commit')")
    assert await notes(db) == [("1", "deferred"), ("1", "at commit")]

    with pytest.raises(Boom):
        async with db.turn("telegram:1"):
            await db.write("INSERT INTO notes VALUES ('1', 'never sent')")
            raise Boom
    assert len(await notes(db)) == 2

    async with db.turn("telegram:1"):
        await db.write("INSERT INTO once VALUES ('x')")
        with pytest.raises(sqlite3.IntegrityError):  # raised inside the inner turn...
            async with db.turn("telegram:1"):
                await db.write("INSERT INTO notes VALUES ('1', 'undone')")
                await db.write("INSERT INTO once VALUES ('x')")
        await db.write("INSERT INTO notes VALUES ('1', 'outer goes on')")
    assert (await notes(db))[-1] == ("1", "outer goes on")  # ...and only it is undone
    assert ("1", "undone") not in await notes(db)

    with pytest.raises(sqlite3.IntegrityError):  # a write failing at COMMIT: nothing commits
        async with db.turn("telegram:1"):
            await db.write("INSERT INTO notes VALUES ('1', 'rolled back')")
            await db.write("INSERT INTO once VALUES ('x')")
    assert ("1", "rolled back") not in await notes(db)
    async with db.turn("telegram:1"):  # and the connection is fine afterwards
        await db.write("INSERT INTO notes VALUES ('1', 'after')")
    assert (await notes(db))[-1] == ("1", "after")


async def test_a_turn_is_never_started_in_the_wrong_place(db: SQLiteDatabase) -> None:
    with pytest.raises(RuntimeError, match="same person"):
        async with db.turn("telegram:1"), db.turn("telegram:2"):
            pass
    with pytest.raises(RuntimeError, match="lock order"):
        async with db.transaction(), db.turn("telegram:1"):
            pass
    assert await notes(db) == []


async def test_one_persons_turns_never_interleave_and_others_wait_for_the_commit(
    db: SQLiteDatabase,
) -> None:
    inside = asyncio.Event()
    release = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with db.turn("telegram:1"):
            await db.execute("INSERT INTO notes VALUES ('1', 'first')")
            inside.set()
            await release.wait()
            order.append("first done")

    async def second() -> None:
        async with db.turn("telegram:1"):
            order.append("second in")

    async def reader() -> None:
        order.append(f"reader saw {len(await notes(db))}")

    task = asyncio.create_task(first())
    await inside.wait()
    others = [asyncio.create_task(second()), asyncio.create_task(reader())]
    await asyncio.sleep(0)
    assert order == []  # both wait for the turn
    release.set()
    await asyncio.gather(task, *others)
    assert order[0] == "first done" and set(order[1:]) == {"second in", "reader saw 1"}


async def test_an_urgent_write_goes_before_the_turns_waiting(db: SQLiteDatabase) -> None:
    release = asyncio.Event()
    order: list[str] = []

    async def holder() -> None:
        async with db.transaction():
            await release.wait()

    async def turn(n: int) -> None:
        async with db.turn(f"telegram:{n}"):
            order.append(f"turn {n}")

    async def urgent() -> None:
        await db.execute("INSERT INTO notes VALUES ('x', 'delivered')", urgent=True)
        order.append("urgent")

    tasks = [asyncio.create_task(holder())]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(turn(n)) for n in range(3)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(urgent()))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["urgent", "turn 0", "turn 1", "turn 2"]


async def test_the_coachs_turn_is_all_or_nothing(
    coach: Coach, client: CoachClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.send("/start")

    async def broken(*args: object) -> None:
        raise RuntimeError("the disk is full")

    # Agreeing stores the consent, then the dialog state: the second write fails.
    monkeypatch.setattr(coach.users, "save_dialog_state", broken)
    await client.press("I agree")
    assert client.keys == ["error.internal"]
    user = await coach.users.find("console", client.user_id)
    assert user is not None and user.consent_at is None  # the consent was rolled back too

    monkeypatch.undo()
    await client.handle(Command("start"))
    await client.press("I agree")
    assert client.keys == ["intake.ask.age"]
    user = await coach.users.find("console", client.user_id)
    assert user is not None and user.consent_at is not None

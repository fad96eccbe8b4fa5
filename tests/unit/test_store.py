"""The store: a real SQLite file, WAL, private file mode, migrations, export and erasure."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.domain.events import ConversationRef
from bot.domain.records import DialogState
from bot.store.backends import open_database
from bot.store.sqlite import SQLiteDatabase, migrations
from bot.store.users import UserStore
from tests.conftest import START
from tests.support.client import CoachClient, enrol


async def test_file_is_private_wal_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "k.db"
    db = await SQLiteDatabase.open(path)
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        row = await db.fetchone("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
        row = await db.fetchone("PRAGMA foreign_keys")
        assert row is not None and row[0] == 1
        row = await db.fetchone("PRAGMA user_version")
        assert row is not None and row[0] == migrations()[-1][0]  # the newest number
        assert {"users", "dialog_state", "profiles", "outbox", "reminders"} <= set(
            await db.tables()
        )
    finally:
        await db.close()


async def test_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    db = await SQLiteDatabase.open(path)
    await db.close()
    db = await SQLiteDatabase.open(path)
    try:
        assert await db.migrate() == migrations()[-1][0]
    finally:
        await db.close()


@pytest.mark.both_backends
async def test_user_lookup_is_by_platform_and_id(store_target: str | Path) -> None:
    db = await open_database(store_target)
    try:
        users = UserStore(db)
        a = await users.get_or_create(ConversationRef("telegram", "1", "1"), START)
        b = await users.get_or_create(ConversationRef("discord", "1", "9"), START)
        again = await users.get_or_create(ConversationRef("telegram", "1", "1"), START)
        assert a.id == again.id != b.id
    finally:
        await db.close()


@pytest.mark.both_backends
async def test_a_person_and_their_place_in_the_dialog_come_in_one_read(
    store_target: str | Path,
) -> None:
    db = await open_database(store_target)
    try:
        users = UserStore(db)
        here = ConversationRef("telegram", "5", "5")
        new, state = await users.person(here, START)  # not known yet: created, at the start
        assert (new.chat_id, state) == ("5", DialogState())
        await users.save_dialog_state(new.id, DialogState("intake", "age", 3, {"a": 1}), START)

        reads: list[str] = []
        fetchone = db.fetchone

        async def counted(sql: str, params: Sequence[Any] = ()) -> Any:
            reads.append(sql)
            return await fetchone(sql, params)

        db.fetchone = counted  # type: ignore[method-assign]
        known, state = await users.person(here, START)
        assert len(reads) == 1  # the person and their dialog state together
        assert known.id == new.id and state == DialogState("intake", "age", 3, {"a": 1})
        db.fetchone = fetchone  # type: ignore[method-assign]

        moved, state = await users.person(ConversationRef("telegram", "5", "77"), START)
        assert (moved.id, moved.chat_id, state.step) == (new.id, "77", "age")  # chat noted
        other, state = await users.person(ConversationRef("discord", "5", "9"), START)
        assert other.id != new.id and state == DialogState()
    finally:
        await db.close()


async def _full_journey(client: CoachClient) -> None:
    await enrol(client, story="aches behind the kneecap going down stairs")
    await client.send("/checkin")
    await client.press("3")
    await client.press("No")
    await client.press("No")
    await client.press("Yes")  # ran yesterday
    await client.send("5")


@pytest.mark.both_backends
async def test_export_returns_everything_stored(client: CoachClient) -> None:
    await _full_journey(client)
    await client.send("/export")
    assert client.keys == ["export.data"]
    user = await client.coach.users.find("console", client.user_id)
    assert user is not None
    data = await client.coach.users.export(user.id)
    assert data["profiles"][0]["answers"]["location"] == "kneecap"
    assert data["triage_results"][0]["outcome"] == "pfp_program"
    assert data["checkins"][0]["worst_pain"] == 3
    assert data["reminders"][0]["timezone"] == "Europe/London"
    assert data["runs"][0]["km"] == 5
    assert data["function_checks"][0]["total"] == 10
    assert data["workouts"][0]["strength"] == ["sit_to_stand", "clamshell", "knee_extension"]
    assert data["programmes"][0]["minutes"] == 20
    # every table with rows about the person appears in the export
    for table in await client.coach.stores.db.tables():
        columns = await client.coach.stores.db.columns(table)
        if "user_id" in columns:
            rows = await client.coach.stores.db.fetchall(
                f"SELECT count(*) FROM {table} WHERE user_id=?", (user.id,)
            )
            assert len(data[table]) == rows[0][0], table
    (reply,) = client.last
    assert reply.attachment is not None
    assert '"worst_pain": 3' in reply.attachment.data.decode()  # type: ignore[union-attr]


@pytest.mark.both_backends
async def test_forget_leaves_no_row_about_the_person(client: CoachClient) -> None:
    other = CoachClient(client.coach, user_id="someone-else")
    await _full_journey(other)
    await _full_journey(client)
    user = await client.coach.users.find("console", client.user_id)
    assert user is not None
    await client.send("/forget")
    assert client.keys == ["forget.ask.confirm"]
    await client.press("Yes, delete everything")
    assert client.keys == ["forget.done"]
    db = client.coach.stores.db
    for table in await db.tables():
        columns = await db.columns(table)
        for column in (
            "user_id",
            "id" if table == "users" else None,
            "target" if table == "outbox" else None,
        ):
            if column is None or column not in columns:
                continue
            value: object = f"u:{user.id}" if column == "target" else user.id
            rows = await db.fetchall(f"SELECT count(*) FROM {table} WHERE {column}=?", (value,))
            assert rows[0][0] == 0, f"{table}.{column} still holds the person"
        # nothing keyed by their platform id either
        for column in columns:
            rows = await db.fetchall(
                f"SELECT count(*) FROM {table} WHERE CAST({column} AS TEXT)=?",
                (client.user_id,),
            )
            assert rows[0][0] == 0, f"{table}.{column} still holds {client.user_id}"
    # the other runner is untouched
    assert await client.coach.users.find("console", "someone-else") is not None


@pytest.mark.both_backends
async def test_forget_can_be_declined(client: CoachClient) -> None:
    await _full_journey(client)
    await client.send("/forget")
    await client.press("No, keep my data")
    assert client.keys == ["forget.end.kept"]
    assert await client.coach.users.find("console", client.user_id) is not None

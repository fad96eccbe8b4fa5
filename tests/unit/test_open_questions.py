"""Each chat's open question (the message holding its buttons) shared by the processes of
one bot on PostgreSQL (``bot.store.questions``), and kept in memory on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.questions import MemoryQuestions
from bot.engine.ports import QuestionMemory
from bot.store.postgres import PostgresDatabase
from bot.store.questions import SharedQuestions, shared_questions
from bot.store.sqlite import SQLiteDatabase
from tests.support.postgres import PostgresServer, processes_on_one_database


@pytest.fixture
async def two_processes(postgres: PostgresServer) -> AsyncIterator[list[PostgresDatabase]]:
    async with processes_on_one_database(postgres, 2, pool_max=2) as pools:
        yield pools


async def test_a_question_one_process_sent_is_taken_by_another(
    two_processes: list[PostgresDatabase],
) -> None:
    first, second = (shared_questions(db, "telegram") for db in two_processes)
    assert isinstance(first, SharedQuestions) and isinstance(second, SharedQuestions)
    await first.keep(4242, 10)
    await first.keep(4242, 12)  # the newer question replaces the older one
    await first.keep(77, 3)
    assert await second.take(4242) == 12
    assert await second.take(4242) is None  # taken once
    await second.answered(77, 2)  # another message answered: the question stays
    assert await first.take(77) == 3
    # another platform's chat with the same id is another chat
    discord = shared_questions(two_processes[0], "discord")
    assert discord is not None
    await discord.keep(4242, 99)
    assert await first.take(4242) is None


@pytest.mark.parametrize(("limit", "oldest"), [(4096, 10), (2, None)])
async def test_one_process_keeps_them_in_memory(limit: int, oldest: int | None) -> None:
    memory: QuestionMemory = MemoryQuestions(limit)
    await memory.keep(1, 10)
    await memory.keep(2, 20)
    await memory.keep(3, 30)
    await memory.answered(3, 31)  # another message: the question stays
    assert await memory.take(3) == 30
    assert await memory.take(2) == 20
    assert await memory.take(1) == oldest  # past the limit the oldest chat is forgotten


async def test_only_postgresql_shares_them(
    tmp_path: Path, two_processes: list[PostgresDatabase]
) -> None:
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    try:
        assert shared_questions(db, "telegram") is None
        assert "open_questions" in await db.tables()  # (the schemas stay alike)
    finally:
        await db.close()

"""Each chat's open question (the message holding its buttons), kept in the database so the
processes answering one bot share it (the engine's ``QuestionMemory`` port; table
``open_questions``, migration 013). PostgreSQL only: with SQLite one process answers and
keeps it in memory (``bot.domain.questions.MemoryQuestions``). Each statement commits on
its own (``fetchone_apart``), never inside a person's turn."""

from __future__ import annotations

from bot.store.database import Database
from bot.store.postgres import PostgresDatabase

_KEEP = ("INSERT INTO open_questions (platform, chat_id, message_id) VALUES (?, ?, ?)"
         " ON CONFLICT (platform, chat_id) DO UPDATE SET message_id = EXCLUDED.message_id"
         " RETURNING message_id")
_TAKE = ("DELETE FROM open_questions WHERE platform = ? AND chat_id = ?"
         " RETURNING message_id")
_ANSWERED = ("DELETE FROM open_questions WHERE platform = ? AND chat_id = ?"
             " AND message_id = ? RETURNING message_id")


class SharedQuestions:
    def __init__(self, db: PostgresDatabase, platform: str) -> None:
        self.db = db
        self.platform = platform

    async def keep(self, chat_id: int, message_id: int) -> None:
        await self.db.fetchone_apart(_KEEP, (self.platform, str(chat_id), message_id))

    async def take(self, chat_id: int) -> int | None:
        row = await self.db.fetchone_apart(_TAKE, (self.platform, str(chat_id)))
        return None if row is None else int(row["message_id"])

    async def answered(self, chat_id: int, message_id: int) -> None:
        await self.db.fetchone_apart(_ANSWERED, (self.platform, str(chat_id), message_id))


def shared_questions(db: Database, platform: str) -> SharedQuestions | None:
    """The open questions every process of the bot shares, on PostgreSQL; None on SQLite."""
    if isinstance(db, PostgresDatabase):
        return SharedQuestions(db, platform)
    return None

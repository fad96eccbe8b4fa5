"""Which message holds each chat's open question (the last one sent with buttons), so an
answer typed instead of pressed can drop its buttons (``Reply.typed_answer``). The engine's
``QuestionMemory`` port; ``MemoryQuestions`` is one process's (the bounded map the Telegram
adapter always kept); ``bot.store.questions`` keeps it in the database when several
processes answer one bot (a question one process sent may be answered in another)."""

from __future__ import annotations

from collections import OrderedDict

QUESTION_MEMORY = 4096  # chats whose last question's message id one process remembers


class MemoryQuestions:
    def __init__(self, limit: int = QUESTION_MEMORY) -> None:
        self.limit = limit
        self._open: OrderedDict[int, int] = OrderedDict()

    async def keep(self, chat_id: int, message_id: int) -> None:
        self._open[chat_id] = message_id
        self._open.move_to_end(chat_id)
        while len(self._open) > self.limit:
            self._open.popitem(last=False)

    async def take(self, chat_id: int) -> int | None:
        return self._open.pop(chat_id, None)

    async def answered(self, chat_id: int, message_id: int) -> None:
        if self._open.get(chat_id) == message_id:
            del self._open[chat_id]

    def __len__(self) -> int:
        return len(self._open)

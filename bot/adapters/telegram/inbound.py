"""Telegram updates in: PTB handlers that turn updates into ``ConversationRef`` + ``Inbound``,
call the coach and hand its replies to ``Outbound``.

A private message becomes ``ConversationRef(platform="telegram", user_id=from.id,
chat_id=chat.id, shared=False)``; a group or supergroup message the same with ``shared=True``.
``/cmd args`` and ``/cmd@bot args`` become ``Command``, other text ``Text`` (a photo's caption
is its text; stickers and other non-text messages are ``Text("")`` so the coach can answer
kindly), a button press ``Press(data)``. Service messages (joins, pins...) and messages from
bots are ignored, and so is a command addressed to another bot.

Every button press is answered (answerCallbackQuery) before the coach is asked. When the
coach takes a press as the answer to its question (it sets ``Reply.chosen``), the pressed
message is edited to end with "✓ <chosen>" and lose its keyboard, before the coach's replies
are sent, so an answered question cannot be answered twice; other presses (a menu such as
the exercise list, a stale question, a club post) leave the message as it is and the coach's
reply says what happened.

Updates of one chat are handled one after the other, in order (``PerChatUpdateProcessor``);
different chats concurrently. A handler's exception is logged by ``on_error`` (its class
only) and the next update is handled as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Chat, Message, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.telegram import render
from bot.adapters.telegram.capabilities import PLATFORM
from bot.adapters.telegram.outbound import Outbound, Pressed
from bot.domain.events import ConversationRef, Inbound, Press, Text
from bot.engine.ports import CoachPort

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)

TgApplication = Application[Any, Any, Any, Any, Any, Any]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; those of one chat strictly in order."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.setdefault(chat.id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._locks.pop(chat.id, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def conversation(user_id: int, chat: Chat) -> ConversationRef:
    return ConversationRef(
        platform=PLATFORM,
        user_id=str(user_id),
        chat_id=str(chat.id),
        shared=chat.type != ChatType.PRIVATE,
    )


def inbound_of(message: Message, bot_username: str | None) -> Inbound | None:
    """What a message says to the coach; ``None`` for a command addressed to another bot."""
    if message.text is not None:
        return render.parse_text(message.text, bot_username)
    return Text(message.caption or "")


def pressed_of(message: Message) -> Pressed:
    return Pressed(
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=message.text,
        text_html=message.text_html if message.text is not None else None,
        caption=message.caption,
        caption_html=message.caption_html if message.caption is not None else None,
        has_keyboard=message.reply_markup is not None,
    )


class UpdateHandlers:
    """The adapter's PTB handlers: one for messages, one for button presses, one for errors."""

    def __init__(self, coach: CoachPort, outbound: Outbound) -> None:
        self.coach = coach
        self.outbound = outbound

    def install(self, app: TgApplication) -> None:
        # A text message is never a service message: TEXT first spares the ~40 checks of
        # StatusUpdate.ALL for almost every update.
        message_filter = (
            filters.UpdateType.MESSAGE
            & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
            & (filters.TEXT | ~filters.StatusUpdate.ALL)
        )
        app.add_handler(MessageHandler(message_filter, self.on_message))
        app.add_handler(CallbackQueryHandler(self.on_press))
        app.add_error_handler(self.on_error)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user, chat = update.message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None or user.is_bot:
            return
        inbound = inbound_of(message, self.outbound.username)
        if inbound is None:  # a command for another bot
            return
        logger.debug("message update %s in chat %s", update.update_id, chat.id)
        await self.handle(conversation(user.id, chat), inbound)

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await self.outbound.answer_press(query.id)
        message = query.message
        if query.data is None or message is None:  # game or inline-mode press: nothing to do
            return
        logger.debug("press update %s in chat %s", update.update_id, message.chat.id)
        pressed = pressed_of(message) if isinstance(message, Message) else None
        await self.handle(
            conversation(query.from_user.id, message.chat), Press(query.data), pressed=pressed
        )

    async def handle(
        self, ref: ConversationRef, inbound: Inbound, *, pressed: Pressed | None = None
    ) -> None:
        replies = await self.coach.handle(ref, inbound)
        if pressed is not None:  # before the answer, so the chat reads in order
            await self.outbound.mark_chosen(pressed, replies)
        elif isinstance(inbound, Text) and not ref.shared and ref.chat_id.lstrip("-").isdigit():
            await self.outbound.mark_typed(int(ref.chat_id), replies)
        await self.outbound.reply(ref, replies)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error(
            "handling telegram update %s failed: %s",
            update_id,
            type(error).__name__,
            exc_info=error,
        )

"""Telegram updates in: each update becomes an ``Envelope`` (``ConversationRef`` + ``Inbound``)
kept by the engine's ``Inbox`` before Telegram is told it arrived.

A private message becomes ``ConversationRef(platform="telegram", user_id=from.id,
chat_id=chat.id, shared=False)``; a group or supergroup message the same with ``shared=True``.
``/cmd args`` and ``/cmd@bot args`` become ``Command``, other text ``Text`` (a photo's caption
is its text; stickers and other non-text messages are ``Text("")`` so the coach can answer
kindly), a button press ``Press(data)``. Service messages (joins, pins...) and messages from
bots are ignored, and so is a command addressed to another bot.

The event id is Telegram's ``update_id``: a repeat (a webhook Telegram thinks we missed,
updates fetched again after a restart) is dropped by the inbox. A press carries the
message it was pressed on (``Envelope.origin``: repeated presses of one button are answered
once) and, in its note, what marking the choice on that message needs (``Pressed``):
when the coach takes the press as the answer to its question (it sets ``Reply.chosen``), the
pressed message is edited to end with "✓ <chosen>" and lose its keyboard before the replies
are sent, so an answered question cannot be answered twice (or, for a reply marked
``joins_pressed``, to end with the choice and that next question, with its keyboard).

Every button press is answered (answerCallbackQuery, which stops the button's spinner) as
soon as the inbox has it, in the background: it is not the coach's answer, only Telegram's
"received".

Ordering, concurrency and the turns are the inbox's (``bot.schedule.inbox``): one chat's
updates in order, different people concurrently, one slot per chat however long its
backlog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from telegram import Chat, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, filters

from bot.adapters.telegram import render
from bot.adapters.telegram.capabilities import PLATFORM
from bot.adapters.telegram.outbound import Outbound, Pressed
from bot.domain.events import ConversationRef, Envelope, Inbound, Press, Text
from bot.engine.ports import Inbox

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)

TgApplication = Application[Any, Any, Any, Any, Any, Any]

# A text message is never a service message: TEXT first spares the ~40 checks of
# StatusUpdate.ALL for almost every update.
MESSAGES = (
    filters.UpdateType.MESSAGE
    & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
    & (filters.TEXT | ~filters.StatusUpdate.ALL)
)


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


def envelope_of(update: Update, bot_username: str | None) -> Envelope | None:
    """The update for the inbox, or ``None`` when it is nothing for the coach."""
    event_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        message = query.message
        if query.data is None or message is None:  # game or inline-mode press: nothing to do
            return None
        ref = conversation(query.from_user.id, message.chat)
        if isinstance(message, Message):
            note = pressed_of(message).note()
        else:  # too old for Telegram to send its content: nothing to edit
            note = ""
        origin = f"{message.chat.id}:{message.message_id}"
        return Envelope(PLATFORM, event_id, ref, Press(query.data), origin, note)
    if not MESSAGES.check_update(update):
        return None
    message, user, chat = update.message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or user.is_bot:
        return None
    inbound = inbound_of(message, bot_username)
    if inbound is None:  # a command for another bot
        return None
    return Envelope(PLATFORM, event_id, conversation(user.id, chat), inbound)


class Receiver:
    """Updates -> envelopes -> the inbox; presses answered once the inbox has them."""

    def __init__(self, inbox: Inbox | None, outbound: Outbound) -> None:
        self.inbox = inbox
        self.outbound = outbound
        self._answering: set[asyncio.Task[None]] = set()

    async def receive(self, updates: Sequence[Update]) -> None:
        """Keep every update meant for the coach; returns once the inbox has them (the
        caller may then confirm them to Telegram). Raises if the inbox could not keep them:
        they are then not confirmed, and Telegram sends them again."""
        inbox = self.inbox
        if inbox is None:
            raise RuntimeError("the Telegram adapter has no inbox to keep updates in")
        envelopes: list[Envelope] = []
        presses: dict[str, str] = {}
        unanswered: list[str] = []
        for update in updates:
            envelope = envelope_of(update, self.outbound.username)
            query = update.callback_query
            if envelope is None:
                if query is not None:
                    unanswered.append(query.id)
                continue
            envelopes.append(envelope)
            if query is not None:
                presses[envelope.event_id] = query.id
            logger.debug("update %s kept for the inbox", update.update_id)
        fresh = await inbox.accept(envelopes) if envelopes else []
        for envelope, new in zip(envelopes, fresh, strict=True):
            query_id = presses.get(envelope.event_id)
            if new and query_id is not None:
                unanswered.append(query_id)
        for query_id in unanswered:
            self._soon(self.outbound.answer_press(query_id))

    def _soon(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def settle(self, within: float = 2.0) -> None:
        """Let the press answers in flight finish (or give up on them after ``within``)."""
        if self._answering:
            _, pending = await asyncio.wait(set(self._answering), timeout=within)
            for task in pending:
                task.cancel()

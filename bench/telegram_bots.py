"""The bots that bench.telegram_updates compares, each started against the fake Bot API and
reporting, for every update it has finished with, the chat it came from (``Answered``).

* ``bare_ptb``: a python-telegram-bot echo bot (text: one sendMessage; a press:
  answerCallbackQuery and one sendMessage), on PTB's default httpx transport or on
  Kneecoach's aiohttp one (bot/adapters/telegram/transport.py), sequential (PTB's default)
  or ``concurrent_updates(C)``.
* ``bare_aiogram``: the same echo bot on aiogram 3 (its ``AiohttpSession`` pointed at the
  fake with ``TelegramAPIServer.from_base``; its dispatcher handles updates as tasks).
* ``kneecoach``: the ``TelegramAdapter`` with the durable inbox over a coach: the real
  coach on a fresh SQLite file as ``kneecoach run`` builds it (``open_coach``; the inbox
  keeps its rows in the same file), or an echo coach (the inbox on a file of its own).
  Telegram's rate limits are off (the fake answers at once, a limiter would measure itself).

An update is finished when everything the bot sends for it has been accepted: the echo
bots' handler has returned; the inbox has handled the update and its replies were taken
(or it needed none).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.transport import AiohttpRequest
from bot.domain.clock import SystemClock
from bot.domain.events import Command, ConversationRef, Inbound, Press, Reply, Text
from bot.engine.ports import CoachPort
from bot.schedule.inbox import Dispatcher, _Item
from bot.store.sqlite import SQLiteDatabase
from bot.store.stores import Stores
from tests.fakes.telegram_api import FakeTelegram, adapter_settings

POOL = 16  # the adapter's default connection pool, given to the concurrent bare bot too
POLL_TIMEOUT = 10  # seconds, every bot's long poll


class Answered:
    """Which chats' updates the bot has finished with: ``expect(chat)`` before queueing a
    chat's update, then await the future it returns; the bot calls ``one(chat)``."""

    def __init__(self) -> None:
        self.count = 0
        self._waiting: dict[int, asyncio.Future[None]] = {}

    def expect(self, chat_id: int) -> asyncio.Future[None]:
        """Register before queueing the update; await the future it returns."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    def one(self, chat_id: int) -> None:
        self.count += 1
        future = self._waiting.pop(chat_id, None)
        if future is not None and not future.done():
            future.set_result(None)


async def _until_polling(server: FakeTelegram, within: float = 10.0) -> None:
    await server.wait_until(lambda: server.waiting_polls > 0, within)


# ---------------------------------------------------------------------------------------------
# Bare python-telegram-bot


def bare_application(
    server: FakeTelegram, *, concurrency: int, aiohttp_transport: bool
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A bare python-telegram-bot application on the fake: PTB's own transport (httpx) or
    the very aiohttp one the Kneecoach adapter plugs into PTB, sequential or with
    ``concurrent_updates``."""
    builder = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(f"{server.base_url}/bot")
        .base_file_url(f"{server.base_url}/file/bot")
        .job_queue(None)
    )
    if aiohttp_transport:
        builder = builder.request(AiohttpRequest(POOL)).get_updates_request(AiohttpRequest(1))
        if concurrency > 1:
            builder = builder.concurrent_updates(concurrency)
    elif concurrency > 1:
        builder = builder.concurrent_updates(concurrency).connection_pool_size(POOL)
    return builder.build()


@contextlib.asynccontextmanager
async def bare_ptb(
    server: FakeTelegram, answered: Answered, *, concurrency: int, aiohttp_transport: bool
) -> AsyncIterator[None]:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None and message.text is not None
        try:
            await message.reply_text(message.text)
        finally:
            answered.one(message.chat.id)

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None and query.data is not None
        try:
            await query.answer()
            await context.bot.send_message(query.message.chat.id, query.data)
        finally:
            answered.one(query.message.chat.id)

    app = bare_application(server, concurrency=concurrency, aiohttp_transport=aiohttp_transport)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(press))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(timeout=POLL_TIMEOUT)
    await app.start()
    try:
        await _until_polling(server)
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# ---------------------------------------------------------------------------------------------
# Bare aiogram 3


@contextlib.asynccontextmanager
async def bare_aiogram(server: FakeTelegram, answered: Answered) -> AsyncIterator[None]:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, Message

    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(server.token, session=session)
    dispatcher = Dispatcher()

    async def echo(message: Message) -> None:
        try:
            await message.answer(message.text or "?")
        finally:
            answered.one(message.chat.id)

    async def press(query: CallbackQuery) -> None:
        assert query.message is not None
        chat_id = query.message.chat.id
        try:
            await query.answer()
            await bot.send_message(chat_id, query.data or "?")
        finally:
            answered.one(chat_id)

    dispatcher.message.register(echo, F.text)
    dispatcher.callback_query.register(press)
    polling = asyncio.get_running_loop().create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=POLL_TIMEOUT)
    )
    try:
        await _until_polling(server)
        yield
    finally:
        await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling


# ---------------------------------------------------------------------------------------------
# The Kneecoach adapter


class EchoCoach:
    """The smallest CoachPort: echo the text back (measures the adapter and the inbox)."""

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        match inbound:
            case Command(name=name, args=args):
                said = f"/{name} {args}".strip()
            case Press(data=data):
                said = data
            case Text(text=text):
                said = text or "?"
            case _:
                said = "?"
        return [Reply("echo", said)]

    def text(self, key: str, **values: object) -> str:
        return key

    def command_menu(self) -> list[tuple[str, str]]:
        return [("start", "Begin"), ("help", "Help")]


class AnsweringInbox(Dispatcher):
    """The real inbox, reporting each update it has finished with (handled, and its
    replies taken by Telegram, or none needed)."""

    answered: Answered

    async def _work(self, lane: str, queue: deque[_Item]) -> bool:
        item = queue[0]
        finished = await super()._work(lane, queue)
        if finished:
            self.answered.one(int(item.envelope.ref.chat_id))
        return finished


_CONTENT: list[Any] = []  # the content bundle and its compiled rules, built once


def content() -> tuple[Any, Any]:
    """The content bundle and the compiled triage rules (``kneecoach run`` builds them once
    at start-up; so does the bench, not once a round)."""
    if not _CONTENT:
        from bot.content import load_bundle
        from bot.engine.screener import Screener

        bundle = load_bundle()
        _CONTENT.extend((bundle, Screener(bundle.rules)))
    return _CONTENT[0], _CONTENT[1]


@contextlib.asynccontextmanager
async def real_coach() -> AsyncIterator[tuple[CoachPort, Stores]]:
    """The real coach on a fresh SQLite file, as ``kneecoach run`` opens it."""
    from bot.assembly import open_coach

    bundle, screener = content()
    with tempfile.TemporaryDirectory() as tmp:
        coach = await open_coach(Path(tmp) / "bench.db", bundle=bundle, screener=screener)
        try:
            yield coach, coach.stores
        finally:
            await coach.close()


@contextlib.asynccontextmanager
async def echo_coach() -> AsyncIterator[tuple[CoachPort, Stores]]:
    """The echo coach; the inbox on a fresh SQLite file of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        db = await SQLiteDatabase.open(Path(tmp) / "inbox.db")
        try:
            yield EchoCoach(), Stores.over(db)
        finally:
            await db.close()


@contextlib.asynccontextmanager
async def kneecoach(
    server: FakeTelegram, answered: Answered, *, real: bool, concurrency: int
) -> AsyncIterator[Stores]:
    """The adapter polling the fake, every update kept in the durable inbox first and
    handled in its person's turn (``concurrency`` people at once); yields the stores."""
    opened = real_coach() if real else echo_coach()
    async with opened as (coach, stores):
        inbox = AnsweringInbox(stores, coach, SystemClock(), max_concurrent=concurrency)
        inbox.answered = answered
        adapter = TelegramAdapter(
            adapter_settings(server), coach, inbox=inbox, rate_limits=None,
            connection_pool_size=POOL,
        )
        inbox.senders[adapter.platform] = adapter
        await adapter.start()
        try:
            await _until_polling(server)
            yield stores
        finally:
            await inbox.stop(5.0)
            await adapter.stop()


def start(
    key: str, server: FakeTelegram, answered: Answered, concurrency: int
) -> contextlib.AbstractAsyncContextManager[Stores | None]:
    """The bot of row ``key``, started and polling inside the context (which gives the
    coach's stores for the Kneecoach rows)."""
    if key == "ptb-httpx":
        return bare_ptb(server, answered, concurrency=1, aiohttp_transport=False)
    if key == "ptb-httpx-conc":
        return bare_ptb(server, answered, concurrency=concurrency, aiohttp_transport=False)
    if key == "ptb-aio":
        return bare_ptb(server, answered, concurrency=1, aiohttp_transport=True)
    if key == "ptb-aio-conc":
        return bare_ptb(server, answered, concurrency=concurrency, aiohttp_transport=True)
    if key == "aiogram":
        return bare_aiogram(server, answered)
    if key in ("echo", "kneecoach"):
        return kneecoach(server, answered, real=key == "kneecoach", concurrency=concurrency)
    raise ValueError(f"unknown row {key!r}")

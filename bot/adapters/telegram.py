"""Telegram adapter on python-telegram-bot 22: translation only, every decision is the coach's.

Inbound: a private message becomes ``ConversationRef(platform="telegram", user_id=from.id,
chat_id=chat.id, shared=False)``; a group or supergroup message the same with ``shared=True``.
``/cmd args`` and ``/cmd@bot args`` become ``Command``, other text ``Text`` (a photo's caption
is its text; stickers and other non-text messages are ``Text("")`` so the coach can answer
kindly), a button press ``Press(data)``. Service messages (joins, pins...) and messages from
bots are ignored. The coach's replies are rendered by ``telegram_render`` and sent to the chat.
A reply with ``private=True`` is never sent into a shared chat (dropped with a warning).

Every button press is answered (answerCallbackQuery). When the coach takes a press as the
answer to its question (it sets ``Reply.chosen``), the pressed message is edited to end with
"✓ <chosen>" and lose its keyboard, before the coach's replies are sent, so an answered
question cannot be answered twice; other presses (a menu such as the exercise list, a stale
question, a club post) leave the message as it is and the coach's reply says what happened.

Lifecycle: ``start()``/``stop()`` run inside the caller's event loop (initialize, updater
polling or webhook, start, and the reverse), so Telegram, Discord and the scheduler can share
one process. Long polling by default; a webhook server when ``webhook_url`` is set, checking
Telegram's ``X-Telegram-Bot-Api-Secret-Token`` header.

Updates of one chat are handled one after the other, in order; different chats concurrently.
HTTP goes through ``AiohttpRequest`` (aiohttp instead of PTB's httpx: a quarter of the cost
per request) and a reply's send skips parsing Telegram's answer into a ``Message`` (only the
id is kept): bench/telegram_updates.py shows where the time went.

Rate limits and retries (the decision asked for in the design):
  Outgoing requests pass through ``TelegramRateLimiter``: a per-private-chat bucket (a short
  burst, then ``per_chat_per_second``) or a per-group one (``group_messages_per_minute``),
  then a ``SlidingWindow`` that never lets more than ``RateLimits.messages_per_second``
  messages reach Telegram in any one second while keeping the pace right at that limit
  (bench/telegram_delivery.py). A 429 is never retried (and never swallowed) inside PTB.
  Instead
  * ``send()`` (the outbox path) returns ``RetryAfter(seconds)`` at once, so the delivery worker
    keeps serving other people and retries that row later: a long retry cannot lose a message
    nor block the worker;
  * replies to something the person just did (no outbox behind them) wait in place and retry
    while the total wait stays under ``INTERACTIVE_MAX_WAIT``; past that they are dropped
    with a warning (the person can ask again).
  A network error or timeout is treated like a short RetryAfter (``NETWORK_BACKOFF``). Note a
  timeout is ambiguous (Telegram may have delivered the message), so a retry can duplicate it.

Logging: never the token (PTB's own loggers that print request URLs or payloads are held at
INFO, httpx/httpcore at WARNING, see ``_QUIET_LOGGERS``; transport errors name only their
class; PTB's ``InvalidToken`` message, which quotes the token, is replaced) and never message
text; method names and Telegram's reasons at INFO/WARNING, chat ids at DEBUG only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import secrets
import warnings
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from aiolimiter import AsyncLimiter
from telegram import Bot, InputFile, Message, Update
from telegram.constants import ChatType, FloodLimit, ParseMode, WebhookLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.error import (
    RetryAfter as TelegramRetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBDeprecationWarning

from bot.adapters import telegram_render as render
from bot.domain.events import ConversationRef, Inbound, Press, Reply, Text
from bot.domain.results import Blocked, Failed, RetryAfter, SendResult, Sent
from bot.engine.ports import CoachPort, Sender

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
INTERACTIVE_MAX_WAIT = 30.0
NETWORK_BACKOFF = 5.0
POLL_TIMEOUT = timedelta(seconds=10)
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)
_IDEMPOTENCY_MEMORY = 4096
_SECRET_RE = re.compile(rf"[A-Za-z0-9_-]{{1,{int(WebhookLimit.MAX_SECRET_TOKEN_LENGTH)}}}")

# Loggers that would print the token (request URLs) or message payloads below these levels.
_QUIET_LOGGERS: dict[str, int] = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram.Bot": logging.INFO,  # DEBUG: base URL (with token), request parameters
    "telegram.ext.ExtBot": logging.INFO,  # same, for the ExtBot subclass
    "telegram.ext.Application": logging.INFO,  # DEBUG: whole updates
    "telegram.ext.Updater": logging.INFO,  # DEBUG: webhook payloads and secret tokens
}

TgApplication = Application[Any, Any, Any, Any, Any, Any]


def quiet_third_party_loggers() -> None:
    """Raise the level of loggers that could print the token or message text."""
    for name, level in _QUIET_LOGGERS.items():
        lg = logging.getLogger(name)
        if lg.level == logging.NOTSET or lg.level < level:
            lg.setLevel(level)


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How to reach Telegram. ``repr`` never shows the token or the webhook secret.

    ``api_base_url``: a self-hosted Bot API server, either its root (``http://host:8081``),
    a URL ending in ``/bot``, or a PTB template containing ``{token}``.
    ``webhook_url``: the public HTTPS URL Telegram posts to; its path is also the path served
    on ``webhook_listen:webhook_port``. ``webhook_secret``: Telegram's secret token (1-256 of
    ``A-Z a-z 0-9 _ -``); a random one is made at start when it is ``None``.
    """

    token: str = field(repr=False)
    api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.token.strip():
            raise ValueError("TelegramSettings.token is empty")
        if not 0 < self.webhook_port < 65536:
            raise ValueError("TelegramSettings.webhook_port must be 1-65535")
        if self.webhook_secret is not None and not _SECRET_RE.fullmatch(self.webhook_secret):
            raise ValueError(
                "TelegramSettings.webhook_secret must be 1-256 characters of A-Z a-z 0-9 _ -"
            )
        if self.webhook_url is not None and urlsplit(self.webhook_url).scheme not in (
            "http",
            "https",
        ):
            raise ValueError("TelegramSettings.webhook_url must be an http(s) URL")

    @property
    def webhook(self) -> bool:
        return bool(self.webhook_url)

    def api_urls(self) -> tuple[str, str] | None:
        """(base_url, base_file_url) for PTB, or ``None`` for Telegram's own servers."""
        if not self.api_base_url:
            return None
        url = self.api_base_url.strip()
        if "{token}" in url:
            return url, url.replace("/bot{token}", "/file/bot{token}")
        root = url.rstrip("/")
        if root.endswith("/bot"):
            root = root[: -len("/bot")]
        return f"{root}/bot", f"{root}/file/bot"


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Outgoing limits (Telegram's published ones by default)."""

    messages_per_second: float = float(FloodLimit.MESSAGES_PER_SECOND)
    per_chat_per_second: float = float(FloodLimit.MESSAGES_PER_SECOND_PER_CHAT)
    per_chat_burst: int = 3
    group_messages_per_minute: float = float(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP)


# ---------------------------------------------------------------------------------------------
# PTB plumbing: rate limiter and update processor


class SlidingWindow:
    """At most ``count`` requests in any ``seconds`` long window, evenly paced when busy.

    A request may start only once the ``count``-th request before it has been ANSWERED and
    ``seconds`` have passed since: Telegram received that one before answering it, and
    receives this one after it starts, so no window of Telegram's can hold more than
    ``count`` of them, however late a timer fires or however slow a request is. Starts are
    also spaced ``seconds / count`` apart, counted from the previous *scheduled* start (a
    timer that fires late makes the next wait shorter, so lateness does not add up into a
    slower pace), which spreads a burst over the window instead of sending it at once.
    """

    def __init__(self, count: int, seconds: float) -> None:
        if count < 1 or seconds <= 0:
            raise ValueError("a sliding window needs a positive count and length")
        self.count = count
        self.seconds = seconds
        self._spacing = seconds / count
        self._answered: deque[asyncio.Future[float]] = deque()  # the last ``count`` requests
        self._next = 0.0
        self._turn = asyncio.Lock()  # first come, first served

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[float] = loop.create_future()
        async with self._turn:
            start = max(loop.time(), self._next)
            if len(self._answered) >= self.count:
                oldest = await asyncio.shield(self._answered[0])
                start = max(start, oldest + self.seconds)
            delay = start - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(self._answered) >= self.count:
                self._answered.popleft()
            self._answered.append(answered)
            self._next = start + self._spacing
        try:
            yield
        finally:
            answered.set_result(loop.time())


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Telegram's limits, never retrying a 429 itself (``send()`` reports it instead).

    In order: a private chat's bucket (a short burst, then ``per_chat_per_second``) or a
    group's (``group_messages_per_minute``), then the overall ``SlidingWindow`` of
    ``messages_per_second`` per second, for every request addressed to a chat (sends and
    edits; answerCallbackQuery, getUpdates and the like are not messages and pass).
    """

    def __init__(self, limits: RateLimits) -> None:
        self._window = SlidingWindow(max(1, int(limits.messages_per_second)), 1.0)
        self._burst = max(1, limits.per_chat_burst)
        self._chat_period = self._burst / limits.per_chat_per_second
        self._group_rate = limits.group_messages_per_minute
        self._chats: dict[int, AsyncLimiter] = {}
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    @staticmethod
    def _forget_idle(limiters: dict[Any, AsyncLimiter], keep: object) -> None:
        if len(limiters) > 1024:
            for other, limiter in list(limiters.items()):
                if other != keep and limiter.has_capacity(limiter.max_rate):
                    del limiters[other]

    def _chat_limiter(self, chat_id: object) -> AsyncLimiter | None:
        """The bucket of a private chat (positive id) or of a group / channel."""
        key: int | str
        try:
            key = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            if not isinstance(chat_id, str):
                return None
            key = chat_id  # "@channelname"
        if isinstance(key, int) and key > 0:
            self._forget_idle(self._chats, key)
            if key not in self._chats:
                self._chats[key] = AsyncLimiter(self._burst, self._chat_period)
            return self._chats[key]
        self._forget_idle(self._groups, key)
        if key not in self._groups:
            self._groups[key] = AsyncLimiter(self._group_rate, 60)
        return self._groups[key]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await callback(*args, **kwargs)
        limiter = self._chat_limiter(chat_id)
        async with contextlib.AsyncExitStack() as stack:
            if limiter is not None:
                await stack.enter_async_context(limiter)
            await stack.enter_async_context(self._window.slot())
            return await callback(*args, **kwargs)


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


class AiohttpRequest(BaseRequest):
    """PTB's HTTP transport on ``aiohttp`` (PTB's default is ``httpx``).

    Why: every Bot API call pays the client's per-request cost, and httpx/httpcore cost about
    four times what aiohttp does per request (a keep-alive round trip to a local server: ~1.2 ms
    against ~0.3 ms), and httpcore's pool gets slower the more requests are in flight and the
    more connections it holds (each assignment re-checks every connection with a ``poll``
    syscall). A bot that answers with one to three messages per update spent most of its
    time there (see bench/telegram_updates.py).

    Same contract as ``HTTPXRequest``: the status code and body returned as they are (PTB
    turns them into results or errors). Parameters go as multipart when uploading, otherwise
    as a JSON object of the very strings a form would carry (PTB's ``json_payload``): the Bot
    API reads a JSON string value exactly like a form value (telegram-bot-api's
    ``HttpReader::parse_json_parameters``), and a JSON body is cheaper to build and to parse
    than percent-encoding every keyboard.
    Timeouts: ``connect_timeout`` for a new connection, ``pool_timeout`` (added to it) for
    waiting on a free one, ``read_timeout`` between reads; aiohttp has no write timeout, so
    the total of all four bounds the whole request. Errors become ``TimedOut`` or
    ``NetworkError`` naming only the aiohttp exception class: the URL holds the token and never
    ends up in an error message.
    """

    __slots__ = (
        "_connect",
        "_media_write",
        "_pool",
        "_pool_size",
        "_read",
        "_session",
        "_write",
    )

    def __init__(
        self,
        connection_pool_size: int = 16,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 10.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None),  # per request, see _timeout
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def _timeout(
        read: float | None,
        write: float | None,
        connect: float | None,
        pool: float | None,
    ) -> aiohttp.ClientTimeout:
        acquire = None if connect is None or pool is None else connect + pool
        parts = (read, write, connect, pool)
        total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
        return aiohttp.ClientTimeout(
            total=total, connect=acquire, sock_connect=connect, sock_read=read
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        default_write = self._media_write if files else self._write
        timeout = self._timeout(
            _seconds(read_timeout, self._read),
            _seconds(write_timeout, default_write),
            _seconds(connect_timeout, self._connect),
            _seconds(pool_timeout, self._pool),
        )
        body: aiohttp.FormData | bytes | None = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                body = request_data.json_payload
        try:
            async with session.request(  # the Bot API never redirects; do not follow one
                method,
                url,
                data=body,
                timeout=timeout,
                allow_redirects=False,
                headers=_JSON if isinstance(body, bytes) else None,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts subclass it
            raise TimedOut(f"Timed out ({type(exc).__name__})") from None
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from None


_JSON = {"Content-Type": "application/json"}


def _seconds(given: object, default: float | None) -> float | None:
    """A per-call timeout as PTB passes it (a number, ``None`` or "not given")."""
    if given is None:
        return None
    if isinstance(given, int | float):
        return float(given)
    return default


def _retry_seconds(exc: TelegramRetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# ---------------------------------------------------------------------------------------------
# The adapter


class TelegramAdapter:
    """Telegram door of the coach; also the proactive ``Sender`` for platform "telegram"."""

    platform = PLATFORM

    def __init__(
        self,
        settings: TelegramSettings,
        coach: CoachPort,
        *,
        rate_limits: RateLimits | None = RateLimits(),
        max_concurrent_updates: int = 64,
        connection_pool_size: int = 16,
    ) -> None:
        self.settings = settings
        self.coach = coach
        self.rate_limits = rate_limits
        self.max_concurrent_updates = max_concurrent_updates
        self.connection_pool_size = connection_pool_size
        self._app: TgApplication | None = None
        self._running = False
        self._webhook_secret: str | None = None
        self._progress: OrderedDict[str, list[str]] = OrderedDict()
        self._completed: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        # Injected so tests can run the waiting paths without wall-clock sleeps.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        quiet_third_party_loggers()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def application(self) -> TgApplication:
        if self._app is None:
            raise RuntimeError("TelegramAdapter has not been started")
        return self._app

    @property
    def running(self) -> bool:
        return self._running

    @property
    def bot_username(self) -> str | None:
        if self._app is None:
            return None
        try:
            username: str | None = self._app.bot.username
        except RuntimeError:  # bot not initialized yet
            return None
        return username

    @property
    def webhook_secret(self) -> str | None:
        """The secret token in use (generated at start when the settings had none)."""
        return self._webhook_secret

    def build_application(self) -> TgApplication:
        """A configured, not yet initialized PTB ``Application`` with the handlers attached."""
        quiet_third_party_loggers()
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(self.settings.token)
            .job_queue(None)
            .concurrent_updates(PerChatUpdateProcessor(self.max_concurrent_updates))
            .request(AiohttpRequest(self.connection_pool_size))
            .get_updates_request(AiohttpRequest(1))
        )
        urls = self.settings.api_urls()
        if urls is not None:
            builder = builder.base_url(urls[0]).base_file_url(urls[1])
        if self.rate_limits is not None:
            builder = builder.rate_limiter(TelegramRateLimiter(self.rate_limits))
        app: TgApplication = builder.build()
        # A text message is never a service message: TEXT first spares the ~40 checks of
        # StatusUpdate.ALL for almost every update.
        message_filter = (
            filters.UpdateType.MESSAGE
            & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
            & (filters.TEXT | ~filters.StatusUpdate.ALL)
        )
        app.add_handler(MessageHandler(message_filter, self._on_message))
        app.add_handler(CallbackQueryHandler(self._on_press))
        app.add_error_handler(self._on_error)
        return app

    async def start(self) -> None:
        """Connect (getMe), publish the command menu, then poll or serve the webhook.

        Raises ``telegram.error.TelegramError`` (e.g. ``InvalidToken``) when Telegram refuses;
        PTB's own ``InvalidToken`` message quotes the token, so it is replaced by one that
        does not.
        """
        if self._running:
            raise RuntimeError("TelegramAdapter is already running")
        app = self.build_application()
        try:
            await app.initialize()
        except InvalidToken:
            await app.bot.shutdown()  # the HTTP sessions were opened before getMe failed
            raise InvalidToken("the bot token was rejected by Telegram") from None
        except BaseException:
            await app.bot.shutdown()
            raise
        try:
            await self._set_commands(app.bot)
            updater = app.updater
            if updater is None:  # pragma: no cover - the builder always makes one
                raise RuntimeError("PTB application has no updater")
            if self.settings.webhook:
                await self._start_webhook(app)
            else:
                await updater.start_polling(
                    timeout=POLL_TIMEOUT,
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=False,
                )
            await app.start()
        except BaseException:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.shutdown()
            raise
        self._app = app
        self._running = True
        logger.info(
            "telegram adapter started (%s) as @%s",
            "webhook" if self.settings.webhook else "polling",
            self.bot_username,
        )

    async def _start_webhook(self, app: TgApplication) -> None:
        assert app.updater is not None and self.settings.webhook_url is not None
        secret = self.settings.webhook_secret or secrets.token_urlsafe(32)
        self._webhook_secret = secret
        path = urlsplit(self.settings.webhook_url).path.strip("/")
        await app.updater.start_webhook(
            listen=self.settings.webhook_listen,
            port=self.settings.webhook_port,
            url_path=path,
            webhook_url=self.settings.webhook_url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )

    async def stop(self) -> None:
        """Stop receiving, finish the updates in hand, close connections. Idempotent."""
        app = self._app
        if app is None:
            return
        self._running = False
        try:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
        finally:
            await app.shutdown()
            self._app = None
        logger.info("telegram adapter stopped")

    async def _set_commands(self, bot: Bot) -> None:
        commands = render.menu_commands(self.coach.command_menu())
        if not commands:
            return
        try:
            await bot.set_my_commands(commands)
        except TelegramError as exc:
            logger.warning("setMyCommands failed: %s", exc.message)

    # -- inbound ---------------------------------------------------------------------------

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user, chat = update.message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None or user.is_bot:
            return
        inbound: Inbound | None
        if message.text is not None:
            inbound = render.parse_text(message.text, self.bot_username)
        else:
            inbound = Text(message.caption or "")
        if inbound is None:  # a command for another bot
            return
        ref = ConversationRef(
            platform=PLATFORM,
            user_id=str(user.id),
            chat_id=str(chat.id),
            shared=chat.type != ChatType.PRIVATE,
        )
        logger.debug("message update %s in chat %s", update.update_id, chat.id)
        await self._handle(ref, inbound)

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()
        except TelegramError as exc:
            logger.warning("answerCallbackQuery failed: %s", exc.message)
        message = query.message
        if query.data is None or message is None:  # game or inline-mode press: nothing to do
            return
        ref = ConversationRef(
            platform=PLATFORM,
            user_id=str(query.from_user.id),
            chat_id=str(message.chat.id),
            shared=message.chat.type != ChatType.PRIVATE,
        )
        logger.debug("press update %s in chat %s", update.update_id, message.chat.id)
        pressed = message if isinstance(message, Message) else None
        await self._handle(ref, Press(query.data), pressed=pressed)

    async def _mark_chosen(self, message: Message, replies: Sequence[Reply]) -> None:
        """When the coach took the press as an answer (``Reply.chosen``), edit the pressed
        message: add "✓ <chosen>" and drop its keyboard. Other presses (a menu, a stale
        question, a press that raced an earlier one) leave the message as it is."""
        label = next((r.chosen for r in replies if r.chosen), None)
        if label is None or message.reply_markup is None:
            return
        bot = message.get_bot()
        chat_id, message_id = message.chat.id, message.message_id
        try:
            if message.text is not None and (
                len(message.text) + render.choice_suffix_length(label) <= render.MAX_TEXT
            ):
                await bot.edit_message_text(
                    render.with_choice(message.text_html, label),
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                )
            elif message.caption is not None and (
                len(message.caption) + render.choice_suffix_length(label) <= render.MAX_CAPTION
            ):
                await bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=render.with_choice(message.caption_html, label),
                    parse_mode=ParseMode.HTML,
                )
            else:
                await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
        except BadRequest as exc:
            if "not modified" not in exc.message:
                logger.warning("editing the pressed message failed: %s", exc.message)
        except TelegramError as exc:
            logger.warning("editing the pressed message failed: %s", exc.message)

    async def _handle(
        self, ref: ConversationRef, inbound: Inbound, *, pressed: Message | None = None
    ) -> None:
        replies = await self.coach.handle(ref, inbound)
        if pressed is not None:  # before the answer, so the chat reads in order
            await self._mark_chosen(pressed, replies)
        result = await self._deliver(ref, replies, done=[], max_wait=INTERACTIVE_MAX_WAIT)
        if not isinstance(result, Sent):
            logger.warning("reply not delivered: %s", result)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error(
            "handling telegram update %s failed: %s",
            update_id,
            type(error).__name__,
            exc_info=error,
        )

    # -- outbound --------------------------------------------------------------------------

    def _allowed(self, ref: ConversationRef, replies: Sequence[Reply]) -> list[Reply]:
        if not ref.shared:
            return list(replies)
        kept = []
        for reply in replies:
            if reply.private:
                logger.warning("private reply %r for a shared chat dropped", reply.key)
                continue
            kept.append(reply)
        return kept

    async def send(
        self, ref: ConversationRef, replies: Sequence[Reply], idempotency_key: str
    ) -> SendResult:
        """Deliver ``replies`` unprompted (the outbox path). Never raises, never waits on 429.

        Parts already delivered for ``idempotency_key`` (in this process) are not sent again,
        and a key already completed returns its ``Sent`` at once.
        """
        if ref.platform != PLATFORM:
            return Failed(f"not a telegram conversation: {ref.platform}")
        if not self._running:
            return RetryAfter(NETWORK_BACKOFF, "telegram adapter not running")
        done_before = self._completed.get(idempotency_key)
        if done_before is not None:
            return Sent(done_before)
        done = self._progress.setdefault(idempotency_key, [])
        self._progress.move_to_end(idempotency_key)
        result = await self._deliver(ref, replies, done=done, max_wait=0.0)
        if isinstance(result, Sent):
            self._progress.pop(idempotency_key, None)
            self._completed[idempotency_key] = result.message_ids
            while len(self._completed) > _IDEMPOTENCY_MEMORY:
                self._completed.popitem(last=False)
        elif not isinstance(result, RetryAfter):
            self._progress.pop(idempotency_key, None)
        while len(self._progress) > _IDEMPOTENCY_MEMORY:
            self._progress.popitem(last=False)
        return result

    async def _deliver(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        *,
        done: list[str],
        max_wait: float,
    ) -> SendResult:
        """Send the parts not yet in ``done`` (message ids, appended as they go)."""
        try:
            chat_id = int(ref.chat_id)
        except ValueError:
            return Failed("chat id is not a number")
        if self._app is None:
            return RetryAfter(NETWORK_BACKOFF, "telegram adapter not running")
        bot: Bot = self._app.bot
        username = self.bot_username
        parts = [p for r in self._allowed(ref, replies) for p in render.render_reply(r, username)]
        waited = 0.0
        while len(done) < len(parts):
            part = parts[len(done)]
            method = "sendPhoto" if isinstance(part, render.PhotoPart) else "sendMessage"
            try:
                sent = await self._send_part(bot, chat_id, part)
            except TelegramRetryAfter as exc:
                seconds = _retry_seconds(exc)
                reason = "flood control"
            except Forbidden as exc:
                logger.info("%s: chat refuses the bot (%s)", method, exc.message)
                logger.debug("blocked chat %s", chat_id)
                return Blocked(exc.message)
            except ChatMigrated as exc:
                logger.warning("%s: chat moved to a supergroup", method)
                return Failed(f"chat migrated to {exc.new_chat_id}")
            except BadRequest as exc:
                logger.warning("%s refused: %s", method, exc.message)
                return Failed(f"{method}: {exc.message}")
            except (TimedOut, NetworkError) as exc:
                seconds = NETWORK_BACKOFF
                reason = f"network: {type(exc).__name__}"
            except InvalidToken as exc:
                logger.error("%s: the bot token was refused", method)
                return Failed(f"{method}: invalid token ({type(exc).__name__})")
            except TelegramError as exc:
                logger.warning("%s failed: %s", method, exc.message)
                return Failed(f"{method}: {exc.message}")
            else:
                done.append(str(sent))
                continue
            if waited + seconds > max_wait:
                logger.info("%s: retry after %.0f s (%s)", method, seconds, reason)
                return RetryAfter(seconds, reason)
            waited += seconds
            await self.sleep(seconds)
        return Sent(tuple(done))

    async def _send_part(self, bot: Bot, chat_id: int, part: render.Part) -> int:
        """Send one part; returns its message id.

        Goes through PTB's request pipeline (defaults, rate limiter, Telegram's errors as
        exceptions) but skips turning Telegram's answer into a ``Message``: only the id is
        needed, and parsing the answer (keyboard included) was the largest single cost of a
        reply after the HTTP client (bench/telegram_updates.py).
        """
        data: dict[str, Any]
        if isinstance(part, render.PhotoPart):
            endpoint = "sendPhoto"
            data = {
                "chat_id": chat_id,
                "photo": InputFile(part.png, filename=part.filename),
                "caption": part.caption_html,
                "parse_mode": ParseMode.HTML if part.caption_html else None,
                "reply_markup": part.keyboard.json if part.keyboard else None,
            }
        else:
            endpoint = "sendMessage"
            data = {
                "chat_id": chat_id,
                "text": part.html,
                "parse_mode": ParseMode.HTML,
                "reply_markup": part.keyboard.json if part.keyboard else None,
            }
        result = await bot._post(endpoint, data)
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise TelegramError(f"{endpoint}: unexpected answer from the Bot API")
        return int(result["message_id"])


if TYPE_CHECKING:  # the adapter is the proactive Sender for Telegram

    def _is_a_sender(adapter: TelegramAdapter) -> Sender:
        return adapter

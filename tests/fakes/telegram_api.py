"""A loopback fake of the Telegram Bot API, strict where the real one is strict.

An aiohttp app on 127.0.0.1 (random port) serving ``/bot<token>/<method>`` (GET or POST; JSON,
url-encoded or multipart bodies, as python-telegram-bot sends them). It keeps chats, messages
(text, entities, keyboards), pending updates and callback queries in memory, records every
*valid* call in ``calls`` (rejected ones in ``rejections``) and answers errors the way Telegram
does: ``{"ok": false, "error_code": ..., "description": ...}``.

Validated: the token (401), the method (404), required parameters, parse_mode, HTML
well-formedness (supported tags only, closed and nested properly), text 1-4096 and caption
0-1024 characters *after* entity parsing, inline keyboards (callback_data 1-64 bytes, URL
schemes, at most 100 buttons and 8 per row, exactly one action per button), bot commands,
webhook secret tokens, photo uploads (PNG/JPEG bytes), editing (message exists, has text or a
caption, content actually changes), callback answers (known id, answered once).

Behaviours for tests: ``blocked_chats`` (403), ``unknown_chats`` (400 chat not found),
``muted_chats`` (400 not enough rights to send: a group that restricted the bot),
``fail_next`` (one-shot error, e.g. 429 with retry_after; ``html=True`` answers with an HTML
error page that quotes the request path, token included, as a proxy in front of the Bot API
does), ``drop_next`` (close the connection), ``outage`` (every call answers that status with
such a page until it is set back to None), ``rate_limit(n)`` (at most n messages in any
sliding second, 429 above, counted in ``rate_limited``; a call carrying
``allow_paid_broadcast=true`` counts in a window of its own instead, at most
``paid_per_second`` (Telegram's 1000), and in ``paid_messages``: the Stars it would cost are
``paid_messages`` x ``PAID_STARS``; the parameter must be a boolean and is refused on the
methods the Bot API does not give it, ``PAID_METHODS``), ``on_call(method, phase)`` (called
when a valid call arrives, phase "received", and once it is recorded, "accepted", before
the answer goes out: a test can kill the bot's process right there),
``updates_per_poll(n)`` (one getUpdates hands out at most n updates whatever its
``limit``: live traffic reaches a bot about one update per call). Long polling
(getUpdates honours offset, limit and timeout and wakes as soon as an update is queued);
``post_webhook`` delivers an update to the registered webhook with a
right or wrong secret token. The fake uses real time only for its own rate window and its long
polls; tests wait with ``wait_for_calls`` / ``wait_until`` (conditions with timeouts).

Without HTTP: ``invoke(method, params, files)`` runs one method in-process on the same model
(validation, behaviours, ``calls``); tests/fakes/telegram_output.py builds the adapter's
``Output`` on it, and the server need not be started for that.

Limits are taken from ``telegram.constants``; nothing here reads ../shared at run time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import struct
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, web
from telegram.constants import (
    BotCommandLimit,
    CallbackQueryLimit,
    FileSizeLimit,
    FloodLimit,
    InlineKeyboardButtonLimit,
    InlineKeyboardMarkupLimit,
    MessageLimit,
    PollingLimit,
    WebhookLimit,
)

from bot.domain.events import (
    OPEN_PRIVATE,
    Button,
    Command,
    ConversationRef,
    Inbound,
    Picture,
    Press,
    Reply,
    Text,
)

if TYPE_CHECKING:
    from bot.adapters.telegram import RateLimits, TelegramAdapter
    from bot.domain.readiness import Readiness
    from bot.engine.ports import CoachPort
    from bot.schedule.inbox import Dispatcher
    from bot.store.stores import Stores

DEFAULT_TOKEN = "123456789:AAFakeTokenForTests_kneecoach-0123456"
MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)
MAX_CAPTION = int(MessageLimit.CAPTION_LENGTH)
MIN_DATA = int(InlineKeyboardButtonLimit.MIN_CALLBACK_DATA)
MAX_DATA = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
MAX_BUTTONS = int(InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER)
MAX_PER_ROW = int(InlineKeyboardMarkupLimit.BUTTONS_PER_ROW)
MAX_PHOTO_BYTES = int(FileSizeLimit.PHOTOSIZE_UPLOAD)  # 10 MB
MAX_FILE_BYTES = int(FileSizeLimit.FILESIZE_UPLOAD)  # 50 MB
MAX_PHOTO_SIDE_SUM = 10_000  # the Bot API's sendPhoto: width + height
MAX_PHOTO_RATIO = 20
# An uploaded file's name travels in its multipart part; the fake keeps it as a parameter.
FILENAME = "filename:"
# The methods of the fake that take allow_paid_broadcast (the Bot API's sendMessage,
# sendPhoto, sendAnimation, sendDocument and its other sends; never an edit), its rate and
# its price: "up to 1000 messages per second ... for a fee of 0.1 Telegram Stars per message".
PAID_METHODS = frozenset({"sendmessage", "sendphoto", "sendanimation", "senddocument"})
PAID_PER_SECOND = int(FloodLimit.PAID_MESSAGES_PER_SECOND)
PAID_STARS = 0.1
SENDING_METHODS = frozenset(
    {"sendmessage", "sendphoto", "sendanimation", "senddocument", "editmessagetext",
     "editmessagecaption", "editmessagereplymarkup"}
)


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# ---------------------------------------------------------------------------------------------
# Telegram HTML: parse, validate, produce plain text + entities (UTF-16 offsets)

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)\s*/?>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape_text(raw: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _NAMED:
            return _NAMED[name]
        number = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
        return chr(number)

    return _ENTITY_RE.sub(one, raw)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: (plain text, entities), or ApiError 400."""
    plain: list[str] = []
    offset = 0  # in UTF-16 code units
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(source):
        lt = source.find("<", pos)
        chunk = source[pos:] if lt < 0 else source[pos:lt]
        if chunk:
            text = _unescape_text(chunk)
            plain.append(text)
            offset += utf16_len(text)
        if lt < 0:
            break
        match = _TAG_RE.match(source, lt)
        if match is None:
            byte_offset = len(source[:lt].encode())
            raise bad(
                f"can't parse entities: Unexpected end of name token at byte offset {byte_offset}"
            )
        closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        byte_offset = len(source[:lt].encode())
        if name not in _TAG_ENTITY:
            kind = "end" if closing else "start"
            raise bad(
                f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset '
                f"{byte_offset}"
            )
        if closing:
            if not stack or stack[-1][0] != name:
                raise bad(
                    f"can't parse entities: Unmatched end tag at byte offset {byte_offset}, "
                    f'expected "</{stack[-1][0]}>", found "</{name}>"'
                    if stack
                    else f'can\'t parse entities: Unmatched end tag "{name}" at byte offset '
                    f"{byte_offset}"
                )
            open_name, start, attributes = stack.pop()
            length = offset - start
            if length > 0:
                entity: dict[str, Any] = {
                    "type": _TAG_ENTITY[open_name],
                    "offset": start,
                    "length": length,
                }
                if open_name == "a":
                    entity["url"] = attributes.get("href", "")
                if open_name == "pre" and "language" in attributes:
                    entity["language"] = attributes["language"]
                if open_name == "tg-emoji":
                    entity["custom_emoji_id"] = attributes.get("emoji-id", "")
                entities.append(entity)
        else:
            attributes = {
                m.group(1).lower(): _unescape_text(m.group(2) or m.group(3) or m.group(4) or "")
                for m in _ATTR_RE.finditer(attrs)
            }
            if name == "span" and attributes.get("class") != "tg-spoiler":
                raise bad(
                    'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte '
                    f"offset {byte_offset}"
                )
            if name == "a" and not attributes.get("href"):
                raise bad(f'can\'t parse entities: Tag "a" must have "href" at byte {byte_offset}')
            stack.append((name, offset, attributes))
        pos = match.end()
    if stack:
        raise bad(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities


def parse_formatted(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    if parse_mode is None or parse_mode == "":
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdown", "markdownv2"):
        return text, []  # accepted, not interpreted (the adapter uses HTML)
    raise bad(f"unsupported parse_mode {parse_mode!r}")


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Call:
    """One valid Bot API call: method name as sent, parameters decoded, uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the fake accepted it

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class Rejection:
    method: str
    params: dict[str, Any]
    error_code: int
    description: str


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    photo: bytes | None = None
    animation: bytes | None = None
    document: bytes | None = None
    file_name: str | None = None  # of a document or an animation
    reply_markup: dict[str, Any] | None = None
    from_user: dict[str, Any] | None = None

    @property
    def has_media(self) -> bool:
        return self.photo is not None or self.animation is not None or self.document is not None


@dataclass
class _Failure:
    code: int
    description: str
    retry_after: int | None
    after: int = 0
    html: bool = False


class HtmlError(Exception):
    """An answer that is not the Bot API's JSON: an HTML error page (a proxy's 502...)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def error_page(code: int, path: str) -> str:
    """What a reverse proxy answers when the Bot API behind it is down: it quotes the path,
    and a Bot API path holds the token."""
    return (
        f"<html><head><title>{code} Bad Gateway</title></head><body>"
        f"<h1>{code}</h1><p>The upstream server did not answer the request for "
        f"{path}.</p></body></html>"
    )


# ---------------------------------------------------------------------------------------------
# Parameter helpers


def _json_value(value: Any, name: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise bad(f"can't parse {name} JSON object") from exc
    return value


def _int_value(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise bad(f"invalid {name}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError as exc:
        raise bad(f"invalid {name} specified") from exc


def _bool_value(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1")


def _strict_bool(value: Any, name: str) -> bool:
    """A Boolean parameter: true or false (JSON, or as a form sends it), nothing else."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("true", "false"):
        raise bad(f"can't parse {name}: a Boolean is expected")
    return text == "true"


# ---------------------------------------------------------------------------------------------
# The server


class FakeTelegram:
    """The fake Bot API. ``async with FakeTelegram() as server: ...`` or start()/stop()."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int = 900_000_001,
        bot_username: str = "kneecoach_test_bot",
        bot_name: str = "Kneecoach",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.calls: list[Call] = []
        self.counts: dict[str, int] = {}  # valid calls per method (as sent), O(1) to read
        self.rejections: list[Rejection] = []
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.blocked_chats: set[int] = set()
        self.unknown_chats: set[int] = set()
        self.muted_chats: set[int] = set()
        self.rate_limited = 0
        self.waiting_polls = 0  # getUpdates calls currently held open (long polls)
        self.latency = 0.0  # seconds added to every answer (simulates a remote API)
        self.outage: int | None = None  # every call answers this status (an HTML page)
        self.on_call: Callable[[str, str], None] | None = None
        self._rate_per_second: int | None = None
        self._per_poll: int | None = None
        self._rate_window: deque[float] = deque()
        self.paid_per_second = PAID_PER_SECOND  # with rate_limit set: paid calls' own limit
        self.paid_messages = 0  # calls accepted with allow_paid_broadcast=true
        self._paid_window: deque[float] = deque()
        self._failures: dict[str, deque[_Failure]] = {}
        self._drops: dict[str, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._resend: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._open_callbacks: dict[str, dict[str, Any]] = {}
        self._waiters: set[asyncio.Future[None]] = set()
        self._held: dict[str, asyncio.Event] = {}  # method -> released when set
        self.holding = 0  # calls currently held (``hold``)
        self._started = False
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._methods: dict[str, Callable[[dict[str, Any], dict[str, bytes]], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates_placeholder,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "sendanimation": self._send_animation,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "close": lambda p, f: True,
            "logout": lambda p, f: True,
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        self._started = True
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        # No access log: the URL holds the token.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        # A restarted fake listens on the port it had (the platform comes back).
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        self._closing = True
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """Root URL of the fake (``TelegramSettings.api_base_url``); PTB's form is + "/bot"."""
        return f"http://127.0.0.1:{self._port}"

    # -- assertions helpers ----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait (no polling) until ``predicate()`` holds; TimeoutError otherwise. Works on a
        server that was never started too (calls made through ``invoke``)."""
        async with asyncio.timeout(within):
            while not predicate():
                waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)

    async def wait_for_calls(self, method: str, count: int = 1, within: float = 30.0) -> list[Call]:
        """Wait until at least ``count`` valid calls of ``method`` were recorded."""
        await self.wait_until(lambda: len(self.calls_to(method)) >= count, within)
        return self.calls_to(method)

    def message(self, chat_id: int, message_id: int) -> StoredMessage:
        return self.messages[(chat_id, message_id)]

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id and m.from_bot]

    def nudge(self) -> None:
        """Wake every ``wait_until`` to check its condition again (a test changed state the
        fake does not know about)."""
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- behaviours ------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        after: int = 0,
        html: bool = False,
    ) -> None:
        """One call of ``method`` fails (default 429); ``after`` calls of it pass first;
        ``html``: the answer is an HTML error page quoting the request path."""
        if error_code == 429 and retry_after is None:
            retry_after = 3
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else "Bad Request: chat not found"
            )
        self._failures.setdefault(method.lower(), deque()).append(
            _Failure(error_code, description, retry_after, after, html)
        )

    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` wait, unanswered, until the returned event is set."""
        release = asyncio.Event()
        self._held[method.lower()] = release
        return release

    def drop_next(self, method: str) -> None:
        """The next call of ``method`` gets its connection closed without an answer."""
        key = method.lower()
        self._drops[key] = self._drops.get(key, 0) + 1

    def rate_limit(self, per_second: int | None) -> None:
        """Allow at most ``per_second`` messages in any sliding second (None: unlimited)."""
        self._rate_per_second = per_second
        self._rate_window.clear()
        self._paid_window.clear()

    def updates_per_poll(self, count: int | None) -> None:
        """Hand out at most ``count`` updates per getUpdates, whatever the bot asks for
        with ``limit`` (None: up to its ``limit``, 100 by default, as Telegram does with a
        backlog). With ``1`` every update costs the bot a getUpdates round trip of its own,
        which is what live traffic of a few people at a time looks like."""
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise ValueError(f"updates_per_poll must be a positive int or None, not {count!r}")
        self._per_poll = count

    @property
    def per_poll(self) -> int | None:
        """The cap set by ``updates_per_poll`` (None: none)."""
        return self._per_poll

    def _check_rate(self, paid: bool = False) -> None:
        """The sliding second of ``rate_limit``; a call that pays for broadcast is counted in
        a window of its own at ``paid_per_second`` instead."""
        if self._rate_per_second is None:
            return
        window, limit = ((self._paid_window, self.paid_per_second) if paid
                         else (self._rate_window, self._rate_per_second))
        now = time.monotonic()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            self.rate_limited += 1
            wait = max(1, math.ceil(window[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        window.append(now)

    # -- injection (updates) ---------------------------------------------------------------

    def _user(self, user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en",
        }
        if username:
            user["username"] = username
        return user

    def _chat(
        self, chat_id: int, kind: str, title: str | None, user: dict[str, Any]
    ) -> dict[str, Any]:
        if kind == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        else:
            chat = {"id": chat_id, "type": kind, "title": title or "Running club"}
        self.chats[chat_id] = chat
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _command_entities(self, text: str) -> list[dict[str, Any]]:
        match = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if not match:
            return []
        return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]

    def make_message(
        self,
        *,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        chat_type: str = "private",
        title: str | None = None,
        first_name: str = "Runner",
        username: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A ``message`` update (not queued); ``extra`` adds fields (sticker, photo...)."""
        user = self._user(user_id, first_name, username)
        chat = self._chat(chat_id, chat_type, title, user)
        message_id = self._next_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if text is not None:
            message["text"] = text
            entities = self._command_entities(text)
            if entities:
                message["entities"] = entities
        if extra:
            message.update(extra)
        self.messages[(chat_id, message_id)] = StoredMessage(
            chat_id=chat_id,
            message_id=message_id,
            date=message["date"],
            from_bot=False,
            text=text,
            from_user=user,
        )
        return {"update_id": next(self._update_ids), "message": message}

    def make_press(
        self,
        *,
        chat_id: int,
        message_id: int,
        data: str,
        user_id: int | None = None,
        first_name: str = "Runner",
    ) -> dict[str, Any]:
        """A ``callback_query`` update pressing ``data`` on a stored bot message."""
        stored = self.messages.get((chat_id, message_id))
        if stored is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        user = self._user(user_id if user_id is not None else chat_id, first_name, None)
        query_id = str(next(self._callback_ids))
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": str(chat_id),
            "data": data,
            "message": self._message_json(stored),
        }
        self._open_callbacks[query_id] = query
        return {"update_id": next(self._update_ids), "callback_query": query}

    def enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates and wake long polls."""
        self._updates.append(update)
        self._wake()
        return update

    def inject_private_text(
        self, user_id: int, text: str, *, first_name: str = "Runner"
    ) -> dict[str, Any]:
        return self.enqueue(
            self.make_message(chat_id=user_id, user_id=user_id, text=text, first_name=first_name)
        )

    def inject_group_text(
        self, chat_id: int, user_id: int, text: str, *, chat_type: str = "group"
    ) -> dict[str, Any]:
        return self.enqueue(
            self.make_message(chat_id=chat_id, user_id=user_id, text=text, chat_type=chat_type)
        )

    def inject_sticker(self, user_id: int) -> dict[str, Any]:
        return self.enqueue(self.make_sticker(user_id))

    def make_sticker(self, user_id: int) -> dict[str, Any]:
        """A sticker in a private chat (not queued)."""
        sticker = {
            "file_id": "CAACAgIAAxkBAAIBsticker",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self.make_message(chat_id=user_id, user_id=user_id, extra={"sticker": sticker})

    def inject_press(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        return self.enqueue(
            self.make_press(chat_id=chat_id, message_id=message_id, data=data, user_id=user_id)
        )

    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def resend(self, update: dict[str, Any]) -> None:
        """Deliver ``update`` again with the next getUpdates, whatever the offset says: what
        Telegram does when it did not get the bot's confirmation (the same update_id)."""
        self._resend.append(update)
        self._wake()

    async def post_webhook(
        self, update: dict[str, Any], *, secret: str | None = None, use_secret: bool = True
    ) -> int:
        """POST ``update`` to the registered webhook; returns the HTTP status.

        ``secret`` overrides the registered secret token; ``use_secret=False`` omits the header.
        """
        if not self.webhook_url:
            raise RuntimeError("no webhook registered")
        headers = {}
        token = secret if secret is not None else self.webhook_secret
        if use_secret and token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        async with (
            ClientSession() as session,
            session.post(self.webhook_url, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    # -- HTTP ------------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad("request body must be a JSON object")
                params.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = value.file.read()
                        params[FILENAME + key] = value.filename
                    elif isinstance(value, bytes):
                        files[key] = value
                    else:
                        params[key] = value
        return params, files

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        method_name = request.match_info["method"]
        key = method_name.lower()
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        if key not in self._methods:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        if self.outage is not None:
            return web.Response(status=self.outage, text=error_page(self.outage, request.path),
                                content_type="text/html")
        try:
            params, files = await self._read_params(request)
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.code)
        if self.on_call is not None:
            self.on_call(method_name, "received")
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        release = self._held.get(key)
        if release is not None and not release.is_set():
            self.holding += 1
            self._wake()
            try:
                await release.wait()
            finally:
                self.holding -= 1
        if self._drops.get(key):
            self._drops[key] -= 1
            transport = request.transport
            if transport is not None:
                transport.close()
            return web.Response(status=500)
        try:
            if key == "getupdates":
                self._take_failure(key)
                result = await self._get_updates(params)
            else:
                result = self._run(method_name, params, files)
        except HtmlError as exc:
            return web.Response(status=exc.code, text=error_page(exc.code, request.path),
                                content_type="text/html")
        except ApiError as exc:
            self._reject(method_name, params, exc)
            return web.json_response(exc.body(), status=exc.code)
        self._record(method_name, params, files)
        if self.on_call is not None:
            self.on_call(method_name, "accepted")
        return web.json_response({"ok": True, "result": result})

    def invoke(
        self, method_name: str, params: dict[str, Any], files: dict[str, bytes] | None = None
    ) -> Any:
        """Run one Bot API method in-process, as the HTTP endpoint does once it has read the
        request (no token, latency or dropped connections; not getUpdates): ``fail_next``,
        the blocked / unknown chats and the rate window apply, the call is recorded in
        ``calls`` (or ``rejections``) and its result returned; an error raises ``ApiError``.
        """
        key = method_name.lower()
        if key not in self._methods or key == "getupdates":
            raise ApiError(404, "Not Found")
        files = files or {}
        try:
            result = self._run(method_name, params, files)
        except ApiError as exc:
            self._reject(method_name, params, exc)
            raise
        self._record(method_name, params, files)
        return result

    def _run(self, method_name: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        key = method_name.lower()
        self._take_failure(key)
        paid = self._paid_flag(key, method_name, params)
        if key in SENDING_METHODS:
            self._check_chat(params)
            self._check_rate(paid)
        result = self._methods[key](params, files)
        if paid:
            self.paid_messages += 1
        return result

    @staticmethod
    def _paid_flag(key: str, method_name: str, params: dict[str, Any]) -> bool:
        """``allow_paid_broadcast``: a Boolean, on the methods that take it only."""
        if "allow_paid_broadcast" not in params:
            return False
        if key not in PAID_METHODS:
            raise bad(f"{method_name} has no parameter allow_paid_broadcast")
        return _strict_bool(params["allow_paid_broadcast"], "allow_paid_broadcast")

    def _take_failure(self, key: str) -> None:
        failure = self._failures.get(key)
        if failure and failure[0].after > 0:
            failure[0].after -= 1
        elif failure:
            f = failure.popleft()
            if f.html:
                raise HtmlError(f.code)
            raise ApiError(
                f.code,
                f.description,
                {"retry_after": f.retry_after} if f.retry_after is not None else None,
            )

    def _record(self, method_name: str, params: dict[str, Any], files: dict[str, bytes]) -> None:
        self.calls.append(Call(method_name, params, files))
        self.counts[method_name] = self.counts.get(method_name, 0) + 1
        self._wake()

    def _reject(self, method_name: str, params: dict[str, Any], exc: ApiError) -> None:
        self.rejections.append(Rejection(method_name, params, exc.code, exc.description))
        self._wake()

    def _check_chat(self, params: dict[str, Any]) -> None:
        if "chat_id" not in params or params["chat_id"] in ("", None):
            return  # the method reports its own missing chat_id
        chat_id = _int_value(params["chat_id"], "chat_id")
        if chat_id in self.unknown_chats:
            raise bad("chat not found")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.muted_chats:
            raise bad("not enough rights to send text messages to the chat")

    # -- JSON shapes -----------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        if chat_id not in self.chats:
            if chat_id > 0:
                self.chats[chat_id] = {"id": chat_id, "type": "private", "first_name": "Runner"}
            else:
                self.chats[chat_id] = {"id": chat_id, "type": "group", "title": "Group"}
        return self.chats[chat_id]

    def _message_json(self, m: StoredMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": m.message_id,
            "date": m.date,
            "chat": self._chat_json(m.chat_id),
            "from": self._bot_user() if m.from_bot else m.from_user,
        }
        if m.text is not None:
            out["text"] = m.text
            if m.entities:
                out["entities"] = m.entities
        file_ids = {"file_id": f"file-{m.chat_id}-{m.message_id}",
                    "file_unique_id": f"u{m.chat_id}x{m.message_id}"}
        if m.photo is not None:
            width, height = png_size(m.photo) or (640, 480)
            out["photo"] = [
                {**file_ids, "width": width, "height": height, "file_size": len(m.photo)}
            ]
        if m.animation is not None:
            out["animation"] = {**file_ids, "width": 0, "height": 0, "duration": 0,
                                "file_name": m.file_name, "file_size": len(m.animation)}
        if m.document is not None:
            out["document"] = {**file_ids, "file_name": m.file_name,
                               "file_size": len(m.document)}
        if m.has_media:
            if m.caption is not None:
                out["caption"] = m.caption
                if m.caption_entities:
                    out["caption_entities"] = m.caption_entities
        if m.reply_markup is not None:
            out["reply_markup"] = m.reply_markup
        return out

    # -- validation ------------------------------------------------------------------------

    def _require(self, params: dict[str, Any], name: str, message: str | None = None) -> Any:
        value = params.get(name)
        if value is None or value == "":
            raise bad(message or f'parameter "{name}" is required')
        return value

    def _chat_id(self, params: dict[str, Any]) -> int:
        value = self._require(params, "chat_id", "chat_id is empty")
        return _int_value(value, "chat_id")

    def _text(
        self, params: dict[str, Any], name: str, limit: int, required: bool
    ) -> tuple[str | None, list[dict[str, Any]]]:
        raw = params.get(name)
        if raw is None or raw == "":
            if required:
                raise bad("message text is empty")
            return None, []
        if not isinstance(raw, str):
            raw = str(raw)
        mode = params.get("parse_mode")
        if mode is not None and not isinstance(mode, str):
            raise bad("unsupported parse_mode")
        plain, entities = parse_formatted(raw, mode)
        if "entities" in params and not mode and name == "text":
            entities = _json_value(params["entities"], "entities")
        if not plain.strip():
            if required:
                raise bad("message text is empty")
            return None, []
        if len(plain) > limit:
            raise bad("message is too long" if name == "text" else "message caption is too long")
        return plain, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if "reply_markup" not in params or params["reply_markup"] in (None, ""):
            return None
        markup = _json_value(params["reply_markup"], "reply_markup")
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
                return markup
            raise bad("can't parse reply keyboard markup JSON object")
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        total = 0
        for row in rows:
            if len(row) > MAX_PER_ROW:
                raise bad("too many buttons in a row")
            for button in row:
                total += 1
                self._check_button(button)
        if total > MAX_BUTTONS:
            raise bad("reply markup is too long")
        return markup

    def _check_button(self, button: Any) -> None:
        if not isinstance(button, dict):
            raise bad("can't parse inline keyboard button: object expected")
        text = button.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad("BUTTON_TEXT_INVALID")
        actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
        if len(actions) != 1:
            raise bad("can't parse inline keyboard button: exactly one action is required")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not MIN_DATA <= len(data.encode()) <= MAX_DATA:
                raise bad("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not re.match(r"(https?|tg)://\S+$", url):
                raise bad("BUTTON_URL_INVALID")

    def _edit_target(self, params: dict[str, Any]) -> StoredMessage:
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by the fake")
        if params.get("chat_id") in (None, ""):
            raise bad("chat_id is empty")
        if params.get("message_id") in (None, ""):
            raise bad("message identifier is not specified")
        chat_id = _int_value(params["chat_id"], "chat_id")
        message_id = _int_value(params["message_id"], "message_id")
        stored = self.messages.get((chat_id, message_id))
        if stored is None:
            raise bad("message to edit not found")
        if not stored.from_bot:
            raise bad("message can't be edited")
        return stored

    # -- methods ---------------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._bot_user()

    def _get_updates_placeholder(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        raise AssertionError("getUpdates is handled asynchronously")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _int_value(params.get("offset", 0) or 0, "offset")
        limit = _int_value(params.get("limit", PollingLimit.MAX_LIMIT), "limit")
        limit = max(int(PollingLimit.MIN_LIMIT), min(int(PollingLimit.MAX_LIMIT), limit))
        if self._per_poll is not None:
            limit = min(limit, self._per_poll)
        timeout = float(_int_value(params.get("timeout", 0) or 0, "timeout"))
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._wake()
        if not self._updates and not self._resend and timeout > 0 and not self._closing:
            self.waiting_polls += 1
            self._wake()
            try:
                with contextlib.suppress(TimeoutError):
                    await self.wait_until(
                        lambda: bool(self._updates or self._resend) or self._closing, timeout
                    )
            finally:
                self.waiting_polls -= 1
        again, self._resend = self._resend, []
        return (again + self._updates)[:limit]

    def _set_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if "url" not in params:
            raise bad('parameter "url" is required')
        url = str(params["url"])
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(
            rf"[A-Za-z0-9_-]{{1,{int(WebhookLimit.MAX_SECRET_TOKEN_LENGTH)}}}", str(secret)
        ):
            raise bad("bad webhook: Secret token contains unallowed characters")
        if url and not re.match(r"https?://[^/\s]+", url):
            raise bad("bad webhook: Invalid URL")
        # Real Telegram wants HTTPS on ports 443/80/88/8443; the fake allows loopback HTTP.
        if _bool_value(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self.webhook_url = url
        self.webhook_secret = str(secret) if (secret and url) else None
        return True

    def _delete_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if _bool_value(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        return True

    def _get_webhook_info(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _commands_key(self, params: dict[str, Any]) -> str:
        scope = params.get("scope")
        scope_json = json.dumps(_json_value(scope, "scope"), sort_keys=True) if scope else ""
        return f"{scope_json}|{params.get('language_code', '')}"

    def _set_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        commands = _json_value(self._require(params, "commands"), "commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > int(BotCommandLimit.MAX_COMMAND_NUMBER):
            raise bad("too many commands")
        pattern = re.compile(
            rf"[a-z0-9_]{{{int(BotCommandLimit.MIN_COMMAND)},{int(BotCommandLimit.MAX_COMMAND)}}}"
        )
        for command in commands:
            if not isinstance(command, dict):
                raise bad("can't parse BotCommand")
            if not pattern.fullmatch(str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description.strip()) <= int(BotCommandLimit.MAX_DESCRIPTION):
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self.commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _store_bot_message(self, chat_id: int, **fields: Any) -> StoredMessage:
        stored = StoredMessage(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            date=int(time.time()),
            from_bot=True,
            **fields,
        )
        self.messages[(chat_id, stored.message_id)] = stored
        return stored

    def _send_message(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        text, entities = self._text(params, "text", MAX_TEXT, required=True)
        markup = self._markup(params)
        stored = self._store_bot_message(chat_id, text=text, entities=entities, reply_markup=markup)
        return self._message_json(stored)

    def _upload(self, params: dict[str, Any], files: dict[str, bytes], name: str) -> bytes | None:
        """The uploaded bytes of file parameter ``name`` (None: a file_id or URL was given)."""
        data = files.get(name)
        ref = params.get(name)
        if data is None and isinstance(ref, str) and ref.startswith("attach://"):
            data = files.get(ref[len("attach://") :])
        if data is None:
            if isinstance(ref, str) and ref:
                return None  # a file_id or URL: accepted as is
            raise bad(f"there is no {name} in the request")
        return data

    def _send_photo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        photo = self._upload(params, files, "photo")
        if photo is None:
            photo = str(params["photo"]).encode()
        elif not (photo.startswith(b"\x89PNG\r\n\x1a\n") or photo.startswith(b"\xff\xd8\xff")):
            raise bad("IMAGE_PROCESS_FAILED")
        elif len(photo) > MAX_PHOTO_BYTES:
            raise bad("PHOTO_INVALID_DIMENSIONS: photo is larger than 10 MB")
        else:
            size = png_size(photo)
            if size is not None:
                width, height = size
                if width + height > MAX_PHOTO_SIDE_SUM:
                    raise bad("PHOTO_INVALID_DIMENSIONS")
                if max(width, height) > MAX_PHOTO_RATIO * min(width, height):
                    raise bad("PHOTO_INVALID_DIMENSIONS")
        caption, entities = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        stored = self._store_bot_message(
            chat_id, photo=photo, caption=caption, caption_entities=entities, reply_markup=markup
        )
        return self._message_json(stored)

    def _send_animation(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        data = self._upload(params, files, "animation")
        if data is None:
            data = str(params["animation"]).encode()
        elif not (data.startswith((b"GIF87a", b"GIF89a")) or data[4:8] == b"ftyp"):
            raise bad("wrong file type of the animation: not a GIF or an MP4")
        elif len(data) > MAX_FILE_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        caption, entities = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        stored = self._store_bot_message(
            chat_id, animation=data, file_name=params.get(FILENAME + "animation"),
            caption=caption, caption_entities=entities, reply_markup=markup,
        )
        return self._message_json(stored)

    def _send_document(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat_id(params)
        data = self._upload(params, files, "document")
        if data is None:
            data = str(params["document"]).encode()
        elif len(data) > MAX_FILE_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        elif not data:
            raise bad("file must be non-empty")
        name = params.get(FILENAME + "document")
        if files and not name:
            raise bad("a document needs a file name")
        caption, entities = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        stored = self._store_bot_message(
            chat_id, document=data, file_name=name, caption=caption, caption_entities=entities,
            reply_markup=markup,
        )
        return self._message_json(stored)

    def _edit_message_text(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        stored = self._edit_target(params)
        if stored.text is None:
            raise bad("there is no text in the message to edit")
        text, entities = self._text(params, "text", MAX_TEXT, required=True)
        markup = self._markup(params)
        if (text, entities, markup) == (stored.text, stored.entities, stored.reply_markup):
            raise bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        stored.text, stored.entities, stored.reply_markup = text, entities, markup
        return self._message_json(stored)

    def _edit_message_caption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        stored = self._edit_target(params)
        if not stored.has_media:
            raise bad("there is no caption in the message to edit")
        caption, entities = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        current = (stored.caption, stored.caption_entities, stored.reply_markup)
        if (caption, entities, markup) == current:
            raise bad("message is not modified")
        stored.caption, stored.caption_entities, stored.reply_markup = caption, entities, markup
        return self._message_json(stored)

    def _edit_message_reply_markup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        stored = self._edit_target(params)
        markup = self._markup(params)
        if markup == stored.reply_markup:
            raise bad("message is not modified")
        stored.reply_markup = markup
        return self._message_json(stored)

    def _answer_callback_query(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        query_id = str(self._require(params, "callback_query_id"))
        if query_id not in self._open_callbacks:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > int(
            CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
        ):
            raise bad("MESSAGE_TOO_LONG")
        del self._open_callbacks[query_id]
        return True

    def answered(self, update: dict[str, Any]) -> bool:
        """Whether the callback query of ``update`` has been answered."""
        return str(update["callback_query"]["id"]) not in self._open_callbacks


# ---------------------------------------------------------------------------------------------
# Helpers to run the real adapter against the fake (reusable by any test or bench)


def adapter_settings(server: FakeTelegram, **overrides: Any) -> Any:
    """``TelegramSettings`` pointing at ``server`` (polling unless webhook_url is given)."""
    from bot.adapters.telegram import TelegramSettings

    values: dict[str, Any] = {"token": server.token, "api_base_url": server.base_url}
    values.update(overrides)
    return TelegramSettings(**values)


@contextlib.asynccontextmanager
async def running_adapter(
    server: FakeTelegram,
    coach: CoachPort,
    *,
    rate_limits: RateLimits | str | None = "default",
    inbox: Dispatcher | None = None,
    stores: Stores | None = None,
    readiness: Readiness | None = None,
    send_budget: Any = None,
    **settings: Any,
) -> AsyncIterator[TelegramAdapter]:
    """A started ``TelegramAdapter`` for ``coach`` against ``server``; stopped on exit.

    ``rate_limits``: "default" keeps the adapter's (Telegram's) limits; ``None`` disables them.
    ``send_budget``: the overall rate shared with other adapters (processes) of the bot.
    Updates go to ``inbox`` (the real inbox dispatcher; without one, a new one on ``stores``
    or, without those, on a store in memory); the adapter answers for it.
    """
    from bot.adapters.telegram import TelegramAdapter
    from tests.support.inbox import open_inbox

    kwargs: dict[str, Any] = {"send_budget": send_budget}
    if rate_limits != "default":
        kwargs["rate_limits"] = rate_limits
    async with contextlib.AsyncExitStack() as stack:
        if inbox is None:
            inbox = await stack.enter_async_context(open_inbox(coach, stores=stores))
        adapter = TelegramAdapter(
            adapter_settings(server, **settings), coach, inbox=inbox, readiness=readiness,
            **kwargs,
        )
        inbox.senders[adapter.platform] = adapter
        await adapter.start()
        try:
            yield adapter
        finally:
            await inbox.stop(2.0)
            await adapter.stop()


StartAdapter = Callable[..., Awaitable["TelegramAdapter"]]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for the adapter's webhook server)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def texts(calls: Iterable[Call]) -> list[str]:
    return [str(c.params.get("text", c.params.get("caption", ""))) for c in calls]


# ---------------------------------------------------------------------------------------------
# A scripted CoachPort for adapter tests and benchmarks

QUESTION = "Where does it hurt **most**?"
KNEECAP = Button("Around the kneecap", "d:intake:location:1:kneecap")
OUTER = Button("Outer side", "d:intake:location:1:outer")


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


def sized_png(width: int, height: int) -> bytes:
    """A PNG header of the given size (enough for the fake's checks, not a full image)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = b"IHDR" + header
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + body + struct.pack(
        ">I", zlib.crc32(body))


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def long_text(paragraphs: int = 6, size: int = 990) -> str:
    """About 6000 characters: paragraphs of ``size`` characters separated by blank lines."""
    return "\n\n".join(
        f"Paragraph {i}: " + " ".join(["knee"] * (size // 5)) for i in range(paragraphs)
    )


class ScriptedCoach:
    """A CoachPort that answers by script and records what it was given.

    /start -> a question with two buttons; a press on one of them -> "Noted." with
    ``chosen`` set to its label (any other press -> "Moved on.", nothing chosen); "outer"
    typed -> "Noted." with ``typed_answer`` set; "long" ->
    ~6000 characters; "image" / "image long" -> a chart with a short / long text; "private"
    -> a private reply
    (even for a shared chat: the adapter must drop it); /group -> an OPEN_PRIVATE link plus a
    private reply; "boom" -> raises; "" (sticker) -> a kind note; other text -> echoed
    (echoes and other commands are public in a shared chat).
    """

    def __init__(self) -> None:
        self.seen: list[tuple[ConversationRef, Inbound]] = []
        self.changed = asyncio.Event()
        self.menu: list[tuple[str, str]] = [
            ("start", "Begin or restart"),
            ("checkin", "Daily check-in"),
            ("help", "What I can do"),
        ]

    async def wait_seen(self, count: int, within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while len(self.seen) < count:
                self.changed.clear()
                await self.changed.wait()

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        self.seen.append((ref, inbound))
        self.changed.set()
        match inbound:
            case Command(name="start"):
                return [Reply("intake.ask.location", QUESTION, buttons=((KNEECAP, OUTER),),
                              asks="choice")]
            case Command(name="group"):
                return [
                    Reply(
                        "group.open_private",
                        "Health questions are private: let's talk one to one.",
                        buttons=((Button("Open a private chat", OPEN_PRIVATE),),),
                        private=False,
                    ),
                    Reply("health.summary", "Your pain was 6/10 yesterday.", private=True),
                ]
            case Command(name=name, args=args):
                return [Reply(f"cmd.{name}", f"/{name} with {args!r}", private=not ref.shared)]
            case Press(data=data):
                label = {KNEECAP.data: KNEECAP.label, OUTER.data: OUTER.label}.get(data)
                return [Reply("ack", "Noted." if label else "Moved on.", chosen=label)]
            case Text(text="outer"):  # a typed answer to the question
                return [Reply("ack", "Noted.", typed_answer=OUTER.label)]
            case Text(text="long"):
                return [Reply("long", long_text())]
            case Text(text="image"):
                png = tiny_png()
                return [Reply("chart", "Your **week**", attachment=Picture(png, "Pain by day"))]
            case Text(text="image long"):
                png = tiny_png()
                return [Reply("chart", long_text(3, 700), attachment=Picture(png, "Pain by day"))]
            case Text(text="private"):
                return [
                    Reply("public.note", "A public note.", private=False),
                    Reply("health.secret", "Your knee answers.", private=True),
                ]
            case Text(text="boom"):
                raise RuntimeError("scripted failure")
            case Text(text=""):
                return [Reply("kind.nontext", "I can only read text for now.")]
            case Text(text=text):
                return [Reply("echo", f"You said: {text}", private=not ref.shared)]
        return []

    def text(self, key: str, **values: object) -> str:
        return key

    def command_menu(self) -> list[tuple[str, str]]:
        return list(self.menu)

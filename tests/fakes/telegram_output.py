"""The Telegram adapter with no HTTP: the real PTB ``Application``, real ``telegram.Update``
objects through the adapter's receiver and the real inbox, and an ``Output`` that records
into the fake Bot API's model.

``FakeBotApiOutput`` runs every call of the adapter's ``Output`` in-process on a
``FakeTelegram`` (``server.invoke``): the same validation, chats, messages and callback
queries as over HTTP, and the same ``calls`` / ``rejections`` / ``bot_messages`` to assert on,
with the fake's errors raised as the python-telegram-bot errors PTB would raise for them.
The server need not be started.

``OfflineRequest`` is the application's transport: it answers getMe (so
``Application.initialize()`` works) and nothing else; any other request means something
bypassed the ``Output`` and is kept in ``bypassed`` (``offline_adapter`` fails the test).

``offline_adapter(server, coach)`` gives a ``TelegramSeam``: ``await seam.push(update)`` hands
one update to the adapter (as polling does: kept by the inbox, then handled in its turn) and
returns once the inbox is idle, so a test asserts right after it, without waiting;
``seam.enqueue(update)`` returns as soon as the inbox has kept it (ordering, concurrency).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import BaseRequest, RequestData

from bot.adapters.telegram import TelegramAdapter, TelegramSettings
from bot.adapters.telegram.inbound import TgApplication
from bot.adapters.telegram.render import (
    AnimationPart,
    DocumentPart,
    Keyboard,
    PhotoPart,
    TextPart,
)
from bot.engine.ports import CoachPort
from bot.schedule.inbox import Dispatcher
from tests.fakes.telegram_api import FILENAME, ApiError, FakeTelegram
from tests.support.inbox import open_inbox


def ptb_error(exc: ApiError) -> TelegramError:
    """The error PTB raises for this Bot API answer (as ``BaseRequest._request_wrapper``)."""
    parameters = exc.parameters or {}
    if parameters.get("migrate_to_chat_id"):
        return ChatMigrated(int(parameters["migrate_to_chat_id"]))
    if parameters.get("retry_after"):
        return RetryAfter(int(parameters["retry_after"]))
    if exc.code == 403:
        return Forbidden(exc.description)
    if exc.code in (401, 404):
        return InvalidToken(exc.description)
    if exc.code == 400:
        return BadRequest(exc.description)
    if exc.code == 409:
        return Conflict(exc.description)
    return NetworkError(exc.description)


class FakeBotApiOutput:
    """The adapter's ``Output``, run in-process on ``server`` (parameters as PTB sends them:
    strings, the keyboard as its JSON)."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server

    def _call(
        self, method: str, params: dict[str, Any], files: dict[str, bytes] | None = None
    ) -> Any:
        try:
            return self.server.invoke(method, params, files)
        except ApiError as exc:
            raise ptb_error(exc) from None

    async def send_text(self, chat_id: int, part: TextPart) -> int:
        params = {"chat_id": str(chat_id), "text": part.html, "parse_mode": "HTML"}
        if part.keyboard is not None:
            params["reply_markup"] = part.keyboard.json
        return int(self._call("sendMessage", params)["message_id"])

    async def send_photo(self, chat_id: int, part: PhotoPart) -> int:
        params = {"chat_id": str(chat_id), "photo": "attach://photo"}
        if part.caption_html:
            params.update(caption=part.caption_html, parse_mode="HTML")
        if part.keyboard is not None:
            params["reply_markup"] = part.keyboard.json
        return int(self._call("sendPhoto", params, {"photo": part.png})["message_id"])

    async def send_animation(self, chat_id: int, part: AnimationPart) -> int:
        params = {"chat_id": str(chat_id), "animation": "attach://animation",
                  FILENAME + "animation": part.filename}
        if part.width and part.height:
            params.update(width=str(part.width), height=str(part.height))
        if part.caption_html:
            params.update(caption=part.caption_html, parse_mode="HTML")
        if part.keyboard is not None:
            params["reply_markup"] = part.keyboard.json
        return int(self._call("sendAnimation", params, {"animation": part.gif})["message_id"])

    async def send_document(self, chat_id: int, part: DocumentPart) -> int:
        params = {"chat_id": str(chat_id), "document": "attach://document",
                  FILENAME + "document": part.filename}
        if part.caption_html:
            params.update(caption=part.caption_html, parse_mode="HTML")
        if part.keyboard is not None:
            params["reply_markup"] = part.keyboard.json
        return int(self._call("sendDocument", params, {"document": part.data})["message_id"])

    async def edit_text(
        self, chat_id: int, message_id: int, html: str, keyboard: Keyboard | None = None
    ) -> None:
        params = {
            "chat_id": str(chat_id),
            "message_id": str(message_id),
            "text": html,
            "parse_mode": "HTML",
        }
        if keyboard is not None:
            params["reply_markup"] = keyboard.json
        self._call("editMessageText", params)

    async def edit_caption(self, chat_id: int, message_id: int, html: str) -> None:
        params = {
            "chat_id": str(chat_id),
            "message_id": str(message_id),
            "caption": html,
            "parse_mode": "HTML",
        }
        self._call("editMessageCaption", params)

    async def drop_keyboard(self, chat_id: int, message_id: int) -> None:
        self._call(
            "editMessageReplyMarkup", {"chat_id": str(chat_id), "message_id": str(message_id)}
        )

    async def answer_callback(self, query_id: str) -> None:
        self._call("answerCallbackQuery", {"callback_query_id": query_id})


class OfflineRequest(BaseRequest):
    """PTB's transport with no network: getMe is answered from ``server``; any other call
    is recorded in ``bypassed`` and answered with a 500 (PTB raises ``NetworkError``)."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self.bypassed: list[str] = []

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        if endpoint == "getMe":
            result = self.server.invoke("getMe", {})
            return 200, json.dumps({"ok": True, "result": result}).encode()
        self.bypassed.append(endpoint)
        body = {"ok": False, "error_code": 500, "description": "offline: use the Output"}
        return 500, json.dumps(body).encode()


@dataclass
class TelegramSeam:
    server: FakeTelegram
    adapter: TelegramAdapter
    app: TgApplication
    request: OfflineRequest
    inbox: Dispatcher
    slept: list[float] = field(default_factory=list)

    def update(self, data: dict[str, Any]) -> Update:
        update = Update.de_json(data, self.app.bot)
        assert update is not None
        return update

    async def push(self, data: dict[str, Any]) -> None:
        """Handle one update to the end: kept, handled, answered (the inbox is idle)."""
        await self.enqueue(data)
        await self.settle()

    async def enqueue(self, data: dict[str, Any]) -> None:
        """Hand one update to the adapter as polling would; returns once the inbox kept it."""
        await self.adapter.receiver.receive([self.update(data)])

    async def settle(self) -> None:
        """Until the inbox is idle and the press answers in flight are done."""
        await self.inbox.idle()
        await self.adapter.receiver.settle()

    async def text(self, user_id: int, text: str) -> dict[str, Any]:
        """A person writes ``text`` in their private chat with the bot; handled to the end."""
        data = self.server.make_message(chat_id=user_id, user_id=user_id, text=text)
        await self.push(data)
        return data

    async def group_text(
        self, chat_id: int, user_id: int, text: str, *, chat_type: str = "group"
    ) -> dict[str, Any]:
        data = self.server.make_message(
            chat_id=chat_id, user_id=user_id, text=text, chat_type=chat_type
        )
        await self.push(data)
        return data

    async def press(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        """A person presses the button carrying ``data`` on a message the bot sent."""
        update = self.server.make_press(
            chat_id=chat_id, message_id=message_id, data=data, user_id=user_id
        )
        await self.push(update)
        return update


@contextlib.asynccontextmanager
async def offline_adapter(
    server: FakeTelegram,
    coach: CoachPort,
    *,
    inbox_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> AsyncIterator[TelegramSeam]:
    """A ``TelegramAdapter`` attached to its real application and a real inbox (on a store
    in memory, or as ``inbox_options`` say: ``stores``, ``clock``...), with no HTTP anywhere.

    Keywords go to ``TelegramAdapter`` (``rate_limits`` is off by default: the limiter only
    paces HTTP requests). Waits are recorded in ``seam.slept`` instead of slept.
    """
    inbox_options = inbox_options or {}
    kwargs.setdefault("rate_limits", None)
    kwargs.setdefault("output", FakeBotApiOutput(server))
    async with open_inbox(coach, **inbox_options) as inbox:
        adapter = TelegramAdapter(
            TelegramSettings(token=server.token), coach, inbox=inbox, **kwargs
        )
        inbox.senders[adapter.platform] = adapter
        request = OfflineRequest(server)
        app = adapter.build_application(request=request)
        await adapter.attach(app)
        seam = TelegramSeam(server, adapter, app, request, inbox)

        async def no_sleep(seconds: float) -> None:
            seam.slept.append(seconds)

        adapter.sleep = no_sleep
        try:
            yield seam
        finally:
            await inbox.stop(2.0)
            await adapter.stop()
    assert request.bypassed == [], f"calls that bypassed the Output: {request.bypassed}"

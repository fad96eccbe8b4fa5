"""Replies out to Telegram: render, send, classify what Telegram answered, mark the choice.

Everything leaves through an ``Output`` (send a text, a photo, an animation or a document,
edit a text or a caption, drop a keyboard, answer a button press). ``BotApiOutput`` is the
production one, over PTB's ``Bot``; a test can hand the adapter another
(tests/fakes/telegram_output.py records into the fake Bot API's model without HTTP) and
drive the adapter through it. An ``Output`` raises python-telegram-bot's own errors
(``Forbidden``, ``RetryAfter``, ``BadRequest``...), which ``Outbound`` turns into typed
results:

* ``Sent(message ids)``: one id per rendered message, in order;
* ``Blocked``: Telegram refuses the chat (403: the person blocked the bot, left the group);
* ``NotPermitted``: the bot is in the chat but may not send there (400 "not enough rights":
  a group's admins restricted it);
* ``RetryAfter(seconds)``: a 429 longer than the send may wait in place (``wait``: 0 for a
  reminder, the outbox retries it later; a few seconds for the answer to a message);
* ``Unreachable``: a network error, a timeout or a 5xx (``NETWORK_BACKOFF``; a timeout is
  ambiguous, Telegram may have delivered the message, so the retry can repeat it);
* ``Failed``: anything else (a bad request, a migrated chat, a refused token), never raised.
  A refused token (401/404) is also reported to ``on_refused``: the bot cannot work at all.

A 429 is never retried inside PTB.

Progress: ``send()`` skips the messages its ``Progress`` says Telegram already has and
records each new one as soon as Telegram accepted it, before the next; with no progress
given, it keeps one per idempotency key in this process (a repeat sends only what is
missing, and nothing once complete). Telegram has no idempotency key of its own, so the one
message in flight when the process dies can arrive twice; none before it does.

Answering a press (``answering``: the envelope's note, the pressed message): before the
first reply message, the pressed message shows the choice (``mark_chosen``); done again after
a restart it changes nothing ("message is not modified" is not an error). When the engine
marked the only reply ``joins_pressed`` and it fits, one edit does both (``join_pressed``):
the pressed message shows the choice and becomes that question, with its keyboard; the edit
is recorded as that reply's message.

Privacy: a reply with ``private=True`` is never sent into a shared chat (dropped with a
warning); a send of nothing but private replies to a shared chat is ``Failed``, as on
Discord and the console.

Logging: never message text; method names and Telegram's reasons at INFO/WARNING, chat ids
at DEBUG only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.error import RetryAfter as TelegramRetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.adapters.telegram import render
from bot.adapters.telegram.capabilities import MAX_CAPTION, MAX_TEXT, PLATFORM
from bot.adapters.telegram.ratelimit import (
    PAID_FLAG,
    broadcasting,
    paid_broadcast,
    replying,
    until_recorded,
)
from bot.domain.events import ConversationRef, Reply
from bot.domain.questions import MemoryQuestions
from bot.domain.results import (
    Blocked,
    Failed,
    NotPermitted,
    RetryAfter,
    SendResult,
    Sent,
    Unreachable,
)
from bot.engine.ports import MemoryProgress, Progress, QuestionMemory

logger = logging.getLogger(__name__)


def _utf16(text: str) -> int:
    """Telegram's count of a text's characters (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2

METHODS: dict[type, str] = {
    render.TextPart: "sendMessage",
    render.PhotoPart: "sendPhoto",
    render.AnimationPart: "sendAnimation",
    render.DocumentPart: "sendDocument",
}
NETWORK_BACKOFF = 5.0
IDEMPOTENCY_MEMORY = 4096
# Telegram's 400 when a group's admins do not let the bot send ("Bad Request: not enough
# rights to send text messages to the chat"; photos and the like say so too).
NOT_ENOUGH_RIGHTS = "not enough rights"


class Output(Protocol):
    """Where the adapter's messages go. Raises python-telegram-bot's errors, as the Bot API
    would answer (``Forbidden``, ``RetryAfter``, ``BadRequest``, ``NetworkError``...)."""

    async def send_text(self, chat_id: int, part: render.TextPart) -> int:
        """sendMessage; returns the new message's id."""
        ...

    async def send_photo(self, chat_id: int, part: render.PhotoPart) -> int:
        """sendPhoto; returns the new message's id."""
        ...

    async def send_animation(self, chat_id: int, part: render.AnimationPart) -> int:
        """sendAnimation (a GIF that loops inline); returns the new message's id."""
        ...

    async def send_document(self, chat_id: int, part: render.DocumentPart) -> int:
        """sendDocument (a file to keep); returns the new message's id."""
        ...

    async def edit_text(
        self, chat_id: int, message_id: int, html: str,
        keyboard: render.Keyboard | None = None,
    ) -> None:
        """editMessageText (HTML); the keyboard goes, or becomes ``keyboard``."""
        ...

    async def edit_caption(self, chat_id: int, message_id: int, html: str) -> None:
        """editMessageCaption (HTML); the keyboard goes."""
        ...

    async def drop_keyboard(self, chat_id: int, message_id: int) -> None:
        """editMessageReplyMarkup without a markup."""
        ...

    async def answer_callback(self, query_id: str) -> None:
        """answerCallbackQuery: stops the button's spinner."""
        ...


class BotApiOutput:
    """The production ``Output``: the Bot API through PTB's ``Bot`` (and so through its
    request pipeline: defaults, the rate limiter, the transport, Telegram's errors)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, chat_id: int, part: render.TextPart) -> int:
        return await self._post_message(
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": part.html,
                "parse_mode": ParseMode.HTML,
                "reply_markup": part.keyboard.json if part.keyboard else None,
            },
        )

    async def send_photo(self, chat_id: int, part: render.PhotoPart) -> int:
        return await self._post_message(
            "sendPhoto",
            {
                "chat_id": chat_id,
                "photo": InputFile(part.png, filename=part.filename),
                "caption": part.caption_html,
                "parse_mode": ParseMode.HTML if part.caption_html else None,
                "reply_markup": part.keyboard.json if part.keyboard else None,
            },
        )

    async def send_animation(self, chat_id: int, part: render.AnimationPart) -> int:
        return await self._post_message(
            "sendAnimation",
            {
                "chat_id": chat_id,
                "animation": InputFile(part.gif, filename=part.filename),
                "width": part.width or None,
                "height": part.height or None,
                "caption": part.caption_html,
                "parse_mode": ParseMode.HTML if part.caption_html else None,
                "reply_markup": part.keyboard.json if part.keyboard else None,
            },
        )

    async def send_document(self, chat_id: int, part: render.DocumentPart) -> int:
        return await self._post_message(
            "sendDocument",
            {
                "chat_id": chat_id,
                "document": InputFile(part.data, filename=part.filename),
                "caption": part.caption_html,
                "parse_mode": ParseMode.HTML if part.caption_html else None,
                "reply_markup": part.keyboard.json if part.keyboard else None,
            },
        )

    async def _post_message(self, endpoint: str, data: dict[str, Any]) -> int:
        """Goes through PTB's request pipeline but skips turning Telegram's answer into a
        ``Message``: only the id is needed, and parsing the answer (keyboard included) was
        the largest single cost of a reply after the HTTP client (bench/telegram_updates.py).
        """
        if paid_broadcast():  # a reminder, with TELEGRAM_PAID_BROADCAST on
            data[PAID_FLAG] = True
        result = await self.bot._post(endpoint, data)
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise TelegramError(f"{endpoint}: unexpected answer from the Bot API")
        return int(result["message_id"])

    async def edit_text(
        self, chat_id: int, message_id: int, html: str,
        keyboard: render.Keyboard | None = None,
    ) -> None:
        await self._post_edit("editMessageText", {
            "chat_id": chat_id, "message_id": message_id, "text": html,
            "parse_mode": ParseMode.HTML,
            "reply_markup": keyboard.json if keyboard is not None else None,
        })

    async def edit_caption(self, chat_id: int, message_id: int, html: str) -> None:
        await self._post_edit("editMessageCaption", {
            "chat_id": chat_id, "message_id": message_id, "caption": html,
            "parse_mode": ParseMode.HTML,
        })

    async def drop_keyboard(self, chat_id: int, message_id: int) -> None:
        await self._post_edit("editMessageReplyMarkup",
                              {"chat_id": chat_id, "message_id": message_id})

    async def answer_callback(self, query_id: str) -> None:
        await self.bot._post("answerCallbackQuery", {"callback_query_id": query_id})

    async def _post_edit(self, endpoint: str, data: dict[str, Any]) -> None:
        """An edit through PTB's request pipeline (its errors included), without turning
        the edited message Telegram sends back into PTB objects: nothing reads it, and
        after one message per answer every press is an edit (bench.telegram_updates)."""
        await self.bot._post(endpoint, data)


@dataclass(frozen=True, slots=True)
class Pressed:
    """What marking a choice needs of the message whose button was pressed."""

    chat_id: int
    message_id: int
    text: str | None
    text_html: str | None
    caption: str | None
    caption_html: str | None
    has_keyboard: bool

    def note(self) -> str:
        """As an envelope's note (JSON), kept with the press until it has been answered."""
        return json.dumps(
            {"chat": self.chat_id, "message": self.message_id, "text": self.text,
             "text_html": self.text_html, "caption": self.caption,
             "caption_html": self.caption_html, "keyboard": self.has_keyboard},
            ensure_ascii=False, separators=(",", ":"),
        )

    @classmethod
    def from_note(cls, note: str) -> Pressed | None:
        """The pressed message of an envelope's note (None for anything else)."""
        try:
            data = json.loads(note)
            return cls(int(data["chat"]), int(data["message"]), data["text"],
                       data["text_html"], data["caption"], data["caption_html"],
                       bool(data["keyboard"]))
        except (ValueError, KeyError, TypeError):
            logger.warning("a pressed-message note could not be read; the choice is not shown")
            return None


def retry_seconds(exc: TelegramRetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def allowed(ref: ConversationRef, replies: Sequence[Reply]) -> list[Reply]:
    """The replies that may be shown in ``ref``: private ones never go to a shared chat."""
    if not ref.shared:
        return list(replies)
    kept = []
    for reply in replies:
        if reply.private:
            logger.warning("private reply %r for a shared chat dropped", reply.key)
            continue
        kept.append(reply)
    return kept


class Outbound:
    """Sends replies through ``output`` (``None`` until the adapter is attached)."""

    def __init__(self) -> None:
        self.output: Output | None = None
        self.username: str | None = None  # the bot's, for t.me links
        # Injected so tests can run the waiting paths without wall-clock sleeps.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        # Told when Telegram refuses the token itself (the adapter stops the process).
        self.on_refused: Callable[[str], None] | None = None
        self._memory: OrderedDict[str, MemoryProgress] = OrderedDict()
        # chat id -> the message id of the last question with buttons sent there, so an
        # answer typed instead of pressed can drop them (``Reply.typed_answer``); shared by
        # the processes of one bot when they answer in turn (``bot.store.questions``).
        self.questions: QuestionMemory = MemoryQuestions()
        # Bulk sends (``wait`` 0: reminders) carry allow_paid_broadcast (TELEGRAM_PAID_BROADCAST).
        self.paid_broadcast = False

    def _progress_for(self, idempotency_key: str) -> MemoryProgress:
        progress = self._memory.get(idempotency_key)
        if progress is None:
            progress = self._memory[idempotency_key] = MemoryProgress()
        self._memory.move_to_end(idempotency_key)
        while len(self._memory) > IDEMPOTENCY_MEMORY:
            self._memory.popitem(last=False)
        return progress

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        idempotency_key: str,
        *,
        progress: Progress | None = None,
        answering: str = "",
        wait: float = 0.0,
    ) -> SendResult:
        """Deliver ``replies``: the messages ``progress`` does not have yet, each recorded
        as Telegram accepts it. Never raises; waits in place only for a 429 within
        ``wait`` seconds in all. ``answering``: the pressed message (a note made by
        ``inbound.pressed_note``) to show the choice on first."""
        if ref.platform != PLATFORM:
            return Failed(f"not a telegram conversation: {ref.platform}")
        if self.output is None:
            return RetryAfter(NETWORK_BACKOFF, "telegram adapter not running")
        if ref.shared and replies and all(r.private for r in replies):
            logger.warning("refused %d private reply(ies) for a shared chat", len(replies))
            return Failed("refused: private replies addressed to a shared chat")
        if progress is None:
            progress = self._progress_for(idempotency_key)
        # Someone waits for an answer (the port's ``wait``: 0 for a reminder): it goes
        # before the reminders waiting for the rate limit.
        with replying() if wait > 0 else (
                broadcasting() if self.paid_broadcast else contextlib.nullcontext()):
            if answering and not progress.sent:
                pressed = Pressed.from_note(answering)
                if pressed is not None:
                    if await self.join_pressed(ref, pressed, replies, progress):
                        return Sent(tuple(progress.sent))
                    await self.mark_chosen(pressed, replies)
            elif not progress.sent and not ref.shared and ref.chat_id.lstrip("-").isdigit():
                await self.mark_typed(int(ref.chat_id), replies)
            return await self.deliver(ref, replies, progress=progress, max_wait=wait)

    async def deliver(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        *,
        progress: Progress,
        max_wait: float,
    ) -> SendResult:
        """Send the parts ``progress`` does not have yet (recording each), waiting out 429s
        while the total wait stays within ``max_wait``."""
        try:
            # A person's private chat with the bot has their user id as its chat id.
            chat_id = int(ref.chat_id or ("" if ref.shared else ref.user_id))
        except ValueError:
            return Failed("chat id is not a number")
        output = self.output
        if output is None:
            return RetryAfter(NETWORK_BACKOFF, "telegram adapter not running")
        username = self.username
        rendered = [(r, p) for r in allowed(ref, replies) for p in render.render_reply(r, username)]
        parts = [p for _, p in rendered]
        waited = 0.0
        while len(progress.sent) < len(parts):
            part = parts[len(progress.sent)]
            method = METHODS[type(part)]
            try:
                with until_recorded():
                    if isinstance(part, render.PhotoPart):
                        sent = await output.send_photo(chat_id, part)
                    elif isinstance(part, render.AnimationPart):
                        sent = await output.send_animation(chat_id, part)
                    elif isinstance(part, render.DocumentPart):
                        sent = await output.send_document(chat_id, part)
                    else:
                        sent = await output.send_text(chat_id, part)
                    await progress.record(str(sent), last=len(progress.sent) + 1 == len(parts))
                    if rendered[len(progress.sent) - 1][0].asks is not None and (
                        part.keyboard is not None
                    ):
                        await self.questions.keep(chat_id, sent)
            except TelegramRetryAfter as exc:
                seconds = retry_seconds(exc)
                if waited + seconds > max_wait:
                    logger.info("%s: retry after %.0f s (flood control)", method, seconds)
                    return RetryAfter(seconds, "flood control")
                waited += seconds
                await self.sleep(seconds)
                continue
            except Forbidden as exc:
                logger.info("%s: chat refuses the bot (%s)", method, exc.message)
                logger.debug("blocked chat %s", chat_id)
                return Blocked(exc.message)
            except ChatMigrated as exc:
                logger.warning("%s: chat moved to a supergroup", method)
                return Failed(f"chat migrated to {exc.new_chat_id}")
            except BadRequest as exc:
                logger.warning("%s refused: %s", method, exc.message)
                if NOT_ENOUGH_RIGHTS in exc.message.lower():
                    return NotPermitted(f"{method}: {exc.message}")
                return Failed(f"{method}: {exc.message}")
            except (TimedOut, NetworkError) as exc:
                logger.info("%s: Telegram unreachable (%s)", method, type(exc).__name__)
                return Unreachable(NETWORK_BACKOFF, f"network: {type(exc).__name__}")
            except InvalidToken as exc:
                logger.error("%s: the bot token was refused", method)
                if self.on_refused is not None:
                    self.on_refused(f"{method} refused the bot token")
                return Failed(f"{method}: invalid token ({type(exc).__name__})")
            except TelegramError as exc:
                logger.warning("%s failed: %s", method, exc.message)
                return Failed(f"{method}: {exc.message}")
        return Sent(tuple(progress.sent))

    async def join_pressed(
        self, ref: ConversationRef, pressed: Pressed, replies: Sequence[Reply],
        progress: Progress,
    ) -> bool:
        """One editMessageText instead of an edit and a sendMessage: when the engine marked
        the only reply to a press ``joins_pressed``, the pressed text message becomes its
        own text, "✓ <chosen>" and the reply, with the reply's keyboard, if that fits one
        message. The edit is that reply's delivery: recorded in ``progress`` as the pressed
        message's id (a repeat after a restart is "not modified", and recorded then). False
        when it does not apply or Telegram refused the edit: the caller does what it did
        before (mark the choice, send the reply)."""
        output = self.output
        kept = allowed(ref, replies)
        if output is None or len(kept) != 1 or not kept[0].joins_pressed:
            return False
        reply = kept[0]
        label = reply.chosen
        if label is None or not pressed.has_keyboard or pressed.text is None \
                or pressed.text_html is None:
            return False
        parts = render.render_reply(reply, self.username)
        if len(parts) != 1 or not isinstance(parts[0], render.TextPart):
            return False
        part = parts[0]
        shown = (_utf16(pressed.text) + render.choice_suffix_length(label)
                 + len(render.JOIN) + _utf16(render.markup_to_plain(reply.text)))
        if shown > MAX_TEXT:
            return False
        chat_id, message_id = pressed.chat_id, pressed.message_id
        html = render.with_choice(pressed.text_html, label) + render.JOIN + part.html
        try:
            with until_recorded():
                try:
                    await output.edit_text(chat_id, message_id, html, part.keyboard)
                except BadRequest as exc:
                    if "not modified" not in exc.message:  # else: done before a restart
                        raise
                await progress.record(str(message_id), last=True)
        except TelegramError as exc:
            logger.warning("editing the pressed message into the next question failed (%s);"
                           " sent as a message instead", type(exc).__name__)
            return False
        if part.keyboard is not None and reply.asks is not None:
            await self.questions.keep(chat_id, message_id)
        else:
            await self.questions.answered(chat_id, message_id)
        return True

    async def answer_press(self, query_id: str) -> None:
        """Stop the pressed button's spinner; a failure is only logged."""
        if self.output is None:
            return
        try:
            await self.output.answer_callback(query_id)
        except TelegramError as exc:
            logger.warning("answerCallbackQuery failed: %s", exc.message)

    async def mark_typed(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """When the coach took typed text as the answer to its last question
        (``Reply.typed_answer``), drop that question's buttons, as a press does."""
        if not any(r.typed_answer for r in replies):
            return
        message_id = await self.questions.take(chat_id)
        output = self.output
        if message_id is None or output is None:
            return
        try:
            await output.drop_keyboard(chat_id, message_id)
        except TelegramError as exc:
            if "not modified" not in exc.message:
                logger.warning("dropping the answered question's buttons failed: %s",
                               exc.message)

    async def mark_chosen(self, pressed: Pressed, replies: Sequence[Reply]) -> None:
        """When the coach took the press as an answer (``Reply.chosen``), edit the pressed
        message: add "✓ <chosen>" and drop its keyboard. Other presses (a menu, a stale
        question, a press that raced an earlier one) leave the message as it is."""
        label = next((r.chosen for r in replies if r.chosen), None)
        if label is not None:
            await self.questions.answered(pressed.chat_id, pressed.message_id)
        output = self.output
        if label is None or not pressed.has_keyboard or output is None:
            return
        chat_id, message_id = pressed.chat_id, pressed.message_id
        suffix = render.choice_suffix_length(label)
        try:
            if pressed.text is not None and pressed.text_html is not None and (
                len(pressed.text) + suffix <= MAX_TEXT
            ):
                await output.edit_text(
                    chat_id, message_id, render.with_choice(pressed.text_html, label)
                )
            elif pressed.caption is not None and pressed.caption_html is not None and (
                len(pressed.caption) + suffix <= MAX_CAPTION
            ):
                await output.edit_caption(
                    chat_id, message_id, render.with_choice(pressed.caption_html, label)
                )
            else:
                await output.drop_keyboard(chat_id, message_id)
        except BadRequest as exc:
            if "not modified" not in exc.message:
                logger.warning("editing the pressed message failed: %s", exc.message)
        except TelegramError as exc:
            logger.warning("editing the pressed message failed: %s", exc.message)

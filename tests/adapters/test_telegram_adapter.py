"""The real PTB Application polling the fake Bot API over HTTP, with a scripted coach: what
only the wire can prove (getMe and the command menu, long polling, the Bot API calls of
``BotApiOutput``, multipart photo uploads, a clean stop, what reaches the logs). Everything
else about updates and replies runs with no HTTP in test_telegram_seam.py."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.domain.events import Command, ConversationRef, Press, Reply
from tests.fakes.telegram_api import (
    KNEECAP,
    OUTER,
    Call,
    FakeTelegram,
    ScriptedCoach,
    StartAdapter,
)

# PTB 22 warns from inside its own RetryAfter constructor unless PTB_TIMEDELTA is set.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

USER = 4242


def keyboard(call: Call) -> list[list[dict[str, Any]]]:
    markup = call.get("reply_markup")
    assert markup is not None, "no keyboard"
    rows: list[list[dict[str, Any]]] = json.loads(markup)["inline_keyboard"]
    return rows


async def test_start_sets_the_command_menu(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    (call,) = tg_server.calls_to("setMyCommands")
    assert json.loads(call["commands"]) == [
        {"command": c, "description": d} for c, d in tg_coach.menu
    ]
    assert tg_adapter.bot_username == tg_server.bot_username
    assert tg_adapter.running


async def test_polling_message_reaches_coach_and_reply_is_sent(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.inject_private_text(USER, "/start")
    (call,) = await tg_server.wait_for_calls("sendMessage")

    assert tg_coach.seen == [
        (ConversationRef("telegram", str(USER), str(USER), shared=False), Command("start"))
    ]
    assert call["chat_id"] == str(USER)
    assert call["parse_mode"] == "HTML"
    assert call["text"] == "Where does it hurt <b>most</b>?"
    assert keyboard(call) == [
        [
            {"text": KNEECAP.label, "callback_data": KNEECAP.data},
            {"text": OUTER.label, "callback_data": OUTER.data},
        ]
    ]
    (shown,) = tg_server.bot_messages(USER)
    assert shown.text == "Where does it hurt most?"
    assert shown.entities == [{"type": "bold", "offset": 19, "length": 4}]


async def test_press_is_answered_and_message_edited_without_keyboard(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.inject_private_text(USER, "/start")
    await tg_server.wait_for_calls("sendMessage")
    (question,) = tg_server.bot_messages(USER)

    press = tg_server.inject_press(USER, question.message_id, OUTER.data)
    await tg_server.wait_for_calls("sendMessage", 2)

    assert tg_server.answered(press)
    assert len(tg_server.calls_to("answerCallbackQuery")) == 1
    (edit,) = tg_server.calls_to("editMessageText")
    assert "reply_markup" not in edit.params
    edited = tg_server.message(USER, question.message_id)
    assert edited.text == "Where does it hurt most?\n\n✓ Outer side"
    assert edited.reply_markup is None
    assert {"type": "bold", "offset": 19, "length": 4} in edited.entities
    assert tg_coach.seen[-1] == (
        ConversationRef("telegram", str(USER), str(USER), shared=False),
        Press(OUTER.data),
    )
    # The edit happens before the coach's answer is sent.
    methods = tg_server.methods()
    assert methods.index("editMessageText") < len(methods) - 1
    assert tg_server.calls_to("sendMessage")[-1]["text"] == "Noted."


async def test_image_is_sent_as_photo_with_caption(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.inject_private_text(USER, "image")
    (call,) = await tg_server.wait_for_calls("sendPhoto")

    assert call.files["photo"].startswith(b"\x89PNG")
    assert call["caption"] == "Your <b>week</b>"
    assert call["parse_mode"] == "HTML"
    assert tg_server.calls_to("sendMessage") == []


async def test_stop_is_clean_and_idempotent(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    adapter = await tg_start_adapter(tg_coach)
    update = tg_server.inject_private_text(USER, "hello")
    await tg_server.wait_for_calls("sendMessage")
    await adapter.stop()
    await adapter.stop()
    assert not adapter.running
    # The last getUpdates confirmed what the inbox kept (offset) with timeout 0.
    last = tg_server.calls_to("getUpdates")[-1]
    assert last["timeout"] == "0"
    assert int(last["offset"]) == update["update_id"] + 1
    assert tg_server.pending_updates() == []


async def test_token_and_user_text_never_logged(
    tg_server: FakeTelegram,
    tg_start_adapter: StartAdapter,
    tg_coach: ScriptedCoach,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = await tg_start_adapter(tg_coach, rate_limits=RateLimits(per_chat_burst=50))
    secret_story = "my left knee clicks since the marathon"
    tg_server.inject_private_text(USER, secret_story)
    tg_server.inject_private_text(USER, "/start")
    await tg_server.wait_for_calls("sendMessage", 2)
    question = tg_server.bot_messages(USER)[-1]
    tg_server.inject_press(USER, question.message_id, KNEECAP.data)
    await tg_server.wait_for_calls("sendMessage", 3)
    tg_server.blocked_chats.add(99)
    await adapter.send(ConversationRef("telegram", "99", "99"), [Reply("k", secret_story)], "key-1")
    await adapter.stop()

    token_secret = tg_server.token.split(":", 1)[1]
    assert caplog.records, "expected some logging"
    for record in caplog.records:
        message = record.getMessage()
        assert token_secret not in message, record.name
        if record.exc_text:
            assert token_secret not in record.exc_text
        if record.levelno >= logging.INFO:
            assert "marathon" not in message, record.name
            assert "Around the kneecap" not in message, record.name

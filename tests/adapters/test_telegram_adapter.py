"""The real PTB Application, polling the fake Bot API, with a scripted coach."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.domain.events import Command, ConversationRef, Inbound, Press, Reply, Text
from tests.fakes.telegram_api import (
    KNEECAP,
    OUTER,
    Call,
    FakeTelegram,
    ScriptedCoach,
    StartAdapter,
    long_text,
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


async def test_user_text_is_escaped(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.inject_private_text(USER, "<b>x</b> & 5<6")
    (call,) = await tg_server.wait_for_calls("sendMessage")

    assert tg_coach.seen[0][1] == Text("<b>x</b> & 5<6")
    assert call["text"] == "You said: &lt;b&gt;x&lt;/b&gt; &amp; 5&lt;6"
    (shown,) = tg_server.bot_messages(USER)
    assert shown.text == "You said: <b>x</b> & 5<6"
    assert shown.entities == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/start knee", Command("start", "knee")),
        ("/CheckIn@kneecoach_test_bot  7 of 10 ", Command("checkin", "7 of 10")),
        ("/help", Command("help")),
        ("/ not a command", Text("/ not a command")),
        ("/knee/hurts", Text("/knee/hurts")),
    ],
)
async def test_commands_and_deep_link_payload(
    tg_server: FakeTelegram,
    tg_adapter: TelegramAdapter,
    tg_coach: ScriptedCoach,
    typed: str,
    expected: Command | Text,
) -> None:
    tg_server.inject_private_text(USER, typed)
    await tg_coach.wait_seen(1)
    assert tg_coach.seen[0][1] == expected


async def test_sticker_becomes_empty_text(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.inject_sticker(USER)
    (call,) = await tg_server.wait_for_calls("sendMessage")
    assert tg_coach.seen[0][1] == Text("")
    assert call["text"] == "I can only read text for now."


async def test_photo_caption_is_the_text(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}]
    update = tg_server.make_message(
        chat_id=USER, user_id=USER, extra={"photo": photo, "caption": "my knee is swollen"}
    )
    tg_server.enqueue(update)
    await tg_coach.wait_seen(1)
    assert tg_coach.seen[0][1] == Text("my knee is swollen")


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


async def test_second_press_on_an_old_message_is_answered_and_passed_on(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.inject_private_text(USER, "/start")
    await tg_server.wait_for_calls("sendMessage")
    (question,) = tg_server.bot_messages(USER)
    tg_server.inject_press(USER, question.message_id, OUTER.data)
    await tg_server.wait_for_calls("sendMessage", 2)

    # A press that raced the edit: the keyboard is gone, nothing to edit, the coach decides.
    late = tg_server.inject_press(USER, question.message_id, KNEECAP.data)
    await tg_server.wait_for_calls("sendMessage", 3)
    assert tg_server.answered(late)
    assert len(tg_server.calls_to("editMessageText")) == 1
    assert tg_server.rejections == []
    assert tg_coach.seen[-1][1] == Press(KNEECAP.data)


async def test_a_press_the_coach_does_not_take_leaves_the_message_alone(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.inject_private_text(USER, "/start")
    await tg_server.wait_for_calls("sendMessage")
    (question,) = tg_server.bot_messages(USER)

    # A menu button, a stale question...: the coach sets no ``chosen``, so no "✓" and the
    # keyboard stays (the coach's reply says what happened).
    press = tg_server.inject_press(USER, question.message_id, "a:ex:clamshell")
    await tg_server.wait_for_calls("sendMessage", 2)

    assert tg_server.answered(press)
    assert tg_server.calls_to("sendMessage")[-1]["text"] == "Moved on."
    assert not [m for m in tg_server.methods() if m.startswith("edit")]
    assert tg_server.message(USER, question.message_id).reply_markup is not None


async def test_long_text_is_split_at_paragraphs(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.inject_private_text(USER, "long")
    calls = await tg_server.wait_for_calls("sendMessage", 2)

    original = long_text()
    paragraphs = original.split("\n\n")
    sent = [c["text"] for c in calls]
    assert len(sent) == 2
    assert all(len(t) <= 4096 for t in sent)
    assert "\n\n".join(sent) == original
    for text in sent:  # every chunk is made of whole paragraphs
        assert all(p in paragraphs for p in text.split("\n\n"))
    assert tg_server.rejections == []


async def test_image_is_sent_as_photo_with_caption(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.inject_private_text(USER, "image")
    (call,) = await tg_server.wait_for_calls("sendPhoto")

    assert call.files["photo"].startswith(b"\x89PNG")
    assert call["caption"] == "Your <b>week</b>"
    assert call["parse_mode"] == "HTML"
    assert tg_server.calls_to("sendMessage") == []


async def test_long_text_with_image_follows_the_photo(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.inject_private_text(USER, "image long")
    await tg_server.wait_for_calls("sendMessage")
    (photo,) = tg_server.calls_to("sendPhoto")
    assert photo["caption"] == "Pain by day"
    assert tg_server.methods().index("sendPhoto") < tg_server.methods().index("sendMessage")
    assert tg_server.calls_to("sendMessage")[0]["text"] == long_text(3, 700)


async def test_group_message_gets_deep_link_and_no_private_reply(
    tg_server: FakeTelegram,
    tg_adapter: TelegramAdapter,
    tg_coach: ScriptedCoach,
    caplog: pytest.LogCaptureFixture,
) -> None:
    group = -1001234567
    tg_server.inject_group_text(group, USER, "/group@kneecoach_test_bot", chat_type="supergroup")
    (call,) = await tg_server.wait_for_calls("sendMessage")

    assert tg_coach.seen[0][0] == ConversationRef("telegram", str(USER), str(group), shared=True)
    assert call["chat_id"] == str(group)
    assert keyboard(call) == [
        [
            {
                "text": "Open a private chat",
                "url": "https://t.me/kneecoach_test_bot?start=knee",
            }
        ]
    ]
    # Only the public reply went out; the health one was dropped with a warning.
    tg_server.inject_group_text(group, USER, "hello")
    await tg_server.wait_for_calls("sendMessage", 2)
    assert [c["text"] for c in tg_server.calls_to("sendMessage")][-1] == "You said: hello"
    assert all("6/10" not in c.get("text", "") for c in tg_server.calls)
    assert "health.summary" in caplog.text


async def test_private_reply_never_goes_to_a_group(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.inject_group_text(-500, USER, "private")
    await tg_server.wait_for_calls("sendMessage")
    tg_server.inject_group_text(-500, USER, "after")
    calls = await tg_server.wait_for_calls("sendMessage", 2)
    assert [c["text"] for c in calls] == ["A public note.", "You said: after"]


async def test_private_chat_gets_private_replies(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.inject_private_text(USER, "private")
    calls = await tg_server.wait_for_calls("sendMessage", 2)
    assert [c["text"] for c in calls] == ["A public note.", "Your knee answers."]


async def test_command_for_another_bot_is_ignored(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.inject_group_text(-500, USER, "/start@some_other_bot")
    tg_server.inject_group_text(-500, USER, "/help")
    await tg_coach.wait_seen(1)
    await tg_server.wait_for_calls("sendMessage")
    assert [inbound for _, inbound in tg_coach.seen] == [Command("help")]


async def test_service_and_bot_messages_are_ignored(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, tg_coach: ScriptedCoach
) -> None:
    joined = {"new_chat_members": [{"id": 7, "is_bot": False, "first_name": "New"}]}
    tg_server.enqueue(tg_server.make_message(chat_id=-500, user_id=USER, extra=joined))
    from_bot = tg_server.make_message(chat_id=-500, user_id=77, text="beep")
    from_bot["message"]["from"]["is_bot"] = True
    tg_server.enqueue(from_bot)
    tg_server.inject_private_text(USER, "marker")
    await tg_coach.wait_seen(1)
    await tg_server.wait_for_calls("sendMessage")
    assert [inbound for _, inbound in tg_coach.seen] == [Text("marker")]


async def test_one_chat_is_handled_in_order(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    for n in range(5):
        tg_server.inject_private_text(USER, f"message {n}")
    calls = await tg_server.wait_for_calls("sendMessage", 5)
    assert [c["text"] for c in calls] == [f"You said: message {n}" for n in range(5)]


async def test_coach_error_is_logged_and_adapter_keeps_going(
    tg_server: FakeTelegram,
    tg_adapter: TelegramAdapter,
    tg_coach: ScriptedCoach,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tg_server.inject_private_text(USER, "boom")
    tg_server.inject_private_text(USER, "still there?")
    (call,) = await tg_server.wait_for_calls("sendMessage")
    assert call["text"] == "You said: still there?"
    assert "RuntimeError" in caplog.text


async def test_interactive_reply_waits_out_a_short_flood(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    tg_adapter.sleep = fake_sleep
    tg_server.fail_next("sendMessage", retry_after=3)
    tg_server.inject_private_text(USER, "hello")
    (call,) = await tg_server.wait_for_calls("sendMessage")
    assert call["text"] == "You said: hello"
    assert slept == [3.0]


async def test_interactive_reply_gives_up_on_a_long_flood(
    tg_server: FakeTelegram,
    tg_adapter: TelegramAdapter,
    tg_coach: ScriptedCoach,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    tg_adapter.sleep = fake_sleep
    tg_server.fail_next("sendMessage", retry_after=120)
    tg_server.inject_private_text(USER, "first")
    tg_server.inject_private_text(USER, "second")
    (call,) = await tg_server.wait_for_calls("sendMessage")
    assert call["text"] == "You said: second"
    assert slept == []
    assert "reply not delivered" in caplog.text


async def test_stop_is_clean_and_idempotent(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    adapter = await tg_start_adapter(tg_coach)
    await adapter.stop()
    await adapter.stop()
    assert not adapter.running
    # The last getUpdates confirmed what was fetched (offset) with timeout 0.
    assert tg_server.calls_to("getUpdates")[-1]["timeout"] == "0"


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


class WaitingCoach(ScriptedCoach):
    """User 1's message waits until user 2's has been handled."""

    def __init__(self) -> None:
        super().__init__()
        self.second_seen = asyncio.Event()

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        if ref.user_id == "1":
            async with asyncio.timeout(5):
                await self.second_seen.wait()
        else:
            self.second_seen.set()
        return await super().handle(ref, inbound)


async def test_different_chats_are_handled_concurrently(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter
) -> None:
    coach = WaitingCoach()
    await tg_start_adapter(coach, rate_limits=None)
    tg_server.inject_private_text(1, "first")
    tg_server.inject_private_text(2, "second")
    calls = await tg_server.wait_for_calls("sendMessage", 2)
    assert [c["text"] for c in calls] == ["You said: second", "You said: first"]

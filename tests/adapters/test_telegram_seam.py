"""The real PTB Application and the adapter's handlers, with no HTTP: real ``telegram.Update``
objects go through ``application.process_update`` (or its update queue) and every message
goes out through the ``Output`` seam into the fake Bot API's model (tests/fakes/
telegram_output.py). What needs HTTP (polling, the webhook, the transport, the rate
limiter, Telegram's errors on the wire) stays in test_telegram_adapter.py and its
neighbours, against the fake Bot API server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.telegram.render import TextPart
from bot.domain.clock import FakeClock
from bot.domain.events import Command, ConversationRef, Picture, Press, Reply, Text
from bot.domain.questions import MemoryQuestions
from bot.domain.results import Sent
from tests.fakes.telegram_api import (
    KNEECAP,
    OUTER,
    Call,
    FakeTelegram,
    ScriptedCoach,
    long_text,
    tiny_png,
)
from tests.fakes.telegram_output import FakeBotApiOutput, TelegramSeam, offline_adapter

# PTB 22 warns from inside its own RetryAfter constructor unless PTB_TIMEDELTA is set.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

USER = 4242
PRIVATE = ConversationRef("telegram", str(USER), str(USER))


@pytest.fixture
def server() -> FakeTelegram:
    """The fake Bot API's model, never started: nothing listens, nothing is fetched."""
    return FakeTelegram()


@pytest.fixture
async def seam(server: FakeTelegram, tg_coach: ScriptedCoach) -> AsyncIterator[TelegramSeam]:
    async with offline_adapter(server, tg_coach) as seam:
        yield seam


def keyboard(call: Call) -> list[list[dict[str, Any]]]:
    markup = call.get("reply_markup")
    assert markup is not None, "no keyboard"
    rows: list[list[dict[str, Any]]] = json.loads(markup)["inline_keyboard"]
    return rows


async def test_a_message_reaches_the_coach_and_the_reply_is_sent(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    await seam.text(USER, "/start")

    assert tg_coach.seen == [
        (ConversationRef("telegram", str(USER), str(USER), shared=False), Command("start"))
    ]
    (call,) = server.calls_to("sendMessage")
    assert call["chat_id"] == str(USER)
    assert call["parse_mode"] == "HTML"
    assert call["text"] == "Where does it hurt <b>most</b>?"
    assert keyboard(call) == [
        [
            {"text": KNEECAP.label, "callback_data": KNEECAP.data},
            {"text": OUTER.label, "callback_data": OUTER.data},
        ]
    ]
    (shown,) = server.bot_messages(USER)
    assert shown.text == "Where does it hurt most?"
    assert shown.entities == [{"type": "bold", "offset": 19, "length": 4}]


async def test_user_text_is_escaped(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    await seam.text(USER, "<b>x</b> & 5<6")

    assert tg_coach.seen[0][1] == Text("<b>x</b> & 5<6")
    (call,) = server.calls_to("sendMessage")
    assert call["text"] == "You said: &lt;b&gt;x&lt;/b&gt; &amp; 5&lt;6"
    (shown,) = server.bot_messages(USER)
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
    seam: TelegramSeam, tg_coach: ScriptedCoach, typed: str, expected: Command | Text
) -> None:
    await seam.text(USER, typed)
    assert tg_coach.seen[0][1] == expected


async def test_sticker_becomes_empty_text(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    await seam.push(server.make_sticker(USER))
    assert tg_coach.seen[0][1] == Text("")
    (call,) = server.calls_to("sendMessage")
    assert call["text"] == "I can only read text for now."


async def test_photo_caption_is_the_text(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}]
    update = server.make_message(
        chat_id=USER, user_id=USER, extra={"photo": photo, "caption": "my knee is swollen"}
    )
    await seam.push(update)
    assert tg_coach.seen[0][1] == Text("my knee is swollen")


async def test_press_is_answered_and_message_edited_without_keyboard(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    await seam.text(USER, "/start")
    (question,) = server.bot_messages(USER)

    press = await seam.press(USER, question.message_id, OUTER.data)

    assert server.answered(press)
    assert len(server.calls_to("answerCallbackQuery")) == 1
    (edit,) = server.calls_to("editMessageText")
    assert "reply_markup" not in edit.params
    edited = server.message(USER, question.message_id)
    assert edited.text == "Where does it hurt most?\n\n✓ Outer side"
    assert edited.reply_markup is None
    assert {"type": "bold", "offset": 19, "length": 4} in edited.entities
    assert tg_coach.seen[-1] == (
        ConversationRef("telegram", str(USER), str(USER), shared=False),
        Press(OUTER.data),
    )
    # The press is answered first, then the edit, then the coach's answer is sent.
    assert server.methods()[-3:] == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    assert server.calls_to("sendMessage")[-1]["text"] == "Noted."


async def test_a_typed_answer_drops_the_questions_keyboard(
    server: FakeTelegram, seam: TelegramSeam
) -> None:
    await seam.text(USER, "/start")
    (question,) = server.bot_messages(USER)
    assert server.message(USER, question.message_id).reply_markup is not None

    await seam.text(USER, "outer")

    assert server.message(USER, question.message_id).reply_markup is None
    assert server.methods()[-2:] == ["editMessageReplyMarkup", "sendMessage"]
    # an echo afterwards (nothing answered) edits nothing more
    await seam.text(USER, "hello")
    assert server.methods()[-1] == "sendMessage"
    assert server.methods().count("editMessageReplyMarkup") == 1


async def test_a_chosen_answer_under_a_photo_edits_the_caption(
    server: FakeTelegram, seam: TelegramSeam
) -> None:
    chart = Reply(
        "chart", "Your **week**", attachment=Picture(tiny_png(), "Pain by day"),
        buttons=((KNEECAP,),)
    )
    assert isinstance(await seam.adapter.send(PRIVATE, [chart], "chart:1"), Sent)
    (photo,) = server.bot_messages(USER)

    await seam.press(USER, photo.message_id, KNEECAP.data)

    edited = server.message(USER, photo.message_id)
    assert edited.caption == "Your week\n\n✓ Around the kneecap"
    assert {"type": "bold", "offset": 5, "length": 4} in edited.caption_entities
    assert edited.reply_markup is None
    assert server.calls_to("sendMessage")[-1]["text"] == "Noted."


async def test_second_press_on_an_old_message_is_answered_and_passed_on(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    await seam.text(USER, "/start")
    (question,) = server.bot_messages(USER)
    await seam.press(USER, question.message_id, OUTER.data)

    # A press that raced the edit: the keyboard is gone, nothing to edit, the coach decides.
    late = await seam.press(USER, question.message_id, KNEECAP.data)
    assert server.answered(late)
    assert len(server.calls_to("editMessageText")) == 1
    assert server.rejections == []
    assert tg_coach.seen[-1][1] == Press(KNEECAP.data)


async def test_a_press_the_coach_does_not_take_leaves_the_message_alone(
    server: FakeTelegram, seam: TelegramSeam
) -> None:
    await seam.text(USER, "/start")
    (question,) = server.bot_messages(USER)

    # A menu button, a stale question...: the coach sets no ``chosen``, so no "✓" and the
    # keyboard stays (the coach's reply says what happened).
    press = await seam.press(USER, question.message_id, "a:ex:clamshell")

    assert server.answered(press)
    assert server.calls_to("sendMessage")[-1]["text"] == "Moved on."
    assert not [m for m in server.methods() if m.startswith("edit")]
    assert server.message(USER, question.message_id).reply_markup is not None


async def test_long_text_is_split_at_paragraphs(server: FakeTelegram, seam: TelegramSeam) -> None:
    await seam.text(USER, "long")

    original = long_text()
    paragraphs = original.split("\n\n")
    sent = [c["text"] for c in server.calls_to("sendMessage")]
    assert len(sent) == 2
    assert all(len(t) <= 4096 for t in sent)
    assert "\n\n".join(sent) == original
    for text in sent:  # every chunk is made of whole paragraphs
        assert all(p in paragraphs for p in text.split("\n\n"))
    assert server.rejections == []


async def test_image_is_sent_as_photo_with_caption(
    server: FakeTelegram, seam: TelegramSeam
) -> None:
    await seam.text(USER, "image")

    (call,) = server.calls_to("sendPhoto")
    assert call.files["photo"].startswith(b"\x89PNG")
    assert call["caption"] == "Your <b>week</b>"
    assert call["parse_mode"] == "HTML"
    assert server.calls_to("sendMessage") == []


async def test_long_text_with_image_follows_the_photo(
    server: FakeTelegram, seam: TelegramSeam
) -> None:
    await seam.text(USER, "image long")

    (photo,) = server.calls_to("sendPhoto")
    assert photo["caption"] == "Pain by day"
    assert server.methods().index("sendPhoto") < server.methods().index("sendMessage")
    assert server.calls_to("sendMessage")[0]["text"] == long_text(3, 700)


async def test_group_message_gets_deep_link_and_no_private_reply(
    server: FakeTelegram,
    seam: TelegramSeam,
    tg_coach: ScriptedCoach,
    caplog: pytest.LogCaptureFixture,
) -> None:
    group = -1001234567
    await seam.group_text(group, USER, "/group@kneecoach_test_bot", chat_type="supergroup")

    assert tg_coach.seen[0][0] == ConversationRef("telegram", str(USER), str(group), shared=True)
    (call,) = server.calls_to("sendMessage")
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
    await seam.group_text(group, USER, "hello")
    assert [c["text"] for c in server.calls_to("sendMessage")][-1] == "You said: hello"
    assert all("6/10" not in c.get("text", "") for c in server.calls)
    assert "health.summary" in caplog.text


async def test_private_reply_never_goes_to_a_group(
    server: FakeTelegram, seam: TelegramSeam
) -> None:
    await seam.group_text(-500, USER, "private")
    await seam.group_text(-500, USER, "after")
    texts = [c["text"] for c in server.calls_to("sendMessage")]
    assert texts == ["A public note.", "You said: after"]


async def test_private_chat_gets_private_replies(server: FakeTelegram, seam: TelegramSeam) -> None:
    await seam.text(USER, "private")
    texts = [c["text"] for c in server.calls_to("sendMessage")]
    assert texts == ["A public note.", "Your knee answers."]


async def test_command_for_another_bot_is_ignored(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    await seam.group_text(-500, USER, "/start@some_other_bot")
    await seam.group_text(-500, USER, "/help")
    assert [inbound for _, inbound in tg_coach.seen] == [Command("help")]
    assert len(server.calls_to("sendMessage")) == 1


async def test_service_and_bot_messages_are_ignored(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    joined = {"new_chat_members": [{"id": 7, "is_bot": False, "first_name": "New"}]}
    await seam.push(server.make_message(chat_id=-500, user_id=USER, extra=joined))
    from_bot = server.make_message(chat_id=-500, user_id=77, text="beep")
    from_bot["message"]["from"]["is_bot"] = True
    await seam.push(from_bot)
    await seam.text(USER, "marker")
    assert [inbound for _, inbound in tg_coach.seen] == [Text("marker")]
    assert len(server.calls_to("sendMessage")) == 1


async def test_coach_error_is_logged_and_adapter_keeps_going(
    server: FakeTelegram,
    seam: TelegramSeam,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seam.text(USER, "boom")
    await seam.text(USER, "still there?")
    (call,) = server.calls_to("sendMessage")
    assert call["text"] == "You said: still there?"
    assert "RuntimeError" in caplog.text


async def test_interactive_reply_waits_out_a_short_flood(
    server: FakeTelegram, seam: TelegramSeam
) -> None:
    server.fail_next("sendMessage", retry_after=3)
    await seam.text(USER, "hello")
    (call,) = server.calls_to("sendMessage")
    assert call["text"] == "You said: hello"
    assert seam.slept == [3.0]


async def test_a_long_flood_pauses_the_answer_and_nothing_overtakes_it(
    server: FakeTelegram, tg_coach: ScriptedCoach
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    async with offline_adapter(server, tg_coach, inbox_options={"clock": clock}) as seam:
        server.fail_next("sendMessage", retry_after=120)
        await seam.text(USER, "first")
        await seam.text(USER, "second")
        # Not dropped: the answer waits for the flood to pass, and the person's next
        # message waits behind it.
        assert server.calls_to("sendMessage") == []
        assert seam.slept == []
        assert [i for _, i in tg_coach.seen] == [Text("first")]

        clock.advance(timedelta(seconds=119))
        assert seam.inbox.wake(clock.now()) == 0
        clock.advance(timedelta(seconds=2))
        assert seam.inbox.wake(clock.now()) == 1
        await seam.settle()

    assert [c["text"] for c in server.calls_to("sendMessage")] == [
        "You said: first", "You said: second",
    ]


async def test_a_blocked_chat_gets_nothing_and_the_next_update_is_handled(
    server: FakeTelegram, seam: TelegramSeam, tg_coach: ScriptedCoach
) -> None:
    server.blocked_chats.add(USER)
    await seam.text(USER, "hello")
    server.blocked_chats.discard(USER)
    await seam.text(USER, "again")
    assert [c["text"] for c in server.calls_to("sendMessage")] == ["You said: again"]
    assert len(tg_coach.seen) == 2


# --------------------------------------------------------------------------- the update queue


async def test_one_chat_is_handled_in_order(server: FakeTelegram, seam: TelegramSeam) -> None:
    for n in range(5):
        await seam.enqueue(server.make_message(chat_id=USER, user_id=USER, text=f"message {n}"))
    calls = await server.wait_for_calls("sendMessage", 5)
    assert [c["text"] for c in calls] == [f"You said: message {n}" for n in range(5)]


class SlowChatOutput(FakeBotApiOutput):
    """Chat 1's messages wait until chat 2 has been sent one."""

    def __init__(self, server: FakeTelegram) -> None:
        super().__init__(server)
        self.second_sent = asyncio.Event()

    async def send_text(self, chat_id: int, part: TextPart) -> int:
        if chat_id == 1:
            async with asyncio.timeout(5):
                await self.second_sent.wait()
        sent = await super().send_text(chat_id, part)
        if chat_id == 2:
            self.second_sent.set()
        return sent


async def test_a_slow_chat_does_not_hold_up_another(server: FakeTelegram) -> None:
    async with offline_adapter(server, ScriptedCoach(), output=SlowChatOutput(server)) as seam:
        await seam.enqueue(server.make_message(chat_id=1, user_id=1, text="first"))
        await seam.enqueue(server.make_message(chat_id=2, user_id=2, text="second"))
        calls = await server.wait_for_calls("sendMessage", 2)
    assert [c["text"] for c in calls] == ["You said: second", "You said: first"]


async def test_a_typed_answer_drops_the_buttons_another_process_sent(
    server: FakeTelegram, tg_coach: ScriptedCoach
) -> None:
    """Two processes of one bot share the open questions (on PostgreSQL, the store's; here
    one memory both hold): the answer typed to the question one sent, taken by the other,
    still drops its buttons."""
    shared = MemoryQuestions()
    async with offline_adapter(server, tg_coach, questions=shared) as asker, \
            offline_adapter(server, tg_coach, questions=shared) as answerer:
        await asker.text(USER, "/start")
        (question,) = server.bot_messages(USER)
        await answerer.text(USER, "outer")
        assert server.message(USER, question.message_id).reply_markup is None
        assert server.methods()[-2:] == ["editMessageReplyMarkup", "sendMessage"]
    # with a memory each, the other process could not know of the question
    async with offline_adapter(server, tg_coach) as asker, \
            offline_adapter(server, tg_coach) as answerer:
        await asker.text(USER, "/start")
        second = server.bot_messages(USER)[-1]
        await answerer.text(USER, "outer")
        assert server.message(USER, second.message_id).reply_markup is not None

"""Fewer calls per message (issue 12 item 3): the exact calls each platform gets for one step
of a conversation, against the fakes.

Telegram: the real coach, the real adapter and inbox, with no HTTP (the ``Output`` seam into
the fake Bot API's model, tests/fakes/telegram_output.py): a press answered by one question
is one editMessageText carrying the next question's keyboard (plus the press's
answerCallbackQuery), a typed answer after that drops the edited message's keyboard, and a
restart that repeats the edit doubles nothing. Discord: the real adapter on the fake
Discord with a scripted coach: the press is a defer and one edit of the pressed message
with the next question's buttons, or, when that would not fit, the edit and a post as
before.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.capabilities import MAX_CONTENT
from bot.adapters.telegram.render import Keyboard
from bot.domain.clock import SystemClock
from bot.domain.events import Button, ConversationRef, Inbound, Press, Reply, Text
from bot.domain.results import Sent
from bot.engine.coach import Coach
from bot.engine.ports import MemoryProgress
from bot.schedule.inbox import Dispatcher
from tests.adapters.discord_conftest import (
    DcCoach,
    DcWorld,
    dc_adapter,
    dc_coach,
    dc_fake,
    dc_settings,
    dc_world,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram, StoredMessage
from tests.fakes.telegram_output import FakeBotApiOutput, TelegramSeam, offline_adapter
from tests.support.content import open_test_coach

__all__ = ["dc_adapter", "dc_coach", "dc_fake", "dc_settings", "dc_world"]  # fixtures

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

USER = 5151
REF = ConversationRef("telegram", str(USER), str(USER))


# --------------------------------------------------------------------------- Telegram


@pytest.fixture
async def coach(tmp_path: Path) -> AsyncIterator[Coach]:
    coach = await open_test_coach(tmp_path / "k.db")
    try:
        yield coach
    finally:
        await coach.close()


@pytest.fixture
async def seam(coach: Coach) -> AsyncIterator[TelegramSeam]:
    server = FakeTelegram()
    async with offline_adapter(server, coach, inbox_options={"stores": coach.stores}) as seam:
        yield seam


def buttons(message: StoredMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def data_of(message: StoredMessage, label: str) -> str:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return next(str(b["callback_data"]) for row in rows for b in row if b["text"] == label)


def methods(seam: TelegramSeam, since: int) -> list[str]:
    return sorted(c.method for c in seam.server.calls[since:])


async def test_a_press_answered_by_one_question_is_one_edit_on_telegram(
    seam: TelegramSeam,
) -> None:
    server = seam.server
    first = len(server.calls)
    await seam.text(USER, "/start")
    # The welcome and the consent question: one message, the question's buttons on it.
    assert methods(seam, first) == ["sendMessage"]
    (consent,) = server.bot_messages(USER)
    assert consent.text is not None and consent.text.startswith("Hi, I'm Kneecoach")
    assert buttons(consent) == ["I agree", "No thanks"]

    first = len(server.calls)
    await seam.press(USER, consent.message_id, data_of(consent, "I agree"))
    # The spinner stopped, and the pressed message became the next question: no new message.
    assert methods(seam, first) == ["answerCallbackQuery", "editMessageText"]
    edit = next(c for c in server.calls[first:] if c.method == "editMessageText")
    assert json.loads(edit["reply_markup"])["inline_keyboard"][0][0]["text"] == "Under 13"
    (age,) = server.bot_messages(USER)
    assert age.message_id == consent.message_id
    assert age.text is not None
    assert "✓ I agree\n\nFirst, how old are you?" in age.text
    assert buttons(age) == ["Under 13", "13 to 17", "18 or over"]
    assert server.rejections == []


async def test_a_typed_answer_drops_the_buttons_of_the_question_an_edit_asked(
    seam: TelegramSeam,
) -> None:
    server = seam.server
    await seam.text(USER, "/start")
    (message,) = server.bot_messages(USER)
    await seam.press(USER, message.message_id, data_of(message, "I agree"))
    (message,) = server.bot_messages(USER)
    assert buttons(message) == ["Under 13", "13 to 17", "18 or over"]
    first = len(server.calls)
    await seam.text(USER, "I'm 34")  # typed instead of pressed: the age question's answer
    # the edited message was the current question: its keyboard goes, the story is asked
    assert methods(seam, first) == ["editMessageReplyMarkup", "sendMessage"]
    drop = next(c for c in server.calls[first:] if c.method == "editMessageReplyMarkup")
    assert drop["message_id"] == str(message.message_id)
    assert buttons(server.message(USER, message.message_id)) == []


async def test_a_restart_that_repeats_the_edit_doubles_nothing(seam: TelegramSeam) -> None:
    """The edit is the question's delivery: recorded as the pressed message's id. Done
    again after a crash before the record, Telegram says "not modified" and it is recorded
    then; with the record kept, nothing is sent at all."""
    server, adapter = seam.server, seam.adapter
    await seam.text(USER, "/start")
    (consent,) = server.bot_messages(USER)
    update = server.make_press(chat_id=USER, message_id=consent.message_id,
                               data=data_of(consent, "I agree"))
    envelope_note = seam.update(update).callback_query
    assert envelope_note is not None and envelope_note.message is not None
    from bot.adapters.telegram.inbound import pressed_of

    note = pressed_of(envelope_note.message).note()  # type: ignore[arg-type]
    question = Reply("intake.ask.age", "First, how old are you?", asks="choice",
                     buttons=((Button("18 or over", "d:intake:age:2:adult"),),),
                     chosen="I agree", joins_pressed=True)
    progress = MemoryProgress()
    result = await adapter.send(REF, [question], "kc-in-1", progress=progress,
                                answering=note)
    assert result == Sent((str(consent.message_id),))
    assert list(progress.sent) == [str(consent.message_id)]
    edited = server.message(USER, consent.message_id)

    # A crash before the record: the same press answered again from the inbox row.
    again = MemoryProgress()
    calls = len(server.calls)
    result = await adapter.send(REF, [question], "kc-in-1", progress=again, answering=note)
    assert result == Sent((str(consent.message_id),))
    # "not modified": the edit had been made before the crash
    assert [(r.method, "not modified" in r.description) for r in server.rejections] == [
        ("editMessageText", True)]
    assert len(server.calls) == calls and len(server.bot_messages(USER)) == 1
    assert server.message(USER, consent.message_id).text == edited.text

    # The record kept: nothing is called at all.
    calls, rejected = len(server.calls), len(server.rejections)
    assert await adapter.send(REF, [question], "kc-in-1", progress=progress,
                              answering=note) == Sent((str(consent.message_id),))
    assert (len(server.calls), len(server.rejections)) == (calls, rejected)


async def test_the_daily_prompt_is_one_message_on_telegram(
    seam: TelegramSeam, coach: Coach
) -> None:
    """The session card carries the how-it-went buttons (one sendMessage a prompt)."""
    from datetime import date

    from tests.support.client import CoachClient, enrol

    client = CoachClient(coach, user_id=str(USER), platform="telegram")
    await enrol(client)
    delivery = await coach.compose(f"u:{(await coach.users.find('telegram', str(USER))).id}",
                                   "daily", date(2026, 3, 3))  # type: ignore[union-attr]
    assert delivery is not None
    (prompt,) = delivery.replies
    assert prompt.keys == ("daily.session", "daily.ask.session")
    first = len(seam.server.calls)
    assert isinstance(await seam.adapter.send(REF, delivery.replies, "kc-out-1"), Sent)
    assert [c.method for c in seam.server.calls[first:]] == ["sendMessage"]
    (message,) = seam.server.bot_messages(USER)
    assert buttons(message)[-5:] == ["Done ✅", "Did part of it", "Short version",
                                     "Skip today", "Snooze 1 hour"]
    assert buttons(message)[0].startswith("How: ")


# --------------------------------------------------------------------------- Discord

CONSENT = Reply("intake.ask.consent", "Shall we start?", asks="choice",
                buttons=((Button("Yes", "d:intake:consent:1:yes"),),))


def next_question(text: str) -> Reply:
    return Reply("intake.ask.age", text, asks="choice", chosen="Yes", joins_pressed=True,
                 buttons=((Button("18 or over", "d:intake:age:2:adult"),),))


def routes(fake: FakeDiscord, since: int) -> list[tuple[str, str]]:
    out = []
    for method, path, _ in fake.requests[since:]:
        kind = ("callback" if path.endswith("/callback")
                else "original" if "@original" in path
                else "message" if "/messages" in path else path)
        out.append((method, kind))
    return out


async def _press_yes(
    fake: FakeDiscord, world: DcWorld, coach: DcCoach, question_text: str
) -> tuple[Any, int]:
    def script(ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        if isinstance(inbound, Press):
            return [next_question(question_text)]
        if isinstance(inbound, Text):
            return [Reply("intake.ask.story", "Tell me more.", asks="text",
                          typed_answer="18 or over")]
        return [CONSENT]

    coach.script = script
    alice = world.alice
    await fake.dm(alice, "/start")
    (question,) = await fake.wait_dm(alice, 1)
    first = len(fake.requests)
    press = await fake.press(alice, question.channel_id, question.id, "kc|d:intake:consent:1:yes")
    await fake.wait_for(lambda: press.acknowledged and len(fake.requests) >= first + 2,
                        within=5.0)
    await fake.wait_for(lambda: not fake.messages[question.id].loading, within=5.0)
    return question, first


async def test_a_press_answered_by_one_question_is_one_edit_on_discord(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    question, first = await _press_yes(dc_fake, dc_world, dc_coach, "How old are you?")
    await dc_fake.wait_for(lambda: "How old" in dc_fake.messages[question.id].content,
                           within=5.0)
    assert routes(dc_fake, first) == [("POST", "callback"), ("PATCH", "original")]
    edited = dc_fake.messages[question.id]
    assert edited.content == "Shall we start?\n\n\u2192 **Yes**\n\nHow old are you?"
    assert edited.custom_ids == ["kc|d:intake:age:2:adult"]
    assert len(dc_fake.dm_messages(dc_world.alice)) == 1  # nothing posted

    # A typed answer now drops the buttons of that same message (the current question).
    await dc_fake.dm(dc_world.alice, "18")
    await dc_fake.wait_for(lambda: dc_fake.messages[question.id].components == [], within=5.0)


async def test_a_question_too_long_to_join_is_posted_as_before_on_discord(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    long = "How old are you? " + "x" * (MAX_CONTENT - 40)
    question, first = await _press_yes(dc_fake, dc_world, dc_coach, long)
    await dc_fake.wait_dm(dc_world.alice, 2)
    assert routes(dc_fake, first) == [("POST", "callback"), ("PATCH", "original"),
                                      ("POST", "message")]
    assert dc_fake.messages[question.id].content == "Shall we start?\n\n\u2192 **Yes**"
    assert dc_fake.messages[question.id].components == []


class DiesAfterTheEdit(FakeBotApiOutput):
    """The process dies once right after Telegram accepted a joined edit, before the inbox
    recorded it (the exception stands in for the kill)."""

    died = False

    async def edit_text(self, chat_id: int, message_id: int, html: str,
                        keyboard: Keyboard | None = None) -> None:
        await super().edit_text(chat_id, message_id, html, keyboard)
        if keyboard is not None and not self.died:
            self.died = True
            raise ProcessDied


class ProcessDied(Exception):
    pass


async def test_a_crash_after_the_joined_edit_neither_loses_nor_doubles_the_question(
    coach: Coach,
) -> None:
    """The press's row is handled, the edit (the question's delivery) accepted, the record
    not written: the next start sends the row's replies again from its progress; the edit
    is "not modified", recorded as delivered, and no message is added."""
    server = FakeTelegram()
    output = DiesAfterTheEdit(server)
    async with offline_adapter(server, coach, inbox_options={"stores": coach.stores},
                               output=output) as seam:
        await seam.text(USER, "/start")
        (consent,) = server.bot_messages(USER)
        await seam.press(USER, consent.message_id, data_of(consent, "I agree"))
        assert output.died
        (row,) = await coach.stores.inbox.open_rows()  # handled, its reply not recorded
        assert row.status == "handled" and row.sent == () and row.replies[0].joins_pressed
        asked = server.message(USER, consent.message_id).text

        restarted = Dispatcher(coach.stores, coach, SystemClock())
        restarted.senders["telegram"] = seam.adapter
        assert await restarted.recover() == 1
        restarted.start()
        await restarted.idle()
        await restarted.stop(1.0)

    assert await coach.stores.inbox.open_rows() == []
    (message,) = server.bot_messages(USER)  # no second copy of the question
    assert message.text == asked and buttons(message) == ["Under 13", "13 to 17", "18 or over"]
    assert [(r.method, "not modified" in r.description) for r in server.rejections] == [
        ("editMessageText", True)]

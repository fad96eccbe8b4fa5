"""End to end on Telegram: the REAL Coach, the real TelegramAdapter (real python-telegram-bot
``Application`` long-polling) and the loopback fake Bot API on 127.0.0.1, with a FakeClock
driving the real Ticker and DeliveryWorker (``senders={"telegram": adapter}``).

Nothing sleeps on the wall clock: each step injects an update into the fake and waits, with a
timeout, until the coach has answered and the fake holds every message the adapter had to
send for that answer. Time moves only when a test advances the FakeClock
(``bot.schedule.simulate.advance``: a tick at each due instant). Telegram's outgoing pacing
is off here (it is tested on its own in test_telegram_send.py), so no request waits on it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram import TelegramAdapter, render
from bot.domain.clock import FakeClock
from bot.domain.events import Reply
from bot.domain.records import DialogState
from bot.engine.coach import Coach
from bot.logging_policy import quiet_noisy_loggers
from bot.schedule.simulate import advance
from bot.schedule.ticker import Ticker
from bot.schedule.worker import DeliveryWorker
from tests.fakes.telegram_api import FakeTelegram, StoredMessage, free_port, running_adapter
from tests.support.content import open_test_coach
from tests.support.inbox import open_inbox
from tests.support.recorder import Call, Recorder

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 06:00 in London (GMT in March)
PROMPT_AT = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # 07:30 London
WITHIN = 15.0  # seconds any one wait may take before the test fails
SECRET = "kc_e2e-webhook_Secret_42"
ALICE, BOB = 7001, 7002
GROUP = -1009876543210
STORY_TYPED = "skip"

# The intake as a runner answers it: ("press", label) or ("type", text).
INTAKE: list[tuple[str, str]] = [
    ("press", "Behind or around the kneecap"),
    ("press", "Left"),
    ("press", "2 to 6 weeks"),
    ("type", "y"),  # worse down stairs
    ("press", "Yes"),  # downhill
    ("press", "Yes"),  # squatting or sitting
    ("press", "No"),  # swelling
    ("type", "nope"),  # locking or giving way
    ("press", "No"),  # injury
    ("press", "No"),  # surgery
    ("type", "nope"),  # night pain
    ("press", "No"),  # hot or red
    ("type", "25"),  # km a week
    ("press", "No race planned"),
]


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    server: FakeTelegram
    coach: Coach
    port: Recorder
    clock: FakeClock
    adapter: TelegramAdapter
    worker: DeliveryWorker
    ticker: Ticker

    async def advance(self, delta: timedelta) -> None:
        await advance(self.ticker, self.clock, delta)

    async def advance_to(self, when: datetime) -> None:
        await self.advance(when - self.clock.now())

    def expected_messages(self, call: Call) -> int:
        """How many Telegram messages the adapter sends for this call's replies."""
        username = self.adapter.bot_username
        return sum(
            len(render.render_reply(r, username))
            for r in call.replies
            if not (call.ref.shared and r.private) and not r.joins_pressed
        )

    async def exchange(
        self, chat_id: int, user_id: int, inject: Callable[[], dict[str, Any]]
    ) -> tuple[list[Reply], dict[str, Any]]:
        """Inject an update; wait until the coach answered and every reply is in the chat."""
        index = len(self.port.calls)
        before = len(self.server.bot_messages(chat_id))
        update = inject()
        call = await self.port.wait_call(index, user_id)
        wanted = before + self.expected_messages(call)
        await self.server.wait_until(
            lambda: len(self.server.bot_messages(chat_id)) >= wanted, WITHIN
        )
        return call.replies, update

    async def user_row(self, user_id: int) -> Any:
        return await self.coach.stores.db.fetchone(
            "SELECT * FROM users WHERE platform='telegram' AND platform_user_id=?",
            (str(user_id),),
        )

    async def dialog_state(self, user_id: int) -> DialogState:
        row = await self.user_row(user_id)
        assert row is not None
        return await self.coach.users.dialog_state(int(row["id"]))


@dataclass
class Runner:
    """A person in their private chat with the bot (chat id = user id)."""

    world: World
    user_id: int
    answers: list[str] = field(default_factory=list)  # everything they typed or pressed

    @property
    def server(self) -> FakeTelegram:
        return self.world.server

    def messages(self) -> list[StoredMessage]:
        return self.server.bot_messages(self.user_id)

    async def say(self, text: str) -> list[str]:
        self.answers.append(text)
        replies, _ = await self.world.exchange(
            self.user_id,
            self.user_id,
            lambda: self.server.inject_private_text(self.user_id, text),
        )
        return [k for r in replies for k in r.keys]

    def newest_button(self, label: str) -> tuple[StoredMessage, str]:
        for message in reversed(self.messages()):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] in (label, f"✓ {label}") and "callback_data" in button:
                        return message, str(button["callback_data"])
        recent = [
            b["text"]
            for m in self.messages()[-3:]
            for row in (m.reply_markup or {}).get("inline_keyboard", [])
            for b in row
        ]
        raise AssertionError(f"no button {label!r} for {self.user_id}; recent: {recent}")

    async def press_data(self, message_id: int, data: str) -> tuple[list[Reply], dict[str, Any]]:
        """Press ``data`` on the bot's message ``message_id`` (even one whose keyboard is
        gone: a client can still send such a callback)."""
        self.answers.append(data)
        replies, update = await self.world.exchange(
            self.user_id,
            self.user_id,
            lambda: self.server.inject_press(self.user_id, message_id, data),
        )
        await self.server.wait_until(lambda: self.server.answered(update), WITHIN)
        return replies, update

    async def press(self, label: str) -> list[str]:
        message, data = self.newest_button(label)
        self.answers.append(label)
        replies, _ = await self.press_data(message.message_id, data)
        chosen = next((r.chosen for r in replies if r.chosen), None)
        if replies and replies[0].joins_pressed:  # the question became the pressed message
            shown = f"✓ {chosen}\n\n{render.markup_to_plain(replies[0].text)}"
            await self.server.wait_until(lambda: (
                self.server.message(self.user_id, message.message_id).text or ""
            ).endswith(shown), WITHIN)
        edited = self.server.message(self.user_id, message.message_id)
        if replies and replies[0].joins_pressed:
            assert chosen is not None
            labels = [b["text"] for row in (edited.reply_markup or {}).get(
                "inline_keyboard", []) for b in row]
            assert labels == [b.label for row in replies[0].buttons for b in row]
        elif chosen is not None:  # taken as the answer: the question shows it, buttons gone
            assert edited.reply_markup is None
            assert (edited.text or edited.caption or "").endswith(f"✓ {chosen}")
        return [k for r in replies for k in r.keys]

    async def do(self, steps: list[tuple[str, str]]) -> list[str]:
        keys: list[str] = []
        for kind, value in steps:
            keys = await (self.press(value) if kind == "press" else self.say(value))
        return keys


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock(START)
    coach = await open_test_coach(tmp_path / "k.db", clock=clock)
    port = Recorder(coach)
    try:
        async with (
            FakeTelegram() as server,
            open_inbox(port, stores=coach.stores, clock=clock) as inbox,
            running_adapter(server, port, rate_limits=None, inbox=inbox) as adapter,
        ):
            worker = DeliveryWorker(coach.stores, coach, {"telegram": adapter}, clock)
            ticker = Ticker(coach.stores.outbox, worker, clock, inbox)
            yield World(server, coach, port, clock, adapter, worker, ticker)
    finally:
        await coach.close()


# --------------------------------------------------------------------------- the steps


async def enrol(w: World, user_id: int) -> Runner:
    """The whole intake by buttons and typing, up to a started programme (07:30 London)."""
    runner = Runner(w, user_id)
    assert await runner.say("/start") == ["start.welcome", "intake.ask.consent"]
    assert await runner.press("I agree") == ["intake.ask.age"]
    assert await runner.press("18 or over") == ["intake.ask.story"]
    assert await runner.say(STORY_TYPED) == ["intake.ask.location"]
    assert await runner.do(INTAKE) == ["safety.pfp_program", "intake.ask.offer"]
    triage = runner.messages()[-1]  # the race question, become the triage answer and offer
    assert triage.text is not None and "not a diagnosis" in triage.text.lower()
    assert await runner.press("Yes, let's start") == ["intake.ask.reminder_time"]
    assert await runner.say("07:30") == ["intake.ask.timezone"]
    assert await runner.say("London") == ["intake.ask.strength_days"]
    assert await runner.press("Mon, Wed, Fri") == ["intake.ask.has_band"]
    assert await runner.press("Yes") == ["intake.ask.has_weights"]
    assert await runner.press("No") == ["intake.ask.has_step"]
    assert await runner.press("No") == ["intake.ask.minutes"]
    assert await runner.say("25") == [
        "programme.started", "function.say.intro", "function.ask.stairs"]
    for answer in ["Some difficulty", "A lot of difficulty", "Slight difficulty",
                   "Some difficulty"]:
        await runner.press(answer)
    assert await runner.press("No difficulty") == [
        "function.baseline", "running.start.hold", "today.session"]
    return runner


def prompts(w: World, chat_id: int) -> list[StoredMessage]:
    """The daily prompts (the session card, which asks how it went)."""
    return [
        m
        for m in w.server.bot_messages(chat_id)
        if m.text is not None and m.text.startswith("Good day!")
    ]


async def outbox(w: World, user_id: int) -> list[Any]:
    row = await w.user_row(user_id)
    assert row is not None
    return await w.coach.stores.db.fetchall(
        "SELECT * FROM outbox WHERE user_id=? AND kind='daily' ORDER BY id", (row["id"],)
    )


def keyboard(message: StoredMessage) -> list[dict[str, Any]]:
    return [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]


# --------------------------------------------------------------------------- the tests


async def test_a_runner_from_start_to_progress(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("aiosqlite").setLevel(logging.NOTSET)  # as a DEBUG run would leave it
    quiet_noisy_loggers()
    w = world
    alice = await enrol(w, ALICE)

    # The pressed consent question shows the answer and lost its buttons.
    consent = next(m for m in alice.messages() if m.text and "✓ I agree" in m.text)
    assert consent.reply_markup is None

    # 07:30 London: nothing before, the prompt (session + question) at 07:30 exactly.
    sent_before = len(alice.messages())
    await w.advance_to(PROMPT_AT - timedelta(minutes=1))
    assert len(alice.messages()) == sent_before
    assert prompts(w, ALICE) == []
    await w.advance(timedelta(minutes=2))
    assert len(alice.messages()) == sent_before + 1  # the session card asks how it went
    (question,) = prompts(w, ALICE)
    assert [b["text"] for b in keyboard(question)][-5:] == [
        "Done ✅",
        "Did part of it",
        "Short version",
        "Skip today",
        "Snooze 1 hour",
    ]
    (row,) = await outbox(w, ALICE)
    assert row["status"] == "sent" and row["sent_at"] == "2026-03-02T07:30:00Z"
    (ask,) = w.server.calls[-1:]  # the worker sent it through the adapter
    assert ask.method == "sendMessage" and ask["chat_id"] == str(ALICE)
    assert json.loads(ask["reply_markup"])["inline_keyboard"][-1][0]["text"] == "Done ✅"

    # How the strength work felt, then the check-in, by buttons.
    assert await alice.press("Done ✅") == ["daily.recorded.done", "daily.ask.feel"]
    assert await alice.press("Too easy") == ["daily.ask.which"]
    assert await alice.press("All of them") == ["feedback.thanks.too_easy", "checkin.ask.pain"]
    assert await alice.press("3") == ["checkin.ask.morning"]
    assert await alice.press("No") == ["checkin.ask.swelling"]
    assert await alice.press("No") == ["checkin.ask.ran"]
    assert await alice.press("Yes") == ["checkin.ask.km"]
    assert await alice.say("quite far") == ["input.hint", "checkin.ask.km"]
    assert await alice.say("6 km") == ["advice.acceptable"]  # a typed answer with its unit

    # /progress is a chart.
    photos = len(w.server.calls_to("sendPhoto"))
    assert await alice.say("/progress") == ["progress.chart"]
    (photo,) = w.server.calls_to("sendPhoto")[photos:]
    assert photo.files["photo"].startswith(b"\x89PNG")
    assert w.server.rejections == []

    # Logs, at every level down to DEBUG: never the token, never what the runner answered
    # (aiosqlite would log every statement with its values at DEBUG).
    token = w.server.token
    token_secret = token.split(":", 1)[1]
    secrets_told = [a for a in alice.answers if len(a) >= 4]
    assert "d:intake:location:" in " ".join(secrets_told)  # callback data is checked too
    assert caplog.records
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert token_secret not in text, (record.name, text)
        for answer in secrets_told:
            assert answer not in text, (record.name, answer, text)


async def test_a_group_message_gets_the_private_chat_link_and_no_health_question(
    world: World,
) -> None:
    w = world
    for text in ("/start", "my knee hurts going down stairs"):

        def post(text: str = text) -> dict[str, Any]:
            return w.server.inject_group_text(GROUP, ALICE, text, chat_type="supergroup")

        replies, _ = await w.exchange(GROUP, ALICE, post)
        assert [r.key for r in replies] == ["group.private_only"]
    in_group = w.server.bot_messages(GROUP)
    assert len(in_group) == 2
    link = f"https://t.me/{w.server.bot_username}?start=knee"
    for message in in_group:
        assert keyboard(message) == [{"text": "Open a private chat", "url": link}]
        assert message.text is not None and "private chat" in message.text
        assert "consent" not in message.text.lower() and "?" not in message.text
    assert w.server.bot_messages(ALICE) == []  # nothing was started in private either
    assert await w.user_row(ALICE) is None
    # The deep link's /start knee opens the intake in private.
    alice = Runner(w, ALICE)
    assert await alice.say("/start knee") == ["start.welcome", "intake.ask.consent"]


async def test_a_stale_button_is_answered_and_changes_nothing(world: World) -> None:
    w = world
    alice = Runner(w, ALICE)
    await alice.say("/start")
    await alice.press("I agree")
    await alice.press("18 or over")
    await alice.say(STORY_TYPED)
    question, data = alice.newest_button("Behind or around the kneecap")
    assert await alice.press("Behind or around the kneecap") == ["intake.ask.side"]
    answered = w.server.message(ALICE, question.message_id)  # now the next question
    assert answered.text is not None
    assert "✓ Behind or around the kneecap\n\nWhich knee" in answered.text
    assert [b["text"] for b in keyboard(answered)] == ["Left", "Right", "Both"]

    state = await w.dialog_state(ALICE)
    edits = sum(len(w.server.calls_to(m)) for m in ("editMessageText", "editMessageReplyMarkup"))
    replies, update = await alice.press_data(question.message_id, data)  # the old button again
    assert replies == []  # the answer just given, tapped again: a double tap does nothing
    assert w.server.answered(update)
    # another button of the answered question
    replies, update = await alice.press_data(question.message_id,
                                             data.replace(":kneecap", ":outer"))

    assert [k for r in replies for k in r.keys] == ["input.stale", "intake.ask.side"]
    assert all(r.chosen is None for r in replies)
    assert w.server.answered(update)
    assert await w.dialog_state(ALICE) == state
    assert w.server.message(ALICE, question.message_id) == answered
    after = sum(len(w.server.calls_to(m)) for m in ("editMessageText", "editMessageReplyMarkup"))
    assert after == edits
    # And the runner carries on from where they were.
    assert await alice.press("Left") == ["intake.ask.duration"]


async def test_a_runner_who_blocked_the_bot_gets_nothing_more_and_others_still_do(
    world: World,
) -> None:
    w = world
    await enrol(w, ALICE)
    await enrol(w, BOB)
    w.server.blocked_chats.add(ALICE)

    await w.advance_to(PROMPT_AT + timedelta(minutes=1))
    refused = [r for r in w.server.rejections if str(r.params.get("chat_id")) == str(ALICE)]
    assert [r.error_code for r in refused] == [403]
    assert len(prompts(w, BOB)) == 1
    alice_row, bob_row = await w.user_row(ALICE), await w.user_row(BOB)
    assert not alice_row["active"] and bob_row["active"]
    assert [r["status"] for r in await outbox(w, ALICE)] == ["blocked"]

    for _ in range(2):
        await w.advance(timedelta(days=1))
    refused = [r for r in w.server.rejections if str(r.params.get("chat_id")) == str(ALICE)]
    assert len(refused) == 1, "no further attempt after the first refusal"
    assert prompts(w, ALICE) == []
    assert len(prompts(w, BOB)) == 3
    assert [r["status"] for r in await outbox(w, BOB)] == ["sent"] * 3
    assert [r["status"] for r in await outbox(w, ALICE)] == ["blocked"]
    active = await w.coach.stores.db.fetchone(
        "SELECT active FROM reminders WHERE user_id=?", (alice_row["id"],)
    )
    assert active is not None and not active[0]


async def test_a_429_on_a_reminder_is_waited_out_and_nothing_is_lost(world: World) -> None:
    w = world
    alice = await enrol(w, ALICE)
    sent_before = len(alice.messages())
    # The prompt (one message: the session card asks how it went) meets flood control.
    w.server.fail_next("sendMessage", retry_after=30)

    await w.advance_to(PROMPT_AT + timedelta(seconds=10))
    assert len(alice.messages()) == sent_before  # not yet
    (row,) = await outbox(w, ALICE)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert [r.error_code for r in w.server.rejections] == [429]

    await w.advance(timedelta(minutes=5))  # the worker retries once the 30 s have passed
    (row,) = await outbox(w, ALICE)
    assert row["status"] == "sent"
    assert row["sent_at"] == "2026-03-02T07:30:30Z"
    assert len(alice.messages()) == sent_before + 1  # exactly once
    assert len(prompts(w, ALICE)) == 1
    # The question that arrived is the live one: pressing it works.
    assert await alice.press("Done ✅") == ["daily.recorded.done", "daily.ask.feel"]


async def test_a_ten_minute_outage_is_waited_out_and_each_reminder_arrives_once(
    world: World,
) -> None:
    w = world
    alice, bob = await enrol(w, ALICE), await enrol(w, BOB)
    sent_before = {ALICE: len(alice.messages()), BOB: len(bob.messages())}
    await w.advance_to(PROMPT_AT - timedelta(minutes=1))
    w.server.outage = 502  # a proxy's error page for every call, from 07:29 to 07:39
    for _ in range(10):
        await w.advance(timedelta(minutes=1))
    assert len(alice.messages()) == sent_before[ALICE]
    attempts = [r["attempts"] for r in await outbox(w, ALICE) + await outbox(w, BOB)]
    assert sum(attempts) <= 15, attempts  # one probe at a time, not every row each time
    w.server.outage = None
    await w.advance(timedelta(minutes=5))
    for runner in (alice, bob):
        assert len(runner.messages()) == sent_before[int(runner.user_id)] + 1
        assert len(prompts(w, runner.user_id)) == 1
    for row in await outbox(w, ALICE) + await outbox(w, BOB):
        assert row["status"] == "sent"
    # The prompt that arrived is live.
    assert await alice.press("Done ✅") == ["daily.recorded.done", "daily.ask.feel"]


async def test_webhook_refuses_a_wrong_secret_and_passes_the_right_one_to_the_coach(
    tmp_path: Path,
) -> None:
    coach = await open_test_coach(tmp_path / "k.db", clock=FakeClock(START))
    port = Recorder(coach)
    hook_port = free_port()
    try:
        async with (
            FakeTelegram() as server,
            running_adapter(
                server,
                port,
                rate_limits=None,
                webhook_url=f"http://127.0.0.1:{hook_port}/telegram/hook",
                webhook_port=hook_port,
                webhook_secret=SECRET,
            ),
        ):
            forged = server.make_message(chat_id=ALICE, user_id=ALICE, text="/start")
            assert await server.post_webhook(forged, secret="not-the-secret") == 403
            assert await server.post_webhook(forged, use_secret=False) == 403

            genuine = server.make_message(chat_id=ALICE, user_id=ALICE, text="/start")
            assert await server.post_webhook(genuine) == 200
            call = await port.wait_call(0, ALICE)
            assert [k for r in call.replies for k in r.keys] == [
                "start.welcome", "intake.ask.consent"]
            await server.wait_until(lambda: len(server.bot_messages(ALICE)) >= 1, WITHIN)
            assert len(port.calls) == 1  # the forged updates never reached the coach
            assert server.calls_to("getUpdates") == []
    finally:
        await coach.close()

"""`kneecoach run` (run_app, in this process) against a fake Bot API that misbehaves: repeated
updates (webhook and polling), a revoked token, error pages that quote the token, one chat
pressing a button a hundred times while others wait, a shutdown with work queued. The real
coach, the real inbox, the real adapter; only the 1 s latency bar is about time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import EXIT_REFUSED, run_app
from bot.config import Settings
from bot.store.sqlite import SQLiteDatabase
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram, free_port
from tests.support.content import shipped_checked

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

WITHIN = 20.0
SECRET = "kc_reliability-Secret_7"
TOKEN_SECRET = DEFAULT_TOKEN.split(":", 1)[1]


def settings(tmp_path: Path, server: FakeTelegram, **extra: Any) -> Settings:
    return Settings(
        kneecoach_db=tmp_path / "k.db",
        telegram_bot_token=SecretStr(server.token),
        telegram_api_base_url=server.base_url,
        kneecoach_tick_seconds=0.2,
        _env_file=None,  # type: ignore[call-arg]
        **extra,
    )


class Running:
    """run_app in a task, stopped (and awaited) on exit."""

    def __init__(self, task: asyncio.Task[int], stop: asyncio.Event) -> None:
        self.task = task
        self.stop = stop

    async def finish(self) -> int:
        self.stop.set()
        return await asyncio.wait_for(self.task, WITHIN)


async def start(server: FakeTelegram, cfg: Settings) -> Running:
    """run_app, once it receives (it polls, or its webhook is registered)."""
    stop = asyncio.Event()
    seen: list[str] = []
    server.on_call = lambda method, phase: seen.append(method) if phase == "received" else None
    task = asyncio.create_task(run_app(cfg, stop, checked=shipped_checked()))
    await server.wait_until(
        lambda: "getUpdates" in seen or "setWebhook" in seen or task.done(), WITHIN
    )
    server.on_call = None
    if "setWebhook" in seen:  # PTB registers the webhook, then listens
        await listening(cfg.telegram_webhook_port)
    return Running(task, stop)


async def listening(port: int) -> None:
    """Until something accepts connections on ``port`` (bounded)."""
    async with asyncio.timeout(WITHIN):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.01)
                continue
            writer.close()
            await writer.wait_closed()
            return


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def inbox_rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    try:
        rows = await db.fetchall("SELECT event_id, status, event, lane FROM inbox ORDER BY id")
        return [tuple(r) for r in rows]
    finally:
        await db.close()


def texts(server: FakeTelegram, chat: int) -> list[str]:
    return [m.text or m.caption or "" for m in server.bot_messages(chat)]


# --------------------------------------------------------------------------- repeats


async def test_the_same_webhook_update_twice_is_handled_once(
    tmp_path: Path, server: FakeTelegram
) -> None:
    port = free_port()
    cfg = settings(tmp_path, server, telegram_webhook_url=f"http://127.0.0.1:{port}/hook",
                   telegram_webhook_port=port, telegram_webhook_secret=SecretStr(SECRET))
    running = await start(server, cfg)
    runner = 7101
    try:
        assert await server.post_webhook(server.make_message(
            chat_id=runner, user_id=runner, text="/start")) == 200
        await server.wait_until(lambda: len(server.bot_messages(runner)) >= 1, WITHIN)
        consent = server.bot_messages(runner)[-1]  # the welcome, then the question
        agree = server.make_press(chat_id=runner, message_id=consent.message_id,
                                  data=_button(consent, "I agree"))
        assert await server.post_webhook(agree) == 200
        # the pressed question becomes the next one (one edit, no new message)
        await server.wait_until(lambda: _has_button(server.bot_messages(runner)[-1],
                                                    "18 or over"), WITHIN)
        age = server.bot_messages(runner)[-1]
        adult = server.make_press(chat_id=runner, message_id=age.message_id,
                                  data=_button(age, "18 or over"))

        # Telegram resends an update it thinks we missed: the same update_id, twice.
        assert await server.post_webhook(adult) == 200
        await server.wait_until(lambda: "in your own words" in texts(server, runner)[-1],
                                WITHIN)
        assert await server.post_webhook(adult) == 200
        assert await server.post_webhook(agree) == 200

        story = server.make_message(chat_id=runner, user_id=runner, text="skip")
        assert await server.post_webhook(story) == 200
        await server.wait_until(lambda: len(server.bot_messages(runner)) >= 2, WITHIN)
    finally:
        assert await running.finish() == 0

    said = texts(server, runner)
    # the welcome and consent, edited into the age and then the story question; where it hurts
    assert len(said) == 2, said
    assert "✓ I agree" in said[0] and "✓ 18 or over" in said[0]
    assert said[0].count("✓") == 2  # each press taken once
    assert "in your own words" in said[0].lower()
    assert len(server.calls_to("answerCallbackQuery")) == 2  # each press answered once
    rows = await inbox_rows(tmp_path)
    assert len(rows) == 4  # the repeats were never stored again
    assert all(status == "done" and event is None and lane is None
               for _, status, event, lane in rows)


def _has_button(message: Any, label: str) -> bool:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return any(button["text"] == label for row in rows for button in row)


def _button(message: Any, label: str) -> str:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def test_an_update_polled_again_is_handled_once(
    tmp_path: Path, server: FakeTelegram
) -> None:
    runner = 7102
    running = await start(server, settings(tmp_path, server))
    try:
        update = server.inject_private_text(runner, "/help")
        await server.wait_until(lambda: len(server.bot_messages(runner)) >= 1, WITHIN)
        # Telegram did not get the confirmation: the same update_id comes again, twice.
        server.resend(update)
        server.resend(update)
        # ...before the next message, which is answered after them (same person, in order).
        server.inject_private_text(runner, "hello")
        await server.wait_until(lambda: len(server.bot_messages(runner)) >= 2, WITHIN)
    finally:
        assert await running.finish() == 0
    said = texts(server, runner)
    assert len(said) == 2, said  # /help once, "hello" once
    assert said[1].startswith("I'm a simple coach")
    assert len(await inbox_rows(tmp_path)) == 2


# --------------------------------------------------------------------------- a deaf bot


@pytest.mark.parametrize(("code", "description"), [(401, "Unauthorized"), (404, "Not Found")])
async def test_a_refused_token_on_get_updates_stops_the_process_non_zero(
    tmp_path: Path, server: FakeTelegram, caplog: pytest.LogCaptureFixture, code: int,
    description: str,
) -> None:
    caplog.set_level(logging.INFO)
    running = await start(server, settings(tmp_path, server))
    server.fail_next("getUpdates", error_code=code, description=description)
    server.inject_private_text(7103, "wake the long poll")  # the next poll is refused

    assert await asyncio.wait_for(running.task, WITHIN) == EXIT_REFUSED
    refusals = [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    assert any("revoked" in r.getMessage() for r in refusals), [r.getMessage() for r in refusals]
    assert any(r.getMessage().startswith("stopping: telegram") for r in refusals)


async def test_errors_that_pass_keep_it_polling_and_never_log_the_token(
    tmp_path: Path, server: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runner = 7104
    running = await start(server, settings(tmp_path, server))
    # A proxy's HTML error page, quoting the request path and so the token, then a JSON 502:
    # python-telegram-bot logs the page at ERROR.
    server.fail_next("getUpdates", error_code=502, html=True)
    server.fail_next("getUpdates", error_code=502, description="Bad Gateway")
    server.inject_private_text(runner, "my knee still clicks since the marathon")
    await server.wait_until(lambda: len(server.bot_messages(runner)) >= 1, WITHIN * 2)
    assert await running.finish() == 0

    page = [r for r in caplog.records if "Can not load invalid JSON data" in r.getMessage()]
    assert page, "python-telegram-bot's error page path was not exercised"
    assert all("[redacted]" in r.getMessage() for r in page)
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert TOKEN_SECRET not in text, (record.name, text)
        assert "marathon" not in text, (record.name, text)  # not even at DEBUG


# --------------------------------------------------------------------------- fairness


async def test_a_hundred_presses_on_one_message_do_not_hold_up_the_others(
    tmp_path: Path, server: FakeTelegram
) -> None:
    flooder, others = 7200, [7300 + n for n in range(10)]
    running = await start(server, settings(tmp_path, server))
    try:
        server.inject_private_text(flooder, "/start")
        await server.wait_until(lambda: len(server.bot_messages(flooder)) >= 1, WITHIN)
        consent = server.bot_messages(flooder)[-1]
        agree, refuse = _button(consent, "I agree"), _button(consent, "No thanks")
        before = len(server.bot_messages(flooder))

        # Two buttons in turn, so that no press repeats the one before it (a run of one
        # button is answered once: test_inbox): a hundred turns, the first the answer (the
        # question becomes the next one), then "moved on" for each "No thanks", nothing
        # for "I agree" again (a double tap).
        presses = [server.make_press(chat_id=flooder, message_id=consent.message_id,
                                     data=agree if n % 2 == 0 else refuse)
                   for n in range(100)]
        for press in presses:
            server.enqueue(press)
        asked_at: dict[int, float] = {}
        for person in others:
            asked_at[person] = time.monotonic()
            server.inject_private_text(person, "/help")
        await server.wait_until(
            lambda: all(server.bot_messages(p) for p in others)
            and all(server.answered(p) for p in presses), WITHIN,
        )
    finally:
        assert await running.finish() == 0

    # Fair, not first come first served: the ten who wrote after the hundred presses were
    # queued are each answered before the flood's last answer (counted in the calls the
    # fake received, not in seconds; every spinner was stopped, below).
    calls = server.calls
    flood_done = max(i for i, c in enumerate(calls)  # its last message sent or edited
                     if c.method in {"sendMessage", "editMessageText"}
                     and c["chat_id"] == str(flooder))
    for person in others:
        first = min(i for i, c in enumerate(calls)
                    if c.method == "sendMessage" and c["chat_id"] == str(person))
        assert first < flood_done, (person, first, flood_done)
    # The live press answered once (the question became the next one), the stale ones as
    # "moved on" at most once each.
    answers = server.bot_messages(flooder)[before:]
    assert 1 <= len(answers) <= 50, [m.text for m in answers]
    taken = server.message(flooder, consent.message_id).text or ""
    assert taken.count("✓ I agree") == 1 and "how old" in taken.lower()
    assert len(server.calls_to("answerCallbackQuery")) == 100  # every spinner stopped


async def test_shutdown_with_work_queued_is_prompt_and_the_rest_is_done_next_time(
    tmp_path: Path, server: FakeTelegram
) -> None:
    people = [7400 + n for n in range(20)]
    running = await start(server, settings(tmp_path, server))
    for round_ in range(3):
        for person in people:
            server.inject_private_text(person, f"hello {round_}")
    await server.wait_until(lambda: len(server.calls_to("sendMessage")) >= 5, WITHIN)
    assert await running.finish() == 0  # within WITHIN, whatever is queued

    rows = await inbox_rows(tmp_path)
    assert len(rows) == 3 * len(people)  # every message kept before it was confirmed
    running = await start(server, settings(tmp_path, server))
    await server.wait_until(
        lambda: all(len(server.bot_messages(p)) >= 3 for p in people), WITHIN * 2
    )
    assert await running.finish() == 0
    assert all(len(server.bot_messages(p)) == 3 for p in people)  # none twice after a stop
    assert all(status == "done" for _, status, _, _ in await inbox_rows(tmp_path))


async def test_forget_through_the_inbox_leaves_no_row_about_the_person(
    tmp_path: Path, server: FakeTelegram
) -> None:
    runner = 7500
    running = await start(server, settings(tmp_path, server))
    try:
        server.inject_private_text(runner, "/start")
        await server.wait_until(lambda: len(server.bot_messages(runner)) >= 1, WITHIN)
        consent = server.bot_messages(runner)[-1]
        server.inject_press(runner, consent.message_id, _button(consent, "I agree"))
        await server.wait_until(lambda: _has_button(server.bot_messages(runner)[-1],
                                                    "18 or over"), WITHIN)
        server.inject_private_text(runner, "my left knee hurts on stairs")
        server.inject_private_text(runner, "/forget")
        await server.wait_until(lambda: texts(server, runner)[-1].startswith("This deletes"),
                                WITHIN)
        confirm = server.bot_messages(runner)[-1]
        server.inject_press(runner, confirm.message_id,
                            _button(confirm, "Yes, delete everything"))
        await server.wait_until(lambda: texts(server, runner)[-1].startswith("Done: I have"),
                                WITHIN)
    finally:
        assert await running.finish() == 0

    db = await SQLiteDatabase.open(tmp_path / "k.db")
    try:
        for table in await db.tables():
            rows = [tuple(r) for r in await db.fetchall(f"SELECT * FROM {table}")]
            about = [r for r in rows if any(str(runner) in str(v) or "stairs" in str(v)
                                            for v in r)]
            assert about == [], (table, about)
        assert {r[0] for r in await db.fetchall("SELECT status FROM inbox")} == {"done"}
    finally:
        await db.close()

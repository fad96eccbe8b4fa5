"""Proactive sends (the outbox path): ``TelegramAdapter.send`` -> typed ``SendResult``."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.domain.events import Animation, Button, ConversationRef, Document, Picture, Reply
from bot.domain.results import Blocked, Failed, RetryAfter, Sent, Unreachable
from tests.fakes.telegram_api import (
    FakeTelegram,
    ScriptedCoach,
    StartAdapter,
    long_text,
    sized_png,
    tiny_png,
)

# PTB 22 warns from inside its own RetryAfter constructor unless PTB_TIMEDELTA is set.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

USER = 5150
REF = ConversationRef("telegram", str(USER), str(USER))
REMINDER = Reply(
    "reminder.daily",
    "Time for today's **knee session**.",
    buttons=((Button("Start", "a:session:today"),),),
)


async def test_sent_returns_message_ids(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    chart = Reply("chart", "Your week", attachment=Picture(tiny_png(), "Pain by day"))
    result = await tg_adapter.send(REF, [REMINDER, chart], "reminder:5150:2026-03-02")

    assert isinstance(result, Sent)
    sent = tg_server.bot_messages(USER)
    assert result.message_ids == tuple(str(m.message_id) for m in sent)
    assert [c.method for c in tg_server.calls[-2:]] == ["sendMessage", "sendPhoto"]
    assert tg_server.calls_to("sendMessage")[0]["text"] == ("Time for today's <b>knee session</b>.")


async def test_an_animation_and_a_document_are_uploaded_by_their_own_methods(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    still = Picture(tiny_png(), "Squat: down and up", "squat.png", 1, 1)
    moving = Reply("exercise.squat", "**Squat**", attachment=Animation(
        b"GIF89a-frames", still, "squat.gif", 480, 360))
    export = Reply("export.data", "Your data, as one file.", attachment=Document(
        b'{"users": []}', "kneecoach-export-2026-03-02.json", "application/json", "Your data"))

    result = await tg_adapter.send(REF, [moving, export], "files:1")

    assert isinstance(result, Sent) and len(result.message_ids) == 2
    assert not tg_server.rejections
    (animation,) = tg_server.calls_to("sendAnimation")
    assert animation.files["animation"] == b"GIF89a-frames"
    assert animation["caption"] == "<b>Squat</b>"
    (document,) = tg_server.calls_to("sendDocument")
    assert document.files["document"] == b'{"users": []}'
    stored = tg_server.bot_messages(USER)[-1]
    assert stored.file_name == "kneecoach-export-2026-03-02.json"


async def test_a_picture_telegram_refuses_as_a_photo_goes_as_a_document(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    wide = Picture(sized_png(6000, 4001), "A very large chart", "large.png", 6000, 4001)
    result = await tg_adapter.send(REF, [Reply("chart", "Your chart", attachment=wide)], "w:1")
    assert isinstance(result, Sent)
    assert not tg_server.calls_to("sendPhoto") and not tg_server.rejections
    assert tg_server.calls_to("sendDocument")[0]["caption"] == "Your chart"


async def test_blocked_user_gives_blocked(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.blocked_chats.add(USER)
    result = await tg_adapter.send(REF, [REMINDER], "k1")
    assert result == Blocked("Forbidden: bot was blocked by the user")


async def test_flood_gives_retry_after_and_nothing_is_lost(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.fail_next("sendMessage", retry_after=7)
    first = await tg_adapter.send(REF, [REMINDER], "k1")
    assert isinstance(first, RetryAfter)
    assert first.seconds == 7.0
    assert tg_server.calls_to("sendMessage") == []

    again = await tg_adapter.send(REF, [REMINDER], "k1")
    assert isinstance(again, Sent)
    assert len(tg_server.calls_to("sendMessage")) == 1


async def test_bad_request_gives_failed_and_logs_no_text(
    tg_server: FakeTelegram,
    tg_adapter: TelegramAdapter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tg_server.unknown_chats.add(USER)
    result = await tg_adapter.send(REF, [REMINDER], "k1")
    assert result == Failed("sendMessage: Chat not found")
    assert "sendMessage" in caplog.text
    assert "knee session" not in caplog.text


async def test_network_error_is_unreachable_with_a_short_wait(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    tg_server.drop_next("sendMessage")
    result = await tg_adapter.send(REF, [REMINDER], "k1")
    assert isinstance(result, Unreachable)
    assert 0 < result.seconds <= 10


async def test_network_errors_never_quote_the_url(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    from telegram.error import NetworkError

    tg_server.drop_next("sendMessage")
    with pytest.raises(NetworkError) as raised:
        await tg_adapter.application.bot.send_message(chat_id=USER, text="hi")
    assert raised.value.message == "aiohttp.ServerDisconnectedError"
    assert raised.value.__cause__ is None  # the aiohttp error (with the URL) is not chained
    assert tg_server.token not in caplog.text


async def test_a_slow_answer_is_a_timeout(tg_server: FakeTelegram) -> None:
    from telegram.error import TimedOut

    from bot.adapters.telegram import AiohttpRequest

    request = AiohttpRequest(1, read_timeout=0.05)
    await request.initialize()
    try:
        tg_server.latency = 0.3
        with pytest.raises(TimedOut):
            await request.post(f"{tg_server.base_url}/bot{tg_server.token}/getMe")
    finally:
        tg_server.latency = 0.0
        await request.shutdown()


async def test_retry_sends_only_the_missing_parts(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    replies = [Reply("long", long_text()), REMINDER]  # 2 chunks + 1 message
    tg_server.fail_next("sendMessage", retry_after=2, after=1)

    first = await tg_adapter.send(REF, replies, "weekly:5150:2026-W10")
    assert isinstance(first, RetryAfter)
    assert len(tg_server.calls_to("sendMessage")) == 1

    second = await tg_adapter.send(REF, replies, "weekly:5150:2026-W10")
    assert isinstance(second, Sent)
    assert len(second.message_ids) == 3
    assert len(tg_server.calls_to("sendMessage")) == 3
    assert len(tg_server.bot_messages(USER)) == 3

    # The same key once more (an outbox that crashed before recording): no duplicate.
    third = await tg_adapter.send(REF, replies, "weekly:5150:2026-W10")
    assert third == second
    assert len(tg_server.calls_to("sendMessage")) == 3


async def test_private_reply_is_not_sent_to_a_shared_chat(
    tg_server: FakeTelegram, tg_adapter: TelegramAdapter
) -> None:
    group = ConversationRef("telegram", str(USER), "-777", shared=True)
    public = Reply("club.note", "Club run on Sunday.", private=False)
    result = await tg_adapter.send(group, [REMINDER, public], "k1")
    assert isinstance(result, Sent)
    assert [c["text"] for c in tg_server.calls_to("sendMessage")] == ["Club run on Sunday."]


async def test_other_platform_is_refused(tg_adapter: TelegramAdapter) -> None:
    ref = ConversationRef("discord", "1", "2")
    assert isinstance(await tg_adapter.send(ref, [REMINDER], "k"), Failed)


async def test_send_before_start_asks_to_retry(
    tg_server: FakeTelegram, tg_coach: ScriptedCoach
) -> None:
    from tests.fakes.telegram_api import adapter_settings

    adapter = TelegramAdapter(adapter_settings(tg_server), tg_coach)
    assert isinstance(await adapter.send(REF, [REMINDER], "k"), RetryAfter)


async def test_outgoing_rate_stays_under_the_limit(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.rate_limit(20)
    adapter = await tg_start_adapter(tg_coach, rate_limits=RateLimits(messages_per_second=20))
    refs = [ConversationRef("telegram", str(n), str(n)) for n in range(1000, 1030)]

    results = await asyncio.gather(*(adapter.send(r, [REMINDER], r.chat_id) for r in refs))

    assert all(isinstance(r, Sent) for r in results)
    assert tg_server.rate_limited == 0
    assert len(tg_server.calls_to("sendMessage")) == 30


async def test_slow_answers_never_squeeze_more_into_a_second(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    # The fake counts a message when it answers it (after its latency): the window counts
    # from the answers of earlier messages, so even slow ones never make a 429.
    tg_server.rate_limit(5)
    tg_server.latency = 0.05
    adapter = await tg_start_adapter(tg_coach, rate_limits=RateLimits(messages_per_second=5))
    refs = [ConversationRef("telegram", str(n), str(n)) for n in range(2000, 2011)]

    results = await asyncio.gather(*(adapter.send(r, [REMINDER], r.chat_id) for r in refs))

    assert all(isinstance(r, Sent) for r in results)
    assert tg_server.rate_limited == 0
    times = sorted(c.at for c in tg_server.calls_to("sendMessage"))
    assert len(times) == 11
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[5:], strict=False))


async def test_without_limiter_the_flood_comes_back_as_retry_after(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.rate_limit(10)
    adapter = await tg_start_adapter(tg_coach, rate_limits=None)
    refs = [ConversationRef("telegram", str(n), str(n)) for n in range(1000, 1030)]

    results = await asyncio.gather(*(adapter.send(r, [REMINDER], r.chat_id) for r in refs))

    assert tg_server.rate_limited > 0
    retry = [r for r in results if isinstance(r, RetryAfter)]
    assert len(retry) == tg_server.rate_limited
    assert all(r.seconds >= 1 for r in retry)
    assert sum(isinstance(r, Sent) for r in results) == len(tg_server.calls_to("sendMessage"))


async def test_one_chat_is_paced(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    limits = RateLimits(per_chat_per_second=10, per_chat_burst=1)
    adapter = await tg_start_adapter(tg_coach, rate_limits=limits)
    replies = [Reply(f"r{n}", f"Message {n}") for n in range(4)]

    assert isinstance(await adapter.send(REF, replies, "k"), Sent)

    times = [c.at for c in tg_server.calls_to("sendMessage")]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4
    assert all(gap >= 0.08 for gap in gaps), gaps

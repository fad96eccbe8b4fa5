"""Telegram's paid broadcast (issue 12, item 4), opt-in: with it on, reminders (sends nobody
waits for) carry ``allow_paid_broadcast`` and are paced by the paid window; replies never
are (the tests count which window let each request start; they time nothing). The fake Bot
API checks the parameter (a Boolean, only on the methods that take it) and lets only the
calls that carry it past the free limit. The real python-telegram-bot against the fake."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.adapters.telegram.ratelimit import TelegramRateLimiter
from bot.config import Settings
from bot.domain.events import ConversationRef, Reply
from bot.domain.results import Sent
from bot.platforms import send_rates
from tests.fakes.telegram_api import ApiError, FakeTelegram, ScriptedCoach, StartAdapter

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

REMINDER = Reply("reminder.daily", "Time for today's knee session.")
ANSWER = Reply("answer", "Here is your answer.")
FLAG = "allow_paid_broadcast"


def pays(params: dict[str, object]) -> bool:
    """The call carries allow_paid_broadcast=true (as PTB encodes it: JSON's true)."""
    return str(params.get(FLAG)).lower() == "true"


def windows(adapter: TelegramAdapter) -> Any:
    """The adapter's rate limiter (the free window and, with paid broadcast, the paid one)."""
    limiter = adapter.application.bot.rate_limiter
    assert isinstance(limiter, TelegramRateLimiter) and limiter.paid is not None
    return limiter


def refs(first: int, count: int) -> list[ConversationRef]:
    return [ConversationRef("telegram", str(n), str(n)) for n in range(first, first + count)]


async def test_reminders_pay_for_broadcast_and_go_past_the_free_rate(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    # A free rate of 2 a second on both sides: twenty reminders at it would take 9.5 s.
    tg_server.rate_limit(2)
    adapter = await tg_start_adapter(
        tg_coach, rate_limits=RateLimits(messages_per_second=2, paid_broadcast=True))
    results = await asyncio.gather(*(adapter.send(r, [REMINDER], f"kc-ob-{r.chat_id}")
                                     for r in refs(3000, 20)))
    assert all(isinstance(r, Sent) for r in results)
    calls = tg_server.calls_to("sendMessage")
    assert len(calls) == 20 and tg_server.rate_limited == 0
    assert all(pays(c.params) for c in calls)
    assert tg_server.paid_messages == 20
    limiter = windows(adapter)  # paced by the paid window (1000 a second), not the free 2
    assert (limiter.paid.started, limiter.window.started) == (20, 0)


async def test_a_reply_never_pays_and_keeps_the_free_limit(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.rate_limit(2)
    adapter = await tg_start_adapter(
        tg_coach, rate_limits=RateLimits(messages_per_second=2, paid_broadcast=True))
    reminders = [asyncio.create_task(adapter.send(r, [REMINDER], f"kc-ob-{r.chat_id}"))
                 for r in refs(3000, 6)]
    answers = [asyncio.create_task(adapter.send(r, [ANSWER], f"kc-in-{r.chat_id}", wait=30.0))
               for r in refs(4000, 3)]
    assert all(isinstance(r, Sent) for r in await asyncio.gather(*reminders, *answers))
    sent = {str(c.params["chat_id"]): c.params for c in tg_server.calls_to("sendMessage")}
    assert all(FLAG not in sent[str(n)] for n in range(4000, 4003))
    assert all(pays(sent[str(n)]) for n in range(3000, 3006))
    assert tg_server.rate_limited == 0  # three replies at 2 a second: paced, never refused
    limiter = windows(adapter)
    assert (limiter.paid.started, limiter.window.started) == (6, 3)


async def test_off_by_default(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    adapter = await tg_start_adapter(tg_coach)
    assert adapter.capabilities.messages_per_second == 30
    assert send_rates()["telegram"] == 30
    assert isinstance(await adapter.send(refs(3000, 1)[0], [REMINDER], "kc-ob-1"), Sent)
    (call,) = tg_server.calls_to("sendMessage")
    assert FLAG not in call.params and tg_server.paid_messages == 0


def test_the_paid_rate_is_what_the_messages_in_flight_reach() -> None:
    """Each message in flight waits for Telegram's answer (about 30 ms): one reaches about
    33 a second, thirty the paid 1000; without paid broadcast, the free 30."""
    assert RateLimits(paid_broadcast=True).bulk_messages_per_second == pytest.approx(33.3, 0.01)
    assert RateLimits(paid_broadcast=True, in_flight=30).bulk_messages_per_second == 1000
    assert RateLimits(in_flight=30).bulk_messages_per_second == 30
    on = Settings(telegram_paid_broadcast=True, telegram_in_flight=40)
    assert send_rates(on)["telegram"] == 1000 and send_rates(on)["discord"] == 50
    assert send_rates(Settings())["telegram"] == 30


def test_the_fake_checks_the_parameter_and_its_own_limit() -> None:
    server = FakeTelegram()
    server.rate_limit(2)
    for n in range(10):  # paid calls: their own window (1000 a second)
        server.invoke("sendMessage", {"chat_id": 100 + n, "text": "hi", FLAG: "true"})
    server.invoke("sendMessage", {"chat_id": 200, "text": "hi", FLAG: False})
    server.invoke("sendMessage", {"chat_id": 201, "text": "hi"})
    with pytest.raises(ApiError) as too_many:  # the free window holds two a second
        server.invoke("sendMessage", {"chat_id": 202, "text": "hi"})
    assert too_many.value.code == 429
    assert server.paid_messages == 10
    with pytest.raises(ApiError) as not_boolean:
        server.invoke("sendMessage", {"chat_id": 300, "text": "hi", FLAG: "yes please"})
    assert not_boolean.value.code == 400
    message = server.calls_to("sendMessage")[0]
    with pytest.raises(ApiError) as not_here:  # an edit has no such parameter
        server.invoke("editMessageText", {"chat_id": 100, "message_id":
                                          message.params.get("message_id", 1), "text": "x",
                                          FLAG: True})
    assert not_here.value.code == 400 and "allow_paid_broadcast" in not_here.value.description

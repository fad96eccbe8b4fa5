"""Three real ``kneecoach run`` processes on one PostgreSQL against the fake Bot API (issue
15, item 5): 200 runners due in the same minute; once part of the reminders has gone out,
the process delivering them is killed with SIGKILL, and another takes over.

Every reminder arrives, the kill repeats at most one message (the one in flight: Telegram
has no idempotency key), and runners who press and type during the delivery, across the
kill too, get their answers whole and in the order they wrote. The processes are forked
warm by tests/support/zygote.py; the database is tests/support/postgres.py's; leases are
short (KNEECOACH_LEASE_SECONDS) so a dead process's reminders are taken over in seconds.
Waiting on the processes is polling with a timeout; no assertion is about wall time.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from bench.seed import Runner, seed_runners
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.support.postgres import PostgresServer
from tests.support.processes import Zygote

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the zygote forks kneecoach run"),
]

RUNNERS = 200
FIRST_CHAT = 70_001
PROCESSES = 3
KILLS = 1  # each may repeat the one message in flight
LEASE_SECONDS = 3  # a dead process's reminders are taken over after this
WITHIN = 120.0  # seconds any one wait may take on a loaded 2-core box
PROMPT = "When you've had a go"  # the daily prompt: one message, the session card
HELP = "Here is what I can do"  # the answer to /help
LEARN = "What would you like to read about"  # the answer to /learn
# What a chatty runner sends at once, once its prompt is there: a press on the prompt (its
# answer: the prompt marked, the session recorded, the check-in's first question), then
# /help, then /learn. Its answers must come in this order, each whole.
BURST = ("press", "help", "learn")
REPLY_METHODS = ("sendMessage", "sendPhoto", "sendDocument", "sendAnimation",
                 "editMessageText", "editMessageCaption", "editMessageReplyMarkup")


def run_settings(url: str, server: FakeTelegram) -> dict[str, Any]:
    return {
        "kneecoach_database_url": url,
        "kneecoach_db_pool_max": 4,
        "telegram_bot_token": server.token,
        "telegram_api_base_url": server.base_url,
        "kneecoach_tick_seconds": 0.5,
        "kneecoach_lease_seconds": LEASE_SECONDS,
        "kneecoach_log_level": "INFO",
    }


async def until(check: Callable[[], Awaitable[bool]], what: str, z: Zygote) -> None:
    """Poll ``check`` (a look at the database) until it holds, for ``WITHIN`` seconds."""
    try:
        async with asyncio.timeout(WITHIN):
            while not await check():  # noqa: ASYNC110 - a look at another process's work
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"{what}\n{z.log_text()[-4000:]}") from None


async def seen(
    server: FakeTelegram, check: Callable[[], bool], what: str | Callable[[], str], z: Zygote
) -> None:
    """Wait until the fake's record shows ``check``, for ``WITHIN`` seconds."""
    try:
        await server.wait_until(check, WITHIN)
    except TimeoutError:
        sends = server.calls_to("sendMessage")
        what = what if isinstance(what, str) else what()
        raise AssertionError(f"{what}; {len(sends)} sendMessage, the last:"
                             f" {[text_of(c)[:200] for c in sends[-2:]]}\n"
                             f"{z.log_text()[-4000:]}") from None


def chat_of(call: Call) -> int | None:
    chat = call.params.get("chat_id")
    return None if chat is None else int(chat)


def replies(server: FakeTelegram, chat: int) -> list[Call]:
    """What the bot sent to (or changed in) ``chat``, in the order the fake took it."""
    return [c for c in server.calls if c.method in REPLY_METHODS and chat_of(c) == chat]


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def prompts(server: FakeTelegram, chat: int) -> int:
    return sum(PROMPT in text_of(c) for c in replies(server, chat) if c.method == "sendMessage")


def delivered(server: FakeTelegram) -> int:
    """Runners whose prompt has arrived."""
    chats = {chat_of(c) for c in server.calls_to("sendMessage") if PROMPT in text_of(c)}
    return len(chats)


def doubled(server: FakeTelegram, chat: int) -> int:
    """Messages ``chat`` got more than once (the same text again)."""
    sent = [text_of(c) for c in replies(server, chat) if c.method == "sendMessage"]
    return len(sent) - len(set(sent))


def answered_in_order(server: FakeTelegram, chat: int, since: int) -> list[str]:
    """What each of the bot's calls to ``chat`` from the ``since``-th on answered."""
    kinds: list[str] = []
    for call in server.calls[since:]:
        if call.method not in REPLY_METHODS or chat_of(call) != chat:
            continue
        text = text_of(call)
        kinds.append("help" if HELP in text else "learn" if LEARN in text else "press")
    return kinds


class Chatty:
    """Runners who press and type while the reminders are going out."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self.since: dict[int, int] = {}  # chat -> the fake's call count when it wrote
        self.queries: dict[int, str] = {}  # chat -> its press's callback query id

    def write(self, chats: list[int]) -> None:
        for chat in chats:
            prompt = next(m for m in self.server.bot_messages(chat) if PROMPT in (m.text or ""))
            rows = (prompt.reply_markup or {}).get("inline_keyboard", [])
            done = next(b for row in rows for b in row if b["text"] == "Done ✅")
            self.since[chat] = len(self.server.calls)
            press = self.server.inject_press(chat, prompt.message_id, done["callback_data"])
            self.queries[chat] = str(press["callback_query"]["id"])
            self.server.inject_private_text(chat, "/help")
            self.server.inject_private_text(chat, "/learn")

    def waiting(self) -> list[tuple[int, bool, list[str]]]:
        """Bursts not answered yet: (chat, its press's callback answered, what came)."""
        answers = {str(c.params.get("callback_query_id"))
                   for c in self.server.calls_to("answerCallbackQuery")}
        out = []
        for chat, query in self.queries.items():
            kinds = answered_in_order(self.server, chat, self.since[chat])
            if query not in answers or not {"help", "learn"} <= set(kinds):
                out.append((chat, query in answers, kinds))
        return out

    def answered(self) -> bool:
        """Every burst answered: its press's callback, the /help and the /learn."""
        return not self.waiting()

    def candidates(self, taken: set[int], count: int) -> list[int]:
        """``count`` runners whose prompt has arrived and who have not written yet."""
        chats = [chat_of(c) for c in self.server.calls_to("sendMessage")
                 if PROMPT in text_of(c)]
        fresh = [c for c in dict.fromkeys(chats) if c is not None and c not in taken]
        return fresh[:count]


async def test_three_runs_deliver_every_reminder_through_a_kill_9_of_the_one_delivering(
    postgres: PostgresServer, z: Zygote,
) -> None:
    url = await postgres.new_database()
    conn = await asyncpg.connect(url)
    try:
        async with FakeTelegram() as server:
            settings = run_settings(url, server)
            pids = [await z.start(settings)]
            await server.wait_for_calls("setMyCommands", within=WITHIN)  # it leads
            pids += [await z.start(settings) for _ in range(PROCESSES - 1)]

            async def standing_by() -> bool:  # every process can send (getMe), so answers
                return len(server.calls_to("getMe")) >= PROCESSES

            await until(standing_by, "the other processes never stood by", z)

            # 200 runners due in this very minute, seeded while the processes run.
            minute = datetime.now(UTC).replace(second=0, microsecond=0)
            chats = list(range(FIRST_CHAT, FIRST_CHAT + RUNNERS))
            await seed_runners(url, [
                Runner(chat, "telegram", minute.strftime("%H:%M"), "UTC", minute)
                for chat in chats
            ], minute - timedelta(days=1), offered=True)

            chatty = Chatty(server)
            await seen(server, lambda: delivered(server) >= 40, "no delivery", z)
            chatty.write(chatty.candidates(set(), 10))
            await seen(server, lambda: delivered(server) >= 70, "the delivery stopped", z)
            chatty.write(chatty.candidates(set(chatty.since), 10))  # in hand at the kill

            # The process delivering: the one holding reminders leased and not yet sent.
            holders = await conn.fetch(
                "SELECT claimed_by, count(*) AS rows FROM outbox WHERE status = 'pending'"
                " AND claimed_by IS NOT NULL GROUP BY claimed_by ORDER BY rows DESC")
            assert holders, "nothing was being delivered when the kill was due"
            victim = int(str(holders[0]["claimed_by"]).split(":")[-2])
            assert victim in pids
            at_kill = delivered(server)
            assert at_kill < RUNNERS, "the delivery was over before the kill"
            assert await z.kill(victim) == -signal.SIGKILL
            pids.remove(victim)
            chatty.write(chatty.candidates(set(chatty.since), 10))  # for the next one

            await seen(server, lambda: delivered(server) == RUNNERS,
                       "reminders were lost after the kill", z)
            await seen(server, chatty.answered,
                       lambda: f"runners' messages went unanswered: {chatty.waiting()}", z)
            for pid in pids:  # the one leading now and the standby: both stop cleanly
                os.kill(pid, signal.SIGTERM)
            for pid in pids:
                assert await z.wait(pid) == 0, z.log_text()[-4000:]

        statuses = await conn.fetch(
            "SELECT status, count(*) AS n FROM outbox WHERE kind = 'daily' GROUP BY status")
    finally:
        await conn.close()

    assert all(prompts(server, chat) >= 1 for chat in chats)  # every reminder arrived
    repeats = sum(doubled(server, chat) for chat in chats)
    assert repeats <= KILLS, f"{repeats} messages arrived twice after {KILLS} kill(s)"
    assert len(chatty.since) == 30
    for chat, since in chatty.since.items():  # each answer whole, in the order written
        kinds = answered_in_order(server, chat, since)
        order = [BURST.index(k) for k in kinds]
        assert order == sorted(order) and set(kinds) == set(BURST), (chat, kinds)
    assert {r["status"]: r["n"] for r in statuses} == {"sent": RUNNERS}, z.log_text()[-4000:]

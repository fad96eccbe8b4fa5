"""Several processes on PostgreSQL (issue 15): the Telegram rate limiter takes each
message's start from the bot's shared ``SendBudget`` instead of its own window, so the
processes together keep Telegram's 30 a second, and a reply in one process goes before the
reminders another process is sending. The per-chat windows stay the process's own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from bot.adapters.telegram import RateLimits, TelegramAdapter, TelegramRateLimiter
from bot.adapters.telegram.ratelimit import replying
from bot.config import Settings
from bot.domain.clock import FakeClock, SystemClock
from bot.domain.events import ConversationRef, Reply
from bot.domain.readiness import Readiness
from bot.domain.results import RetryAfter, Sent
from bot.domain.send_budget import BULK_AHEAD, MemorySendBudget, SendSlot
from bot.engine.ports import SendBudget
from bot.platforms import Wiring, build_adapters
from bot.store.postgres import PostgresDatabase
from bot.store.send_budget import HEADROOM, SharedSendBudget
from bot.store.sqlite import SQLiteDatabase
from tests.fakes.telegram_api import FakeTelegram, ScriptedCoach, StartAdapter
from tests.support.postgres import PostgresServer, processes_on_one_database
from tests.support.simulated_time import SimulatedTime

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

RATE = 30
INTERVAL = 1 / RATE
TOLERANCE = 2e-6  # the fake clock counts microseconds
REMINDER = Reply("reminder.daily", "Time for today's knee session.")


class Process:
    """One process's Telegram rate limiter, on the shared budget and simulated time."""

    def __init__(self, budget: SendBudget, time: SimulatedTime) -> None:
        self.time = time
        self.limiter = TelegramRateLimiter(RateLimits(in_flight=10), budget=budget,
                                           clock=time.clock, sleep=time.sleep)
        self.starts: list[tuple[datetime, str]] = []

    async def send(self, chat_id: int, what: str = "reminder") -> None:
        async def request() -> bool:
            self.starts.append((self.time.clock.now(), what))
            return True

        await self.limiter.process_request(request, (), {}, "sendMessage",
                                           {"chat_id": chat_id}, None)

    async def remind(self, first_chat: int, count: int) -> None:
        """What the ticker's delivery does: one reminder after another, each to its chat."""
        for chat in range(first_chat, first_chat + count):
            await self.send(chat)

    async def answer(self, after: float, chat_id: int) -> datetime:
        """Someone writes ``after`` seconds from now; the reply's start."""
        await self.time.sleep(after)
        asked = self.time.clock.now()
        with replying():
            await self.send(chat_id, "reply")
        return asked


def starts(*processes: Process) -> list[tuple[datetime, str]]:
    return sorted(s for p in processes for s in p.starts)


def gaps(processes: list[Process]) -> list[float]:
    at = [when for when, _ in starts(*processes)]
    return [(b - a).total_seconds() for a, b in pairwise(at)]


@pytest.fixture
async def pools(postgres: PostgresServer) -> AsyncIterator[list[PostgresDatabase]]:
    """Three pools on one database: three `kneecoach run` processes."""
    async with processes_on_one_database(postgres) as opened:
        yield opened


async def test_three_processes_send_at_the_bots_rate_not_three_times_it(
    pools: list[PostgresDatabase], clock: FakeClock
) -> None:
    time = SimulatedTime(clock)
    processes = [Process(SharedSendBudget(p, "telegram", RATE), time) for p in pools]
    began = clock.now()
    await time.run(*(p.remind(1000 * (n + 1), 40) for n, p in enumerate(processes)))
    assert len(starts(*processes)) == 120
    # one start every 1/30 s, whichever process sent it: 120 take 4 s, not 4/3 s
    assert min(gaps(processes)) >= INTERVAL - TOLERANCE
    assert (clock.now() - began).total_seconds() == pytest.approx(119 * INTERVAL, abs=1e-3)
    for p in processes:  # each sent its share on the budget, each start through its window
        assert (p.limiter.shared_starts, p.limiter.window.started) == (40, 40)


async def test_a_reply_in_one_process_goes_before_the_reminders_of_the_others(
    pools: list[PostgresDatabase], clock: FakeClock
) -> None:
    time = SimulatedTime(clock)
    a, b, c = (Process(SharedSendBudget(p, "telegram", RATE), time) for p in pools)
    *_, asked = await time.run(a.remind(1000, 60), b.remind(2000, 60), c.answer(0.5, 42))
    ((replied, _),) = [s for s in c.starts if s[1] == "reply"]
    # two processes' reminders kept the budget busy: the reply took the next start (after
    # a reminder granted its start a few milliseconds ahead, at most)
    assert (replied - asked).total_seconds() <= INTERVAL + BULK_AHEAD + TOLERANCE
    assert min(gaps([a, b, c])) >= INTERVAL - TOLERANCE  # and its start was counted


async def test_each_process_asks_for_one_reminder_at_a_time() -> None:
    """Reminders queued in one process do not each ask the database: the first asks and
    waits, the others wait behind it in the process."""
    asked: list[bool] = []

    class Busy:
        async def take(self, now: datetime, *, replying: bool) -> SendSlot:
            asked.append(replying)
            return SendSlot(replying, 60.0)  # the budget's next free start is a minute away

    never = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await never.wait()

    limiter = TelegramRateLimiter(RateLimits(), budget=Busy(), sleep=sleep)

    async def request() -> bool:
        return True

    tasks = [asyncio.create_task(limiter.process_request(
        request, (), {}, "sendMessage", {"chat_id": chat}, None)) for chat in range(1, 11)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert asked == [False]
    with replying():  # a reply is not held behind them
        reply = asyncio.create_task(limiter.process_request(
            request, (), {}, "sendMessage", {"chat_id": 99}, None))
        for _ in range(20):
            await asyncio.sleep(0)
    assert asked == [False, True]
    for task in [*tasks, reply]:
        task.cancel()
    await asyncio.gather(*tasks, reply, return_exceptions=True)


async def test_without_the_budget_a_process_paces_alone_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = True

    class Flaky:
        async def take(self, now: datetime, *, replying: bool) -> SendSlot:
            if down:
                raise ConnectionRefusedError("the database is unreachable")
            return SendSlot(True)

    limiter = TelegramRateLimiter(RateLimits(), budget=Flaky())
    sent: list[int] = []

    async def send(chat: int) -> Any:
        async def request() -> bool:
            sent.append(chat)
            return True

        return await limiter.process_request(request, (), {}, "sendMessage",
                                             {"chat_id": chat}, None)

    with caplog.at_level(logging.WARNING, "bot.adapters.telegram.ratelimit"):
        await send(1)
        await send(2)
        down = False
        await send(3)
    assert sent == [1, 2, 3]
    # every message passes the process's own window; the budget granted the one it could
    assert (limiter.window.started, limiter.shared_starts) == (3, 1)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings  # once when it failed, once when it came back
    assert "paces its messages alone" in warnings[0] and "answers again" in warnings[1]


async def test_sqlite_keeps_the_process_window(
    tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    adapter = await tg_start_adapter(tg_coach)  # as built on SQLite: no budget
    limiter = adapter.application.bot.rate_limiter
    assert isinstance(limiter, TelegramRateLimiter) and limiter.budget is None
    sent = await adapter.send(ConversationRef("telegram", "5", "5"), [REMINDER], "kc-ob-1")
    assert isinstance(sent, Sent) and limiter.window.started == 1


@pytest.mark.parametrize("shared", [True, False], ids=["shared budget", "a window each"])
async def test_two_adapters_on_one_bot_stay_within_telegrams_limit(
    shared: bool, tg_server: FakeTelegram, tg_start_adapter: StartAdapter,
    tg_coach: ScriptedCoach, pools: list[PostgresDatabase],
) -> None:
    """Over HTTP, against a Telegram that counts the bot's messages (100 in any second
    here): two adapters sending reminders at once, as two processes would. With the budget
    on the database nothing is refused; with a window each they send twice the rate and
    Telegram refuses some (what this issue fixes)."""
    tg_server.rate_limit(100)
    limits = RateLimits(messages_per_second=100)
    adapters: list[TelegramAdapter] = [
        await tg_start_adapter(
            tg_coach, rate_limits=limits,
            send_budget=SharedSendBudget(pool, "telegram", 100 * HEADROOM) if shared else None)
        for pool in pools[:2]]
    results = await asyncio.gather(*(
        adapter.send(ConversationRef("telegram", str(chat), str(chat)), [REMINDER],
                     f"kc-ob-{chat}")
        for n, adapter in enumerate(adapters) for chat in range(3000 + 100 * n, 3060 + 100 * n)))
    refused = sum(isinstance(r, RetryAfter) for r in results)
    if shared:
        assert refused == 0 and tg_server.rate_limited == 0
        assert all(isinstance(r, Sent) for r in results)
    else:
        assert refused > 0 and tg_server.rate_limited == refused


async def test_a_budget_kept_in_memory_is_one_process_only(clock: FakeClock) -> None:
    """``MemorySendBudget`` does what the shared one does, for the one process holding it."""
    time = SimulatedTime(clock)
    budget = MemorySendBudget(RATE)
    processes = [Process(budget, time), Process(budget, time)]
    await time.run(processes[0].remind(1000, 30), processes[1].remind(2000, 30),
                   processes[1].answer(0.3, 7))
    assert min(gaps(processes)) >= INTERVAL - TOLERANCE
    assert len(starts(*processes)) == 61


async def test_the_adapter_built_on_postgresql_draws_from_the_shared_budget(
    tmp_path: Path, pools: list[PostgresDatabase]
) -> None:
    settings = Settings(kneecoach_db=tmp_path / "k.db", telegram_bot_token=SecretStr("1:x"),
                        _env_file=None)  # type: ignore[call-arg]
    wiring = Wiring(inbox=None, readiness=Readiness(SystemClock()))  # type: ignore[arg-type]
    lite = await SQLiteDatabase.open(tmp_path / "k.db")
    try:
        built = {name: build_adapters(settings, SimpleNamespace(  # type: ignore[arg-type]
                     stores=SimpleNamespace(db=db)), wiring)[0]
                 for name, db in (("postgres", pools[0]), ("sqlite", lite))}
    finally:
        await lite.close()
    on_postgres, on_sqlite = built["postgres"], built["sqlite"]
    assert isinstance(on_postgres, TelegramAdapter) and isinstance(on_sqlite, TelegramAdapter)
    assert isinstance(on_postgres.send_budget, SharedSendBudget)
    # the bot's 30 a second, with headroom for a start that goes out a little late
    assert on_postgres.send_budget.interval == pytest.approx(1 / (30 * HEADROOM))
    assert on_sqlite.send_budget is None

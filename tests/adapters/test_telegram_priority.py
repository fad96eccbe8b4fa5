"""Replies before broadcasts (issue 12): a reply to someone who just wrote takes the next
start of Telegram's window before the reminders already waiting for it, and while people
are writing the reminders leave a share of every second free for them."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.telegram import RateLimits
from bot.adapters.telegram.ratelimit import SlidingWindow
from bot.domain.events import ConversationRef, Reply
from bot.domain.results import Sent
from tests.fakes.telegram_api import FakeTelegram, ScriptedCoach, StartAdapter

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

REMINDER = Reply("reminder.daily", "Time for today's knee session.")
ANSWER = Reply("answer", "Here is your answer.")


async def _started(window: SlidingWindow, name: str, reply: bool, order: list[str]) -> float:
    loop = asyncio.get_running_loop()
    async with window.slot(reply):
        order.append(name)
        return loop.time()


async def test_a_waiting_reply_goes_before_the_waiting_bulk() -> None:
    window = SlidingWindow(5, 0.05)  # 100 a second: the test takes about 0.2 s
    order: list[str] = []
    bulk = [asyncio.create_task(_started(window, f"b{n}", False, order)) for n in range(20)]
    await asyncio.sleep(0)  # all twenty wait for the window
    reply = asyncio.create_task(_started(window, "reply", True, order))
    await asyncio.gather(*bulk, reply)
    assert order.index("reply") <= 2, order  # FIFO would have made it 21st
    assert [n for n in order if n != "reply"] == [f"b{n}" for n in range(20)]  # bulk in order


async def test_bulk_keeps_a_share_of_the_window_free_while_people_write() -> None:
    window = SlidingWindow(10, 0.5, reserve=3)
    order: list[str] = []
    for n in range(4):  # four people just wrote: three starts (the reserve) stay theirs
        await _started(window, f"reply{n}", True, order)
    starts = await asyncio.gather(*(_started(window, f"b{n}", False, order) for n in range(8)))
    # at most 7 bulk starts in any 0.5 s window: the 8th waits for the 1st to leave it
    # (without the reserve it would start 0.35 s after the 1st)
    assert starts[7] - starts[0] >= 0.5 - 1e-3, starts


async def test_the_share_kept_follows_how_many_wrote() -> None:
    window = SlidingWindow(10, 0.5, reserve=3)
    order: list[str] = []
    await _started(window, "reply", True, order)  # one person wrote: one start kept
    starts = await asyncio.gather(*(_started(window, f"b{n}", False, order) for n in range(10)))
    # nine bulk starts in a window, not ten (without the reserve: 0.45 s)
    assert starts[9] - starts[0] >= 0.5 - 1e-3, starts


async def test_with_nobody_writing_bulk_has_the_whole_window() -> None:
    window = SlidingWindow(10, 0.5, reserve=3)
    order: list[str] = []
    starts = await asyncio.gather(*(_started(window, f"b{n}", False, order) for n in range(10)))
    assert starts[9] - starts[0] < 0.5  # ten in the first window, evenly paced (0.45 s)


async def test_an_answer_overtakes_the_reminders_queued_in_the_adapter(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    tg_server.rate_limit(100)
    adapter = await tg_start_adapter(
        tg_coach, rate_limits=RateLimits(messages_per_second=100, per_chat_burst=50)
    )
    refs = [ConversationRef("telegram", str(n), str(n)) for n in range(3000, 3040)]
    reminders = [asyncio.create_task(adapter.send(r, [REMINDER], f"kc-ob-{r.chat_id}"))
                 for r in refs]
    await asyncio.sleep(0)
    asker = ConversationRef("telegram", "4000", "4000")
    answer = asyncio.create_task(adapter.send(asker, [ANSWER], "kc-in-1", wait=30.0))
    results = await asyncio.gather(*reminders, answer)
    assert all(isinstance(r, Sent) for r in results)
    chats = [str(c["chat_id"]) for c in tg_server.calls_to("sendMessage")]
    assert len(chats) == 41 and tg_server.rate_limited == 0
    assert chats.index("4000") <= 3, chats  # first come, first served would make it 41st

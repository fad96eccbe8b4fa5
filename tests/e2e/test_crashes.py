"""kill -9, for real: ``kneecoach run`` processes (forked warm by tests/support/zygote.py)
against the fake Bot API, killed with SIGKILL at seeded moments the fake chooses (a message
arriving, or just accepted and not yet answered), restarted on the same database, until
the work is done. The fake records what every chat received.

Nothing a runner sent is lost, every due reminder arrives, and each kill repeats at most one
message (the one in flight: Telegram has no idempotency key). Wall-clock time is only what
the processes take; no assertion is about it.
"""

from __future__ import annotations

import os
import random
import signal
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef
from bot.domain.timefmt import to_db
from bot.store.sqlite import SQLiteDatabase
from tests.fakes.telegram_api import FakeTelegram, StoredMessage
from tests.support.client import CoachClient, enrol
from tests.support.content import open_test_coach
from tests.support.processes import Zygote

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the zygote forks kneecoach run"),
]

KILLS = 4  # per seed
WITHIN = 40.0
IDLE_REPLY = "I'm a simple coach"


def run_settings(db: Path, server: FakeTelegram) -> dict[str, Any]:
    return {
        "kneecoach_db": str(db),
        "telegram_bot_token": server.token,
        "telegram_api_base_url": server.base_url,
        "kneecoach_tick_seconds": 0.2,
        "kneecoach_log_level": "WARNING",
    }


class Killer:
    """Kills the running process when the fake sees the chosen call: the ``nth`` call of
    ``method`` in this life, as it arrives ("received") or once Telegram has taken it and
    before the answer goes out ("accepted": the bot never learns it was sent)."""

    def __init__(self, zygote: Zygote, server: FakeTelegram) -> None:
        self.zygote = zygote
        self.server = server
        self.pid: int | None = None
        self.trigger: tuple[str, str, int] | None = None
        self.seen = 0
        self.fired = False
        self.polls = 0  # getUpdates calls seen in this life
        self.also: Callable[[str, str], None] | None = None

    def arm(self, pid: int, trigger: tuple[str, str, int] | None) -> None:
        self.pid, self.trigger, self.seen, self.fired, self.polls = pid, trigger, 0, False, 0

    def __call__(self, method: str, phase: str) -> None:
        if (method, phase) == ("getUpdates", "received"):
            self.polls += 1
        if self.also is not None:
            self.also(method, phase)
        if self.trigger is None or self.pid is None or self.fired:
            return
        wanted, when, nth = self.trigger
        if method != wanted or phase != when:
            return
        self.seen += 1
        if self.seen == nth:
            os.kill(self.pid, signal.SIGKILL)
            self.fired = True
            self.server.nudge()


def tally(server: FakeTelegram, chats: list[int], expected: int) -> tuple[int, int]:
    """(messages lost, messages duplicated) over ``chats``, each due ``expected``."""
    counts = [len(server.bot_messages(chat)) for chat in chats]
    lost = sum(max(0, expected - n) for n in counts)
    doubled = sum(max(0, n - expected) for n in counts)
    return lost, doubled


Trigger = tuple[str, str, int]  # method, phase, the n-th such call in this life


async def lives(
    z: Zygote,
    server: FakeTelegram,
    killer: Killer,
    settings: dict[str, Any],
    choose: Callable[[], Trigger | None],
    done: Callable[[], bool],
) -> int:
    """Start, kill at a seeded moment (``choose``: None when nothing is left to kill in),
    restart... ``KILLS`` times, then a last life that finishes the work and stops cleanly.
    Returns how many kills there were."""
    kills = 0
    while kills < KILLS and (trigger := choose()) is not None:
        pid = await z.start(settings)
        killer.arm(pid, trigger)
        await server.wait_until(lambda: killer.fired or (done() and killer.polls > 0), WITHIN)
        if not killer.fired:
            await stop(z, pid)
            return kills
        assert await z.wait(pid) == -signal.SIGKILL
        kills += 1
    pid = await z.start(settings)
    killer.arm(pid, None)
    await server.wait_until(lambda: done() and killer.polls > 0, WITHIN)
    await stop(z, pid)
    return kills


async def stop(z: Zygote, pid: int) -> None:
    """SIGTERM once the process polls (it handles the signal by then): a clean exit."""
    os.kill(pid, signal.SIGTERM)
    assert await z.wait(pid) == 0, z.log_text()


async def query(db_path: Path, sql: str) -> list[Any]:
    db = await SQLiteDatabase.open(db_path)
    try:
        return [tuple(row) for row in await db.fetchall(sql)]
    finally:
        await db.close()


@pytest.mark.parametrize("seed", [11, 12])
async def test_kill_9_while_handling_loses_no_message_and_repeats_at_most_one_per_kill(
    tmp_path: Path, z: Zygote, seed: int
) -> None:
    rng = random.Random(seed)
    people = [50_000 + n for n in range(20)]
    per_person = 3
    backlog = deque((person, f"hello number {i}") for i in range(per_person) for person in people)
    db = tmp_path / "k.db"

    def feed(count: int) -> None:
        for _ in range(min(count, len(backlog))):
            person, text = backlog.popleft()
            server.inject_private_text(person, text)

    def answered() -> bool:
        return not backlog and all(
            len(server.bot_messages(p)) >= per_person for p in people
        )

    async with FakeTelegram() as server:
        killer = Killer(z, server)
        # Messages keep arriving while the bot runs: a few more with every poll.
        killer.also = lambda method, phase: (
            feed(6) if (method, phase) == ("getUpdates", "received") else None
        )
        server.on_call = killer
        feed(12)

        def choose() -> Trigger | None:
            unanswered = len(people) * per_person - len(server.calls_to("sendMessage"))
            if unanswered < 2:
                return None
            if backlog and rng.random() < 0.3:  # the batch before it is kept and in hand
                return ("getUpdates", "received", rng.randint(2, 3))
            # "accepted": Telegram has the message, and the bot never learns it
            phase = rng.choice(["accepted", "received"])
            return ("sendMessage", phase, rng.randint(1, min(12, unanswered - 1)))

        kills = await lives(z, server, killer, run_settings(db, server), choose, answered)

    assert kills == KILLS
    lost, doubled = tally(server, people, per_person)
    assert lost == 0
    assert doubled <= kills
    for person in people:
        assert all((m.text or "").startswith(IDLE_REPLY) for m in server.bot_messages(person))
    # Every event done, and nothing of what was typed, answered or whose it was is kept.
    assert await query(db, "SELECT status, event, replies, lane FROM inbox"
                       " WHERE status!='done' OR event IS NOT NULL OR replies IS NOT NULL"
                       " OR lane IS NOT NULL") == []


class TelegramRunner(CoachClient):
    """A runner in their private Telegram chat (chat id = user id)."""

    @property
    def ref(self) -> ConversationRef:
        return ConversationRef("telegram", self.user_id, self.user_id)


async def enrol_runners(db: Path, people: list[int]) -> None:
    """Through the real intake, then every reminder due a minute ago (real time)."""
    coach = await open_test_coach(db, clock=FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC)))
    try:
        for person in people:
            await enrol(TelegramRunner(coach, user_id=str(person)))
        due = datetime.now(UTC) - timedelta(minutes=1)
        await coach.stores.db.execute("UPDATE reminders SET next_due=?", (to_db(due),))
    finally:
        await coach.close()


def prompts(messages: list[StoredMessage]) -> int:
    """The daily prompts: one message each, the session card that asks how it went."""
    return sum("When you've had a go" in (m.text or "") for m in messages)


@pytest.mark.parametrize("seed", [21, 22])
async def test_kill_9_while_delivering_loses_no_reminder_and_repeats_at_most_one_per_kill(
    tmp_path: Path, z: Zygote, seed: int
) -> None:
    rng = random.Random(seed)
    people = [60_000 + n for n in range(30)]
    db = tmp_path / "k.db"
    await enrol_runners(db, people)
    per_runner = 1  # the daily prompt: the session card with the question's buttons

    def delivered() -> bool:
        return all(len(server.bot_messages(p)) >= per_runner for p in people)

    async with FakeTelegram() as server:
        killer = Killer(z, server)
        server.on_call = killer

        def choose() -> Trigger | None:
            undelivered = len(people) * per_runner - len(server.calls_to("sendMessage"))
            if undelivered < 2:
                return None
            phase = rng.choice(["accepted", "received"])
            return ("sendMessage", phase, rng.randint(1, min(10, undelivered - 1)))

        kills = await lives(z, server, killer, run_settings(db, server), choose, delivered)

    assert kills == KILLS
    lost, doubled = tally(server, people, per_runner)
    assert lost == 0
    assert doubled <= kills
    for person in people:  # never a message before its predecessor arrived
        assert prompts(server.bot_messages(person)) >= 1
    assert await query(db, "SELECT status FROM outbox") == [("sent",)] * len(people)

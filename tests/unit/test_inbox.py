"""The inbox: events kept before they are acknowledged, a repeat dropped, each person's events
in order and one slot per person, repeated presses answered once, a restart finishing what
was left (and resending only the reply message that was in flight), a prompt stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef, Envelope, Inbound, Press, Reply, Text
from bot.domain.results import RetryAfter, SendResult, Sent
from bot.engine.ports import Progress
from bot.schedule.inbox import Dispatcher
from bot.store.backends import open_database
from bot.store.inbox import InboxStore
from bot.store.stores import Stores

# The inbox runs on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def ref(person: int) -> ConversationRef:
    return ConversationRef("telegram", str(person), str(person))


def text(event: int, person: int, words: str) -> Envelope:
    return Envelope("telegram", str(event), ref(person), Text(words))


def press(event: int, person: int, data: str, on: str = "1:10") -> Envelope:
    return Envelope("telegram", str(event), ref(person), Press(data), origin=on)


@dataclass
class Coach:
    """Answers every event with one reply per word; can be held to show waiting."""

    seen: list[tuple[str, Inbound]] = field(default_factory=list)
    hold: asyncio.Event | None = None

    async def handle(self, where: ConversationRef, inbound: Inbound) -> list[Reply]:
        self.seen.append((where.user_id, inbound))
        if self.hold is not None:
            await self.hold.wait()
        words = inbound.text.split() if isinstance(inbound, Text) else [repr(inbound)]
        return [Reply(f"r{n}", word) for n, word in enumerate(words)]

    def text(self, key: str, **values: object) -> str:
        return key

    def command_menu(self) -> list[tuple[str, str]]:
        return []


@dataclass
class Platform:
    """Records the messages it accepts; ``refuse``: answer 429 this many times."""

    platform: str = "telegram"
    shown: list[tuple[str, str]] = field(default_factory=list)
    refuse: int = 0
    crash_after: int | None = None  # messages, then the process "dies"
    fail_after: int | None = None  # messages, then the adapter fails (a bug, a lost answer)
    hold: asyncio.Event | None = None  # sends wait for it (an answer in flight)
    sending: asyncio.Event = field(default_factory=asyncio.Event)  # a send has begun

    async def send(
        self, to: ConversationRef, replies: Sequence[Reply], idempotency_key: str, *,
        progress: Progress | None = None, answering: str = "", wait: float = 0.0,
    ) -> SendResult:
        assert progress is not None
        self.sending.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.refuse:
            self.refuse -= 1
            return RetryAfter(30.0, "flood control")
        for reply in replies[len(progress.sent):]:
            self.shown.append((to.chat_id, reply.text))
            await progress.record(f"m{len(self.shown)}", last=reply is replies[-1])
            if self.crash_after is not None and len(self.shown) >= self.crash_after:
                raise asyncio.CancelledError  # the process stops mid-send
            if self.fail_after is not None and len(self.shown) >= self.fail_after:
                return RetryAfter(60.0, "the adapter lost track")
        return Sent(tuple(progress.sent))


@pytest.fixture
async def stores(store_target: str | Path) -> AsyncIterator[Stores]:
    db = await open_database(store_target)
    try:
        yield Stores.over(db)
    finally:
        await db.close()


def dispatcher(stores: Stores, coach: Coach, platform: Platform, **options: object) -> Dispatcher:
    return Dispatcher(stores, coach, FakeClock(START), {"telegram": platform},  # type: ignore[arg-type]
                      **options)


async def test_an_event_is_kept_once_and_a_repeat_is_dropped(stores: Stores) -> None:
    coach, platform = Coach(), Platform()
    inbox = dispatcher(stores, coach, platform)
    assert await inbox.accept([text(1, 7, "hello"), text(1, 7, "hello")]) == [True, False]
    await inbox.idle()
    assert await inbox.accept([text(1, 7, "hello"), text(2, 7, "again")]) == [False, True]
    await inbox.idle()
    assert [i for _, i in coach.seen] == [Text("hello"), Text("again")]
    assert platform.shown == [("7", "hello"), ("7", "again")]
    assert await stores.inbox.counts() == {"done": 2}
    rows = await stores.db.fetchall("SELECT event, replies, lane, sent FROM inbox")
    assert [tuple(r) for r in rows] == [(None, None, None, "[]")] * 2  # nothing kept of it


async def test_one_person_in_order_one_slot_each_and_the_others_take_turns(
    stores: Stores,
) -> None:
    coach, platform = Coach(), Platform()
    inbox = dispatcher(stores, coach, platform, max_concurrent=2)
    flood = [text(n, 1, f"flood{n}") for n in range(1, 41)]
    others = [text(100 + n, 2 + n, f"other{n}") for n in range(3)]
    await inbox.accept([*flood, *others])
    await inbox.idle()
    handled = [i.text for _, i in coach.seen if isinstance(i, Text)]
    assert [t for t in handled if t.startswith("flood")] == [f"flood{n}" for n in range(1, 41)]
    # The flood held one slot: the others did not wait for it to drain.
    assert max(handled.index(f"other{n}") for n in range(3)) < 10


async def test_repeated_presses_of_one_button_are_answered_once(stores: Stores) -> None:
    coach, platform = Coach(), Platform(hold=asyncio.Event())
    inbox = dispatcher(stores, coach, platform)
    await inbox.accept([press(1, 5, "d:intake:consent:1:yes")])
    await platform.sending.wait()  # the first press is handled, its answer on its way...
    await inbox.accept([press(n, 5, "d:intake:consent:1:yes") for n in range(2, 100)]
                       + [press(100, 5, "d:intake:consent:1:yes", on="1:11"),
                          text(101, 5, "next")])
    assert platform.hold is not None
    platform.hold.set()
    await inbox.idle()
    # ...98 identical presses behind it count as one more; another message's button and
    # the text after them are handled as usual, in order.
    assert [i for _, i in coach.seen] == [
        Press("d:intake:consent:1:yes"), Press("d:intake:consent:1:yes"),
        Press("d:intake:consent:1:yes"), Text("next"),
    ]
    assert inbox.repeats == 97
    assert await stores.inbox.counts() == {"done": 101}


async def test_a_restart_finishes_what_was_left_and_resends_only_the_message_in_flight(
    stores: Stores,
) -> None:
    coach, platform = Coach(), Platform(crash_after=1)
    inbox = dispatcher(stores, coach, platform)
    await inbox.accept([text(1, 9, "one two three"), text(2, 9, "later")])
    await inbox.idle()  # the process "died" after the first message of the first answer
    assert platform.shown == [("9", "one")]
    await inbox.stop(0)

    platform.crash_after = None
    again = dispatcher(stores, coach, platform)
    assert await again.recover() == 2
    again.start()
    await again.idle()
    assert platform.shown == [("9", "one"), ("9", "two"), ("9", "three"), ("9", "later")]
    assert [i for _, i in coach.seen] == [Text("one two three"), Text("later")]  # once each


async def test_the_record_of_a_replys_last_message_is_its_row_marked_done(
    stores: Stores, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One process: the messages before the last are recorded one by one; the last one's
    record is the row marked done (one write, not a record and then "done"). Whatever
    happens after that record, nothing of that reply is sent again."""
    writes: list[str] = []
    for name in ("record_sent", "done", "done_many"):
        real = getattr(stores.inbox, name)

        def spy(*args: object, _real: object = real, _name: str = name, **kw: object) -> object:
            writes.append(_name)
            return _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(stores.inbox, name, spy)

    coach, platform = Coach(), Platform(crash_after=3)
    inbox = dispatcher(stores, coach, platform, shared=False)
    await inbox.accept([text(1, 9, "one two three")])
    await inbox.idle()  # the process "died" right after the last message's record
    assert writes == ["record_sent", "record_sent", "done"]
    assert await stores.inbox.counts() == {"done": 1}
    await inbox.stop(0)

    platform.crash_after, platform.fail_after = None, 5  # (messages shown in all)
    again = dispatcher(stores, coach, platform, shared=False)
    assert await again.recover() == 0
    again.start()
    await again.accept([text(2, 9, "four five")])  # the adapter fails after its last message
    await again.idle()
    assert platform.shown == [("9", w) for w in ("one", "two", "three", "four", "five")]
    assert again.next_wake() is None  # nothing waits to be sent again
    assert await stores.inbox.counts() == {"done": 2}


async def test_a_refused_answer_pauses_the_person_until_it_is_due(stores: Stores) -> None:
    coach, platform = Coach(), Platform(refuse=1)
    clock = FakeClock(START)
    inbox = Dispatcher(stores, coach, clock, {"telegram": platform})  # type: ignore[arg-type]
    await inbox.accept([text(1, 3, "first"), text(2, 3, "second"), text(3, 4, "other")])
    await inbox.idle()
    assert platform.shown == [("4", "other")]  # another person is not held up
    assert [i for who, i in coach.seen if who == "3"] == [Text("first")]  # nothing overtakes
    assert inbox.next_wake() == START + timedelta(seconds=30)
    assert inbox.wake(clock.now()) == 0
    clock.advance(timedelta(seconds=30))
    assert inbox.wake(clock.now()) == 1
    await inbox.idle()
    assert platform.shown == [("4", "other"), ("3", "first"), ("3", "second")]


async def test_stop_is_prompt_whatever_is_queued_and_nothing_is_lost(stores: Stores) -> None:
    coach, platform = Coach(hold=asyncio.Event()), Platform()
    inbox = dispatcher(stores, coach, platform)
    await inbox.accept([text(n, n % 7, f"m{n}") for n in range(1, 200)])
    await asyncio.sleep(0)
    await inbox.stop(0.01)  # the turns in hand never finish: they are cut short
    assert platform.shown == []
    assert await stores.inbox.counts() == {"pending": 199}

    assert coach.hold is not None
    coach.hold.set()
    again = dispatcher(stores, coach, platform)
    await again.recover()
    again.start()
    await again.idle()
    assert len(platform.shown) == 199
    assert await stores.inbox.counts() == {"done": 199}


async def test_a_coach_that_raises_loses_that_event_only(stores: Stores) -> None:
    class Raising(Coach):
        async def handle(self, where: ConversationRef, inbound: Inbound) -> list[Reply]:
            if inbound == Text("boom"):
                raise RuntimeError("a bug")
            return await super().handle(where, inbound)

    platform = Platform()
    inbox = dispatcher(stores, Raising(), platform)
    await inbox.accept([text(1, 2, "boom"), text(2, 2, "fine")])
    await inbox.idle()
    assert platform.shown == [("2", "fine")]
    rows = await stores.db.fetchall("SELECT status, detail FROM inbox ORDER BY id")
    assert [tuple(r) for r in rows] == [("done", "failed: the coach raised RuntimeError"),
                                        ("done", None)]


async def test_an_answer_the_platform_never_takes_is_given_up_after_the_late_limit(
    stores: Stores,
) -> None:
    coach, platform = Coach(), Platform(refuse=10_000)
    clock = FakeClock(START)
    inbox = Dispatcher(stores, coach, clock, {"telegram": platform})  # type: ignore[arg-type]
    await inbox.accept([text(1, 3, "hello"), text(2, 3, "later")])
    await inbox.idle()
    while (due := inbox.next_wake()) is not None and due < START + timedelta(hours=4):
        clock.set(due)
        inbox.wake(clock.now())
        await inbox.idle()
    rows = await stores.db.fetchall("SELECT status, detail FROM inbox ORDER BY id")
    assert rows[0]["status"] == "done"
    assert rows[0]["detail"].startswith("missed: the platform did not take them within")
    assert [i for _, i in coach.seen] == [Text("hello"), Text("later")]  # the next goes on


async def test_a_lane_is_taken_with_its_rows_and_its_delivered_rows_done_with_the_next_read(
    store_target: str | Path,
) -> None:
    """The store's lane statements (one each on PostgreSQL): take a lane and read it; mark
    what was delivered done and read what is left."""
    db = await open_database(store_target)
    try:
        mine, theirs = InboxStore(db, owner="A"), InboxStore(db, owner="B")
        until = START + timedelta(minutes=2)
        ids = await mine.add([text(1, 5, "a"), text(2, 5, "b"), text(3, 6, "c")], START)
        taken = await mine.take_lane_rows("telegram:5", START, until)
        assert taken is not None and [r.id for r in taken] == ids[:2]
        assert [r.envelope.inbound for r in taken] == [Text("a"), Text("b")]
        assert await theirs.take_lane_rows("telegram:5", START, until) is None  # held
        assert await mine.take_lane_rows("telegram:9", START, until) == []  # taken, empty

        left = await mine.done_and_read("telegram:5", [ids[0]], START)
        assert [r.id for r in left] == [ids[1]]
        assert await mine.counts() == {"done": 1, "pending": 2}
        assert await mine.done_and_read("telegram:5", [ids[1]], START) == []
        assert await mine.release_lane("telegram:5") == "gone"

        later = until + timedelta(seconds=1)  # A's lease on 9 ran out: B may take it
        assert await theirs.take_lane_rows("telegram:9", later, later + timedelta(1)) == []
        taken = await theirs.take_lane_rows("telegram:6", later, later + timedelta(1))
        assert taken is not None and [r.id for r in taken] == [ids[2]]
    finally:
        await db.close()

"""The inbox across processes on PostgreSQL: several dispatchers, each on a connection pool of
its own (as separate `kneecoach run` processes would be), one database, one fake clock. Every
person's events are handled once each, in order, never two turns of one person at a time,
whichever process received them; a process that dies holding a person's lane hands it over
once its lease has run out; an event for a lane another process holds is left to it; a
process that cannot work a lane yet tells the others (NOTIFY), and the listening connection
comes back after it drops."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef, Envelope, Inbound, Reply, Text
from bot.domain.results import SendResult, Sent
from bot.engine.ports import Progress
from bot.schedule.inbox import LANE_LEASE, Dispatcher
from bot.store.backends import open_database
from bot.store.database import Database
from bot.store.stores import Stores
from tests.support.postgres import PostgresServer

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WITHIN = 30.0  # seconds a real server may take to deliver a notification (a guard only)


def event(number: int, person: int) -> Envelope:
    ref = ConversationRef("telegram", str(person), str(person))
    return Envelope("telegram", str(number), ref, Text(f"e{number}"))


@dataclass
class Journal:
    """What every process's coach and platform did, in the order it happened."""

    turns: list[tuple[str, str, str]] = field(default_factory=list)  # process, person, event
    shown: list[tuple[str, str]] = field(default_factory=list)  # person, reply
    inside: Counter[str] = field(default_factory=Counter)  # turns of a person in progress
    overlaps: list[str] = field(default_factory=list)  # a person with two turns at once
    reply: asyncio.Event = field(default_factory=asyncio.Event)  # something was shown

    def shown_to(self, person: str) -> list[str]:
        return [text for who, text in self.shown if who == person]


@dataclass
class Coach:
    """One process's coach: one reply an event; ``hold`` keeps a turn of ``held`` open."""

    journal: Journal
    process: str
    held: str | None = None  # an event text whose turn waits for ``hold``
    hold: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, where: ConversationRef, inbound: Inbound) -> list[Reply]:
        assert isinstance(inbound, Text)
        person = where.user_id
        self.journal.inside[person] += 1
        if self.journal.inside[person] > 1:
            self.journal.overlaps.append(person)
        try:
            if inbound.text == self.held:
                self.entered.set()
                await self.hold.wait()
            for _ in range(3):  # let the other processes' tasks run meanwhile
                await asyncio.sleep(0)
        finally:
            self.journal.inside[person] -= 1
        self.journal.turns.append((self.process, person, inbound.text))
        return [Reply("r", f"re:{inbound.text}")]

    def text(self, key: str, **values: object) -> str:
        return key

    def command_menu(self) -> list[tuple[str, str]]:
        return []


@dataclass
class Platform:
    """Shows each reply message not recorded yet (as a real sender does after a restart)."""

    journal: Journal
    platform: str = "telegram"

    async def send(
        self, to: ConversationRef, replies: Sequence[Reply], idempotency_key: str, *,
        progress: Progress | None = None, answering: str = "", wait: float = 0.0,
    ) -> SendResult:
        assert progress is not None
        for reply in replies[len(progress.sent):]:
            self.journal.shown.append((to.user_id, reply.text))
            self.journal.reply.set()
            await progress.record(f"m{len(self.journal.shown)}")
        return Sent(tuple(progress.sent))


class Steps:
    """A dispatcher's own loop, stepped by the test: each step lets one scan run."""

    def __init__(self) -> None:
        self._go: asyncio.Queue[None] = asyncio.Queue()
        self.resting = asyncio.Event()

    async def nap(self, wake: asyncio.Event, seconds: float) -> None:
        self.resting.set()
        await self._go.get()

    async def step(self) -> None:
        await asyncio.wait_for(self.resting.wait(), WITHIN)
        self.resting.clear()
        self._go.put_nowait(None)
        await asyncio.wait_for(self.resting.wait(), WITHIN)  # the scan is over


@dataclass
class Process:
    db: Database
    dispatcher: Dispatcher
    coach: Coach
    steps: Steps
    clock: FakeClock

    @property
    def owner(self) -> str:
        return self.dispatcher.inbox.owner


@pytest.fixture
async def processes(postgres: PostgresServer) -> AsyncIterator[list[Process]]:
    """Three "processes" on one fresh database, sharing a fake clock and a journal."""
    url = await postgres.new_database()
    clock, journal = FakeClock(START), Journal()
    made: list[Process] = []
    try:
        for name in ("A", "B", "C"):
            db = await open_database(url, pool_max=4)
            coach, steps = Coach(journal, name), Steps()
            dispatcher = Dispatcher(Stores.over(db), coach, clock,
                                    {"telegram": Platform(journal)}, nap=steps.nap)
            made.append(Process(db, dispatcher, coach, steps, clock))
        yield made
    finally:
        for process in made:
            process.coach.hold.set()
            await process.dispatcher.stop(1.0)
            await process.db.close()


def journal_of(processes: list[Process]) -> Journal:
    return processes[0].coach.journal


async def settle(processes: list[Process], rows: int) -> None:
    """Until every process is idle and ``rows`` rows are done (no scan helps here: a row
    that no lane task picked up stays open, and the caller's assertions fail)."""
    for _ in range(50):
        await asyncio.gather(*(p.dispatcher.idle() for p in processes))
        if await processes[0].dispatcher.inbox.counts() == {"done": rows}:
            return


async def owner_of(db: Database, lane: str) -> str | None:
    row = await db.fetchone("SELECT owner FROM inbox_lanes WHERE lane=?", (lane,))
    return None if row is None else str(row["owner"])


async def until_owner(db: Database, lane: str, owner: str) -> None:
    """Until ``owner`` holds ``lane`` (its lane task takes it after the scan that started
    it has returned): polled on the real server, with a guard."""
    for _ in range(int(WITHIN * 100)):
        if await owner_of(db, lane) == owner:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{lane} was not taken by {owner}")


async def in_its_first_turn(process: Process, events: list[Envelope]) -> None:
    """``process`` takes ``events`` and stops in the middle of the first one's turn (its
    lane and its lock on the person held) until the test sets ``coach.hold``."""
    process.coach.held = "e1"
    process.dispatcher.start()
    await process.dispatcher.accept(events)
    await asyncio.wait_for(process.coach.entered.wait(), WITHIN)


def kill(process: Process) -> None:
    """The process dies: its tasks stop where they are (a turn in hand rolls back), nothing
    is let go, its leases stay in the database until they run out."""
    dispatcher = process.dispatcher
    dispatcher._closing = True  # (what a dead process does next: nothing)
    for task in [*dispatcher._tasks.values(), dispatcher._patrol, dispatcher._scanning,
                 dispatcher._flushing]:
        if task is not None:
            task.cancel()
    dispatcher._leases.clear()  # (so that its stop at the end lets nothing go)


async def test_fifty_people_through_three_processes_each_in_order_once(
    processes: list[Process],
) -> None:
    people, rounds = 50, 6
    for process in processes:
        process.dispatcher.start()
    number = 0
    for _ in range(rounds):
        for person in range(people):
            number += 1
            process = processes[number % len(processes)]  # round robin, as a proxy does
            assert await process.dispatcher.accept([event(number, person)]) == [True]
    await settle(processes, number)

    journal = journal_of(processes)
    handled = Counter(text for _, _, text in journal.turns)
    assert sorted(handled) == sorted(f"e{n}" for n in range(1, number + 1))
    assert set(handled.values()) == {1}  # every event handled exactly once
    for person in range(people):  # each person's replies in the order of their events
        mine = [f"re:e{n}" for n in range(1, number + 1) if (n - 1) % people == person]
        assert journal.shown_to(str(person)) == mine
    assert journal.overlaps == []  # never two turns of one person at once
    workers = [p.dispatcher.turns for p in processes]
    assert sum(workers) == number
    assert sum(1 for turns in workers if turns) > 1  # more than one process did work
    left = await processes[0].db.fetchone("SELECT count(*) FROM inbox_lanes")
    assert left is not None and left[0] == 0  # every lane let go


async def test_a_dead_processs_lane_is_taken_over_once_its_lease_has_run_out(
    processes: list[Process],
) -> None:
    dead, alive = processes[0], processes[1]
    dead.coach.held = "e2"  # its second turn never ends: the process dies in it
    dead.dispatcher.start()
    for number in range(1, 5):
        await dead.dispatcher.accept([event(number, 7)])
    await asyncio.wait_for(dead.coach.entered.wait(), WITHIN)
    # (started once the lane is taken: its first scan would have raced for it)
    alive.dispatcher.start()
    kill(dead)
    await asyncio.sleep(0)
    journal = journal_of(processes)
    assert journal.shown_to("7") == ["re:e1"]
    assert await owner_of(alive.db, "telegram:7") == dead.owner

    await alive.steps.step()  # its own loop scans: the lease has not run out yet
    await alive.dispatcher.idle()
    assert alive.dispatcher.turns == 0
    assert await owner_of(alive.db, "telegram:7") == dead.owner

    alive.clock.advance(LANE_LEASE)
    await alive.steps.step()  # now it has: taken over
    await alive.dispatcher.idle()
    # e1's turn had committed (and its reply was shown): not handled nor shown again;
    # e2's turn had not: handled again, by the process that took over, then e3 and e4.
    assert [(who, text) for who, _, text in journal.turns] == [
        ("A", "e1"), ("B", "e2"), ("B", "e3"), ("B", "e4")]
    assert journal.shown_to("7") == ["re:e1", "re:e2", "re:e3", "re:e4"]
    assert await alive.dispatcher.inbox.counts() == {"done": 4}
    assert await owner_of(alive.db, "telegram:7") is None


async def test_a_frozen_holder_that_wakes_after_its_lane_was_taken_over_rolls_back(
    processes: list[Process],
) -> None:
    frozen, other = processes[0], processes[1]
    await in_its_first_turn(frozen, [event(1, 8), event(2, 8)])  # frozen mid-turn
    other.dispatcher.start()
    other.clock.advance(LANE_LEASE)  # the frozen process renews nothing
    await other.steps.step()  # taken over; its turn waits for the person's lock...
    await until_owner(other.db, "telegram:8", other.owner)
    frozen.coach.hold.set()  # ...the frozen one wakes up: its turn is fenced out
    await settle(processes, 2)
    journal = journal_of(processes)
    assert journal.shown_to("8") == ["re:e1", "re:e2"]  # each once, in order
    assert frozen.dispatcher.turns == 0 and other.dispatcher.turns == 2
    # (the frozen process's coach ran e1 too, in a turn that rolled back)
    assert [(who, text) for who, _, text in journal.turns] == [
        ("A", "e1"), ("B", "e1"), ("B", "e2")]


async def test_an_event_for_a_lane_another_process_holds_is_left_to_it(
    processes: list[Process],
) -> None:
    holder, other = processes[0], processes[1]
    await in_its_first_turn(holder, [event(1, 3)])
    other.dispatcher.start()
    await other.dispatcher.accept([event(2, 3), event(3, 4)])  # 3's lane is held
    journal = journal_of(processes)
    # 4's lane is free: worked at once, here or, when this process already listens and so
    # announced its new lanes, by whichever process heard of it first
    await asyncio.wait_for(journal.reply.wait(), WITHIN)
    await other.dispatcher.idle()  # (the holder is still in its turn)
    assert journal.shown_to("4") == ["re:e3"]
    assert journal.shown_to("3") == []
    assert await owner_of(other.db, "telegram:3") == holder.owner

    holder.coach.hold.set()
    await settle(processes, 3)
    assert journal.shown_to("3") == ["re:e1", "re:e2"]
    assert [(who, text) for who, person, text in journal.turns if person == "3"] == [
        ("A", "e1"), ("A", "e2")]


async def test_a_starting_process_recovers_only_the_lanes_nobody_holds(
    processes: list[Process],
) -> None:
    holder, starting = processes[0], processes[1]
    await in_its_first_turn(holder, [event(1, 1), event(2, 1)])
    # rows nobody works: as a process that died before taking their lane left them
    await starting.dispatcher.inbox.add([event(3, 2), event(4, 2)], START)
    assert await starting.dispatcher.recover() == 2  # person 2's, not person 1's
    starting.dispatcher.start()
    await starting.dispatcher.idle()
    journal = journal_of(processes)
    assert journal.shown_to("2") == ["re:e3", "re:e4"]
    assert journal.shown_to("1") == []
    holder.coach.hold.set()
    await settle(processes, 4)
    assert journal.shown_to("1") == ["re:e1", "re:e2"]
    assert [who for who, person, _ in journal.turns if person == "1"] == ["A", "A"]


async def test_a_process_that_cannot_work_a_lane_yet_tells_the_others(
    processes: list[Process],
) -> None:
    starting, running = processes[0], processes[1]
    running.dispatcher.start()
    await running.steps.step()  # listening (the loop listens before its first rest)
    await running.dispatcher.idle()
    scans = running.dispatcher.scans
    await starting.dispatcher.recover()  # the lanes wait for its start()...
    await starting.dispatcher.accept([event(1, 5)])
    journal = journal_of(processes)
    await asyncio.wait_for(journal.reply.wait(), WITHIN)  # ...the other took it, told
    await running.dispatcher.idle()
    assert journal.turns == [("B", "5", "e1")]
    assert running.dispatcher.scans == scans  # by the notification, not a scan


async def test_a_closing_process_lets_its_lanes_go_and_the_others_take_them_at_once(
    processes: list[Process],
) -> None:
    closing, running = processes[0], processes[1]
    closing.coach.held = "e1"
    running.dispatcher.start()
    await running.steps.step()
    closing.dispatcher.start()
    await closing.dispatcher.accept([event(1, 6), event(2, 6)])
    await asyncio.wait_for(closing.coach.entered.wait(), WITHIN)
    await closing.dispatcher.stop(0.0)  # the turn in hand is cut short, the lane let go
    journal = journal_of(processes)
    await asyncio.wait_for(journal.reply.wait(), WITHIN)
    await settle(processes, 2)
    assert journal.shown_to("6") == ["re:e1", "re:e2"]
    assert [(who, text) for who, _, text in journal.turns] == [("B", "e1"), ("B", "e2")]


async def test_the_listening_connection_comes_back_after_it_drops(
    postgres: PostgresServer,
) -> None:
    db = await open_database(await postgres.new_database(), pool_max=2)
    heard: list[str] = []
    got, probed = asyncio.Event(), asyncio.Event()

    def hear(payload: str) -> None:
        heard.append(payload)
        got.set()

    try:
        stop = await db.listen("kc_test", hear)
        await db.listen("kc_probe", lambda _: probed.set())
        await db.notify("kc_test", "one")
        await asyncio.wait_for(got.wait(), WITHIN)
        killed = await db.fetchone(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname=current_database() AND query LIKE 'LISTEN%'")
        assert killed is not None and killed[0] == 1
        for _ in range(int(WITHIN * 10)):  # until it listens again (it reconnects at once)
            got.clear()
            await db.notify("kc_test", "two")
            try:
                await asyncio.wait_for(got.wait(), 0.1)
                break
            except TimeoutError:
                continue
        assert heard[0] == "one" and heard[-1] == "two"
        await stop()
        await db.notify("kc_test", "three")
        await db.notify("kc_probe", "after")  # (one connection delivers them in order)
        await asyncio.wait_for(probed.wait(), WITHIN)
        assert "three" not in heard
    finally:
        await db.close()


async def test_sqlite_keeps_its_lanes_in_memory_and_the_scan_fits_the_lease(
    tmp_path: Path,
) -> None:
    db = await open_database(tmp_path / "k.db")
    try:
        stores, coach = Stores.over(db), Coach(Journal(), "A")
        assert not Dispatcher(stores, coach, FakeClock(START)).shared
        forced = Dispatcher(stores, coach, FakeClock(START), shared=True,
                            lane_lease=timedelta(seconds=20))
        assert forced.shared and forced.scan_every == 5.0  # renewed well within the lease
    finally:
        await db.close()


async def test_a_process_takes_only_the_lanes_of_the_doors_it_opens(
    processes: list[Process],
) -> None:
    """A follower opens no Discord door (the gateway is the leader's): a Discord person's
    rows are left to a process that can answer them."""
    follower, leader = processes[0], processes[1]
    journal = journal_of(processes)
    leader.dispatcher.senders["discord"] = Platform(journal)
    ref = ConversationRef("discord", "9", "9")
    # a row nobody works yet (its receiver died before taking the lane)
    await follower.dispatcher.inbox.add([Envelope("discord", "91", ref, Text("e91"))], START)
    assert await follower.dispatcher.recover() == 0
    follower.dispatcher.start()  # (it scans at once)
    await follower.dispatcher.idle()
    assert await owner_of(follower.db, "discord:9") is None
    assert await leader.dispatcher.recover() == 1
    leader.dispatcher.start()
    await settle(processes[:2], 1)
    assert journal.shown_to("9") == ["re:e91"]
    assert [who for who, person, _ in journal.turns if person == "9"] == ["B"]

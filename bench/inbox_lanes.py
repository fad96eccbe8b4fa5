"""Benchmark: what the inbox's lanes across processes cost (PostgreSQL, shared mode) against
the in-memory lanes, one event loop.

  python -m bench.inbox_lanes [--events 3000] [--people 300] [--rounds 3]

Events of ``--people`` people (one reply each, a coach that does nothing else) are accepted
in batches of 30 consecutive events (30 different people: every lane is a burst of one, the
worst case for the lease) round robin over the dispatchers; timed until every row is done.
Rows: in-memory lanes (``shared=False``, the one-process mode) in one dispatcher; shared
mode in one dispatcher; shared mode in three dispatchers, each on a pool of its own, all in
this one process (so this shows the lease's overhead, not the gain of more CPUs). The
server is the tests' throwaway cluster (fsync off).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef, Envelope, Inbound, Reply, Text
from bot.domain.results import SendResult, Sent
from bot.engine.ports import Progress
from bot.schedule.inbox import Dispatcher
from bot.store.backends import open_database
from bot.store.database import Database
from bot.store.stores import Stores
from tests.support.postgres import PostgresServer, find_bindir

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BATCH = 30


class Coach:
    async def handle(self, where: ConversationRef, inbound: Inbound) -> list[Reply]:
        return [Reply("r", "ok")]

    def text(self, key: str, **values: object) -> str:
        return key

    def command_menu(self) -> list[tuple[str, str]]:
        return []


@dataclass
class Platform:
    shown: list[str] = field(default_factory=list)
    platform: str = "telegram"

    async def send(
        self, to: ConversationRef, replies: Sequence[Reply], idempotency_key: str, *,
        progress: Progress | None = None, answering: str = "", wait: float = 0.0,
    ) -> SendResult:
        assert progress is not None
        for reply in replies[len(progress.sent):]:
            self.shown.append(reply.text)
            await progress.record(f"m{len(self.shown)}", last=reply is replies[-1])
        return Sent(tuple(progress.sent))


async def never(wake: asyncio.Event, seconds: float) -> None:
    """The dispatchers' own scan loop rests throughout (nothing is stranded here)."""
    await asyncio.Event().wait()


def event(number: int, person: int) -> Envelope:
    ref = ConversationRef("telegram", str(person), str(person))
    return Envelope("telegram", str(number), ref, Text("hello"))


async def drain(server: PostgresServer, processes: int, shared: bool, events: int,
                people: int) -> float:
    url = await server.new_database()
    clock, platform = FakeClock(START), Platform()
    dbs: list[Database] = []
    dispatchers: list[Dispatcher] = []
    for _ in range(processes):
        db = await open_database(url, pool_max=10)
        dispatcher = Dispatcher(Stores.over(db), Coach(), clock,
                                {"telegram": platform}, shared=shared, nap=never)
        dispatcher.start()
        dbs.append(db)
        dispatchers.append(dispatcher)
    try:
        began = time.perf_counter()
        for start in range(0, events, BATCH):
            dispatcher = dispatchers[(start // BATCH) % processes]
            await dispatcher.accept([event(n + 1, n % people)
                                     for n in range(start, min(start + BATCH, events))])
        while True:
            await asyncio.gather(*(d.idle() for d in dispatchers))
            if await dispatchers[0].inbox.counts() == {"done": events}:
                break
        took = time.perf_counter() - began
        assert len(platform.shown) == events
        return took
    finally:
        for dispatcher in dispatchers:
            await dispatcher.stop(1.0)
        for db in dbs:
            await db.close()


async def main(events: int, people: int, rounds: int) -> None:
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries: run `make postgres`")
    server = PostgresServer(bindir)
    server.start()
    try:
        await server.make_template()
        print(f"{events} events of {people} people, best of {rounds}\n")
        print("| lanes | dispatchers | seconds | events/s |")
        print("|---|---|---|---|")
        for label, processes, shared in (("in memory", 1, False), ("shared (leases)", 1, True),
                                         ("shared (leases)", 3, True)):
            best = min([await drain(server, processes, shared, events, people)
                        for _ in range(rounds)])
            print(f"| {label} | {processes} | {best:.2f} | {events / best:.0f} |")
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.people, args.rounds))

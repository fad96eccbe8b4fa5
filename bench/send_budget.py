"""Benchmark: the send budget several processes share on PostgreSQL (issue 15).

  python -m bench.send_budget [--seconds 10]     (about 20 s; prints the figures)

On the tests' throwaway PostgreSQL: what one ``take`` costs (a reply's upsert; a refused
reminder's UPDATE), then three ``TelegramRateLimiter``s on three pools (three processes'
worth, in one event loop) each sending reminders as fast as they are let on the real clock
for ``--seconds``, while someone writes four times a second (a reply from each limiter in
turn). Reported: messages a second together (the budget is 30), the most granted starts
in any second and the smallest gap between them (the budget's pace), the most actual
starts in any second (timer lateness included), the replies' waits, statements a message.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from itertools import pairwise

from bot.adapters.telegram import RateLimits, TelegramRateLimiter
from bot.adapters.telegram.ratelimit import replying
from bot.domain.send_budget import SendSlot
from bot.store.postgres import PostgresDatabase
from bot.store.send_budget import SharedSendBudget
from tests.support.postgres import PostgresServer, find_bindir


class Recording:
    """A budget that notes every start it grants (seconds since the epoch)."""

    def __init__(self, budget: SharedSendBudget, granted: list[float]) -> None:
        self.budget = budget
        self.granted = granted

    async def take(self, now: datetime, *, replying: bool) -> SendSlot:
        slot = await self.budget.take(now, replying=replying)
        if slot.granted:
            self.granted.append(now.timestamp() + slot.wait)
        return slot


def most_in_a_second(instants: list[float]) -> int:
    """Most instants in any window a hair under a second (starts exactly 1/30 s apart put
    the 31st at 1.000 s, outside Telegram's second)."""
    ordered = sorted(instants)
    return max(sum(1 for x in ordered[i:] if x < a + 1.0 - 1e-4)
               for i, a in enumerate(ordered))


async def cost(pool: PostgresDatabase, rounds: int = 2000) -> tuple[float, float]:
    """Milliseconds a reply's take and a refused reminder's take cost, one after another."""
    reply = SharedSendBudget(pool, "cost-reply", 1e9)
    began = time.perf_counter()
    for _ in range(rounds):
        await reply.take(datetime.now(UTC), replying=True)
    reply_ms = (time.perf_counter() - began) / rounds * 1000
    refused = SharedSendBudget(pool, "cost-refused", 0.001)
    await refused.take(datetime.now(UTC), replying=False)
    began = time.perf_counter()
    for _ in range(rounds):
        await refused.take(datetime.now(UTC), replying=False)
    return reply_ms, (time.perf_counter() - began) / rounds * 1000


async def measure(server: PostgresServer, seconds: float) -> None:
    await server.make_template()
    url = await server.new_database()
    pools = [await PostgresDatabase.open(url, pool_max=3, migrate=False) for _ in range(3)]
    try:
        reply_ms, refused_ms = await cost(pools[0])
        print(f"one take: a reply {reply_ms:.2f} ms, a refused reminder {refused_ms:.2f} ms")
        budgets = [SharedSendBudget(p, "telegram", 30) for p in pools]
        granted: list[float] = []
        limiters = [TelegramRateLimiter(RateLimits(in_flight=10), budget=Recording(b, granted))
                    for b in budgets]
        started: list[float] = []
        waits: list[float] = []
        stop = time.monotonic() + seconds

        async def send(limiter: TelegramRateLimiter, chat: int) -> None:
            async def request() -> bool:
                started.append(time.monotonic())
                return True

            await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": chat},
                                          None)

        async def remind(limiter: TelegramRateLimiter, chat: int) -> None:
            while time.monotonic() < stop:
                await send(limiter, chat)
                chat += 1

        async def answer() -> None:
            await asyncio.sleep(0.5)
            n = 0
            while time.monotonic() < stop - 0.3:
                asked = time.monotonic()
                with replying():
                    await send(limiters[n % 3], 900_000 + n)
                waits.append(time.monotonic() - asked)
                n += 1
                await asyncio.sleep(0.25)

        began = time.monotonic()
        await asyncio.gather(*(remind(lim, 1000 * (n + 1)) for n, lim in enumerate(limiters)),
                             answer())
        took = time.monotonic() - began
        gaps = [b - a for a, b in pairwise(sorted(granted))]
        statements = sum(b.statements for b in budgets)
        print(f"three processes, {took:.1f} s: {len(started)} messages,"
              f" {len(started) / took:.2f} a second (the budget: 30)")
        print(f"granted starts: at most {most_in_a_second(granted)} in any second, never"
              f" closer than {min(gaps) * 1000:.2f} ms")
        print(f"actual starts (timers' lateness included): at most"
              f" {most_in_a_second(started)} in any second")
        print(f"replies: {len(waits)}, waited {statistics.median(waits) * 1000:.1f} ms median,"
              f" {max(waits) * 1000:.1f} ms at most")
        print(f"statements: {statements / len(started):.2f} a message")
    finally:
        for pool in pools:
            await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries (run `make postgres`)")
    server = PostgresServer(bindir)
    server.start()
    try:
        asyncio.run(measure(server, args.seconds))
    finally:
        server.stop()


if __name__ == "__main__":
    main()

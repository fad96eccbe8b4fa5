"""What the service's metrics cost: updates per second through the real TelegramAdapter and
the real coach and the durable inbox, with and without the metered wiring of ``kneecoach
run`` (the inbox's coach port timed and counted, the screener counting levels, a scrape of
/metrics after each round),
side by side in one run.

    python -m bench.metrics_overhead [--updates N] [--users N] [--repeats R] [--warmup N]

Both rows use the same loopback fake Bot API, the same script of messages (each person
starts with /start), their own fresh SQLite file, and are interleaved (plain, metered,
plain, metered...) so a shared machine's drift hits both; each reports its median and the
overhead is 1 - metered/plain of the medians. Target: under 5%.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from bench.telegram_updates import USER_BASE, WARMUP_USER_BASE, Run, run_adapter, script
from bot.assembly import open_coach
from bot.content import load_bundle
from bot.domain.clock import SystemClock
from bot.domain.events import ConversationRef, Inbound, Reply, Text
from bot.engine.ports import CoachPort
from bot.engine.screener import Screener
from bot.service.wiring import Service
from bot.store.stores import Stores
from tests.fakes.telegram_api import FakeTelegram

TARGET = 0.05


@contextlib.asynccontextmanager
async def coach_port(
    metered: bool,
) -> AsyncIterator[tuple[CoachPort, Stores, Service | None]]:
    bundle = load_bundle()
    with tempfile.TemporaryDirectory() as tmp:
        if not metered:
            coach = await open_coach(Path(tmp) / "bench.db", bundle=bundle)
            try:
                yield coach, coach.stores, None
            finally:
                await coach.close()
            return
        service = Service(SystemClock())
        service.platforms(["telegram"])
        coach = await open_coach(Path(tmp) / "bench.db", bundle=bundle,
                                 screener=service.count_screens(Screener(bundle.rules)))
        try:
            yield service.coach_port(coach), coach.stores, service
        finally:
            await coach.close()


async def one_round(metered: bool, messages: list[tuple[int, str]],
                    warmup: list[tuple[int, str]], concurrency: int) -> Run:
    async with FakeTelegram() as server, coach_port(metered) as (port, stores, service):
        run = await run_adapter(server, messages, warmup, port, stores, concurrency, None)
        if service is not None:
            service.metrics.exposition()  # what a scrape costs, once a round
        return run


class NoopCoach:
    """A coach that answers at once: what is left is the wrapper's own cost."""

    def __init__(self) -> None:
        self.reply = [Reply(key="k", text="ok")]

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        return self.reply

    def text(self, key: str, **values: object) -> str:
        return key

    def command_menu(self) -> list[tuple[str, str]]:
        return []


async def wrapper_cost(calls: int, rounds: int) -> tuple[float, float]:
    """Microseconds per handled update: (plain no-op coach, the same behind MeteredCoach),
    medians of interleaved rounds."""
    metered = Service(SystemClock()).coach_port(NoopCoach())
    plain = NoopCoach()
    ref = ConversationRef("telegram", "1", "1")
    message = Text("hello")
    times: dict[str, list[float]] = {"plain": [], "metered": []}
    for _ in range(rounds):
        for name, port in (("plain", plain), ("metered", metered)):
            started = time.perf_counter()
            for _ in range(calls):
                await port.handle(ref, message)
            times[name].append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(times["plain"]), statistics.median(times["metered"])


async def main_async(args: argparse.Namespace) -> int:
    plain_us, metered_us = await wrapper_cost(20_000, 7)
    print(f"MeteredCoach around a coach that answers at once: {metered_us - plain_us:.1f} us "
          f"per update ({plain_us:.1f} us plain, {metered_us:.1f} us metered)", flush=True)
    if args.micro_only:
        return 0
    messages = script(args.users, args.updates, USER_BASE)
    warmup = script(10, args.warmup, WARMUP_USER_BASE) if args.warmup else []
    rates: dict[bool, list[float]] = {False: [], True: []}
    for n in range(args.repeats):
        for metered in (False, True) if n % 2 == 0 else (True, False):
            run = await one_round(metered, messages, warmup, args.concurrency)
            rates[metered].append(run.rate)
            print(f"round {n + 1} {'metered' if metered else 'plain  '}: "
                  f"{run.rate:8.1f} updates/s", flush=True)
    plain, metered = (statistics.median(rates[k]) for k in (False, True))
    overhead = 1 - metered / plain
    print(f"\nPython {platform.python_version()}, {args.updates} updates from {args.users} "
          f"people, concurrency {args.concurrency}, {args.repeats} rounds each")
    print("| setup | updates/s (median) | min | max |")
    print("|---|---|---|---|")
    for name, key in (("plain", False), ("metered", True)):
        print(f"| {name} | {statistics.median(rates[key]):.1f} | {min(rates[key]):.1f} | "
              f"{max(rates[key]):.1f} |")
    print(f"\noverhead of the metrics: {overhead * 100:.1f}% (target under "
          f"{TARGET * 100:.0f}%): {'met' if overhead < TARGET else 'NOT met'}")
    per_update = 1e6 / plain
    print(f"the wrapper's own cost against the plain median's {per_update:.0f} us per update: "
          f"{(metered_us - plain_us) / per_update * 100:.2f}%")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--micro-only", action="store_true",
                        help="only the wrapper's own cost per update")
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())

"""Proactive delivery on Telegram: N daily reminders due in the same minute, through the real
ticker, delivery worker and ``TelegramAdapter.send``, against a fake Bot API that enforces
Telegram's broadcast limit.

    python -m bench.telegram_delivery [--reminders 3000] [--limit 30] [--latency-ms MS]
                                      [--in-flight N] [--worker-concurrency C]

The store is built directly in a fresh SQLite file (as bench/scheduler_bench.py does): N
people on platform "telegram" (chat id = user id) with a started programme and a 07:30
Europe/London reminder due within the same minute. The coach's clock starts one minute after
that and then follows real time, so a retry the worker schedules "in 3 s" really waits 3 s.
The first tick claims every reminder into the outbox and drains it: each row is composed by
the coach (the daily prompt: two messages, the session and its question) and sent by the
adapter with Telegram's default limits. Further ticks run, as the production ticker would,
while rows are waiting for a retry.

The fake answers at once but refuses (429, retry_after) any message above ``--limit`` in a
sliding one-second window. Reported: messages sent, wall time, the sustained rate (first to
last accepted message) as a share of the limit, the busiest one-second window seen by the
fake, 429s provoked and outbox rows lost (not 'sent'). Targets: sustained >= 95% of the
limit, no 429, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import inspect
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import telegram

from bench.seed import Runner, seed_runners
from bot.domain.timefmt import from_db

DUE_MINUTE = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # 07:30 in London (GMT), a Monday
SENDS = ("sendMessage", "sendPhoto")
TARGET_SHARE = 0.95


class RealTimeClock:
    """Starts at ``start`` and then moves with the wall clock (monotonic)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


async def build_store(path: Path, reminders: int) -> None:
    """``reminders`` telegram users, each with a started programme and a reminder due in
    the same minute (07:30:00-07:30:59 UTC, 07:30 in London)."""
    await seed_runners(
        path,
        [Runner(n, "telegram", "07:30", "Europe/London", DUE_MINUTE + timedelta(seconds=n % 60))
         for n in range(1, reminders + 1)],
        created=DUE_MINUTE - timedelta(days=1),
    )


@dataclass
class Result:
    reminders: int
    messages: int
    wall: float
    sustained: float
    busiest_window: int
    first_message_after: float
    rate_limited: int
    lost: int
    statuses: dict[str, int]
    ticks: int
    worker_concurrency: int | None


def busiest_window(times: list[float]) -> int:
    """The most accepted messages in any one-second window (as the fake counts them)."""
    best = 0
    for i, t in enumerate(times):
        j = bisect.bisect_right(times, t + 1.0 - 1e-9)
        best = max(best, j - i)
    return best


async def run(args: argparse.Namespace, path: Path) -> Result:
    from bot.adapters.telegram import RateLimits
    from bot.assembly import open_coach
    from bot.schedule.ticker import Ticker
    from bot.schedule.worker import DeliveryWorker
    from tests.fakes.telegram_api import FakeTelegram, running_adapter

    clock = RealTimeClock(DUE_MINUTE + timedelta(minutes=1))
    coach = await open_coach(path, clock=clock)
    try:
        async with FakeTelegram() as server:
            server.rate_limit(args.limit)
            server.latency = args.latency_ms / 1000
            limits = RateLimits(messages_per_second=float(args.limit), in_flight=args.in_flight)
            async with running_adapter(server, coach, rate_limits=limits) as adapter:
                extra = {}
                accepts = inspect.signature(DeliveryWorker).parameters
                if args.worker_concurrency is not None and "concurrency" in accepts:
                    extra["concurrency"] = args.worker_concurrency
                worker = DeliveryWorker(coach.stores, coach, {"telegram": adapter}, clock, **extra)
                ticker = Ticker(coach.stores.outbox, worker, clock)
                before = len(server.calls)
                start = time.monotonic()
                ticks = 0
                while True:
                    await ticker.tick()
                    ticks += 1
                    row = await coach.stores.db.fetchone(
                        "SELECT min(next_attempt) FROM outbox WHERE status IN ('pending','sending')"
                    )
                    if row is None or row[0] is None:
                        break
                    wait = (from_db(str(row[0])) - clock.now()).total_seconds()
                    await asyncio.sleep(max(0.0, min(wait, 5.0)))  # the ticker's interval
                wall = time.monotonic() - start
                sent = [c for c in server.calls[before:] if c.method in SENDS]
                rate_limited = server.rate_limited
            rows = await coach.stores.db.fetchall(
                "SELECT status, count(*) FROM outbox WHERE kind='daily' GROUP BY status"
            )
    finally:
        await coach.close()
    statuses = {str(r[0]): int(r[1]) for r in rows}
    times = sorted(c.at for c in sent)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return Result(
        reminders=args.reminders,
        messages=len(sent),
        wall=wall,
        sustained=(len(times) - 1) / span if span > 0 else 0.0,
        busiest_window=busiest_window(times),
        first_message_after=(times[0] - start) if times else float("nan"),
        rate_limited=rate_limited,
        lost=args.reminders - statuses.get("sent", 0),
        statuses=statuses,
        ticks=ticks,
        worker_concurrency=extra.get("concurrency", getattr(worker, "concurrency", None)),
    )


def report(args: argparse.Namespace, r: Result) -> str:
    share = r.sustained / args.limit
    rows = [
        ("reminders due in the same minute", f"{r.reminders:,}", ""),
        ("messages sent (2 per reminder)", f"{r.messages:,}", f"expected {2 * r.reminders:,}"),
        (
            "wall time, first tick to drained",
            f"{r.wall:.1f} s",
            f"first message after {r.first_message_after:.2f} s; {r.ticks} tick(s)",
        ),
        (
            "sustained rate (first to last message)",
            f"{r.sustained:.2f} msg/s = {share:.1%} of {args.limit}/s",
            f"target >= {TARGET_SHARE:.0%}: {'met' if share >= TARGET_SHARE else 'NOT met'}",
        ),
        (
            "busiest one-second window",
            f"{r.busiest_window} messages",
            f"the fake refuses more than {args.limit}",
        ),
        ("429s provoked", f"{r.rate_limited}", f"target 0: {_ok(r.rate_limited == 0)}"),
        (
            "outbox rows lost (not 'sent')",
            f"{r.lost}",
            f"target 0: {_ok(r.lost == 0)}; statuses {r.statuses}",
        ),
    ]
    out = ["| measure | result | note |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(out)


def _ok(flag: bool) -> str:
    return "met" if flag else "NOT met"


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "delivery.db"
        t0 = time.perf_counter()
        await build_store(path, args.reminders)
        built = time.perf_counter() - t0
        result = await run(args, path)
    print(
        f"Telegram delivery: {args.reminders:,} daily reminders due in one minute, real ticker"
        f" + DeliveryWorker (concurrency {result.worker_concurrency}) + TelegramAdapter.send"
        f" with Telegram's limits ({args.in_flight} in flight), fake Bot API refusing more"
        f" than {args.limit} messages in any"
        f" sliding second, answering after {args.latency_ms:g} ms"
        f" (store built in {built:.1f} s; Python {platform.python_version()},"
        f" python-telegram-bot {telegram.__version__})\n"
    )
    print(report(args, result))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.telegram_delivery",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--reminders", type=int, default=3000)
    parser.add_argument("--limit", type=int, default=30, help="messages per sliding second")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay every Bot API answer by this much (a remote API; 0: answer at once)",
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=1,
        help="messages sent and not yet recorded, at most (TELEGRAM_IN_FLIGHT; default 1)",
    )
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=None,
        help="rows the delivery worker serves at once (default: the worker's own)",
    )
    args = parser.parse_args(argv)
    if args.reminders < 1 or args.limit < 2 or args.latency_ms < 0:
        parser.error("--reminders must be positive, --limit at least 2, --latency-ms >= 0")
    if args.worker_concurrency is not None and args.worker_concurrency < 1:
        parser.error("--worker-concurrency must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

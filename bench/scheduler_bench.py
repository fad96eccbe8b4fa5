"""Benchmark: 100,000 scheduled runners.

  python -m bench.scheduler_bench            (about a minute; prints a Markdown table)

Each measurement runs in a fresh child process so its RSS is its own:
- kneecoach: open the store holding 100,000 reminders and build the coach and the ticker
  (start-up time, RSS), then claim 10,000 reminders due in the same minute into the outbox.
- jobs: the same 100,000 reminders as one APScheduler cron job each, in their own zones,
  as a typical python-telegram-bot JobQueue bot does (start-up time, RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.seed import Runner, seed_runners

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Europe/Berlin",
    "America/Los_Angeles",
    "UTC",
]
NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def build_store(path: Path, users: int, due_together: int) -> None:
    rng = random.Random(7)
    due_minute = NOW + timedelta(minutes=30)
    runners = []
    for n in range(1, users + 1):
        if n <= due_together:
            due = due_minute + timedelta(seconds=rng.randrange(60))
        else:
            due = NOW + timedelta(hours=1, minutes=rng.randrange(23 * 60))
        local_time = f"{rng.randrange(5, 22):02d}:{rng.choice([0, 15, 30, 45]):02d}"
        runners.append(Runner(n, "telegram", local_time, ZONES[n % len(ZONES)], due))
    await seed_runners(path, runners, created=NOW)


async def child_kneecoach(path: Path) -> dict[str, float]:
    base = rss_mib()
    t0 = time.perf_counter()
    from bot.assembly import open_coach
    from bot.domain.clock import FakeClock
    from bot.schedule.sweep import sweep
    from bot.schedule.ticker import Ticker
    from bot.schedule.worker import DeliveryWorker

    clock = FakeClock(NOW)
    coach = await open_coach(path, clock=clock)
    ticker = Ticker(coach.stores.outbox, DeliveryWorker(coach.stores, coach, {}, clock), clock)
    await ticker.tick()  # the start-up catch-up (nothing due yet)
    startup = time.perf_counter() - t0
    rss_started = rss_mib()
    claim_at = NOW + timedelta(minutes=31)
    t1 = time.perf_counter()
    result = await sweep(coach.stores.outbox, claim_at)
    claim = time.perf_counter() - t1
    count = await coach.stores.db.fetchone("SELECT count(*) FROM outbox")
    rss_claimed = rss_mib()
    import discord  # noqa: F401  - what `kneecoach run` also loads
    import telegram.ext  # noqa: F401

    rss_platforms = rss_mib()
    await coach.close()
    return {
        "startup_s": startup,
        "rss_mib": rss_started,
        "rss_after_claim_mib": rss_claimed,
        "rss_with_platform_libs_mib": rss_platforms,
        "python_baseline_mib": base,
        "claimed": result.claimed,
        "outbox_rows": float(count[0]) if count else 0.0,
        "claim_s": claim,
    }


async def child_jobs(users: int) -> dict[str, float]:
    base = rss_mib()
    t0 = time.perf_counter()
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    rng = random.Random(7)

    async def remind(user_id: int) -> None:
        return None

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    for n in range(1, users + 1):
        hour, minute = rng.randrange(5, 22), rng.choice([0, 15, 30, 45])
        scheduler.add_job(
            remind,
            CronTrigger(hour=hour, minute=minute, timezone=ZONES[n % len(ZONES)]),
            args=(n,),
            id=f"reminder-{n}",
            replace_existing=True,
        )
    scheduler.resume()
    await asyncio.sleep(0)
    startup = time.perf_counter() - t0
    rss = rss_mib()
    scheduler.shutdown(wait=False)
    return {"startup_s": startup, "rss_mib": rss, "python_baseline_mib": base, "jobs": float(users)}


def run_child(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.scheduler_bench", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--child", choices=["kneecoach", "jobs"])
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child == "kneecoach":
        print(json.dumps(asyncio.run(child_kneecoach(Path(args.db)))))
        return
    if args.child == "jobs":
        print(json.dumps(asyncio.run(child_jobs(args.users))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        asyncio.run(build_store(db, args.users, args.due))
        built = time.perf_counter() - t0
        ours = run_child(["--child", "kneecoach", "--db", str(db)])
        size = os.path.getsize(db) / 2**20
    theirs = run_child(["--child", "jobs", "--users", str(args.users)])
    ratio = theirs["rss_mib"] / ours["rss_mib"]
    extra_ours = ours["rss_mib"] - ours["python_baseline_mib"]
    extra_theirs = theirs["rss_mib"] - theirs["python_baseline_mib"]
    print(
        f"Scheduler benchmark: {args.users:,} scheduled users, {args.due:,} due in one minute"
        f" (store built in {built:.1f} s, {size:.0f} MiB on disk)\n"
    )
    print("| measure | Kneecoach (store + one tick job) | one APScheduler job per user |")
    print("|---|---|---|")
    print(f"| start-up | {ours['startup_s']:.2f} s | {theirs['startup_s']:.2f} s |")
    print(
        f"| process RSS after start-up | {ours['rss_mib']:.1f} MiB | {theirs['rss_mib']:.1f} MiB |"
    )
    print(f"| RSS above a bare interpreter | {extra_ours:.1f} MiB | {extra_theirs:.1f} MiB |")
    print(f"| RSS after the claim | {ours['rss_after_claim_mib']:.1f} MiB | n/a |")
    print(
        f"| RSS with python-telegram-bot and discord.py loaded too"
        f" | {ours['rss_with_platform_libs_mib']:.1f} MiB | n/a |"
    )
    print(
        f"| claim {args.due:,} due reminders into the outbox | {ours['claim_s']:.3f} s"
        f" ({ours['claimed']:.0f} claimed, {ours['outbox_rows']:.0f} rows) | n/a |"
    )
    print(
        f"\nMemory ratio (whole process): {ratio:.1f}x less; "
        f"above the interpreter: {extra_theirs / max(extra_ours, 0.1):.1f}x less."
    )


if __name__ == "__main__":
    main()

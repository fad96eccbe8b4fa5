"""One sweeping process for the multi-process claim test (tests/e2e/test_several_processes.py):
the real ``OutboxStore.claim_due`` with the real plan (``bot.schedule.sweep``), on a
PostgreSQL database shared with other such processes.

    python -m tests.support.claimer URL|FILE NOW [--first N] [--stall-after K] [--on-go]

Prints ``claimed <n>`` after each call that returned (its batches are committed).
``--first N``: claim at most N first (and say so), then go on. ``--stall-after K``: in the
next claim, stop dead after planning K reminders (inside a transaction holding its batch
locked), print ``stalled`` and wait to be killed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date, datetime
from pathlib import Path

from bot.schedule.sweep import plan_club, plan_reminder
from bot.store.backends import open_database
from bot.store.outbox import OutboxStore


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("now")
    parser.add_argument("--first", type=int)
    parser.add_argument("--stall-after", type=int)
    parser.add_argument("--on-go", action="store_true",
                        help="print 'ready', wait for a line on stdin, then claim and time it")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now)
    target = args.url if "://" in args.url else Path(args.url)
    db = await open_database(target, migrate=False, pool_max=2)
    outbox = OutboxStore(db)
    if args.on_go:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        cpu, start = time.process_time(), time.perf_counter()
        claimed = await outbox.claim_due(now, plan_reminder, plan_club)
        print(f"claimed {claimed.reminders} seconds {time.perf_counter() - start:.3f}"
              f" cpu {time.process_time() - cpu:.3f} end {time.time():.3f}", flush=True)
        await db.close()
        return
    if args.first:
        claimed = await outbox.claim_due(now, plan_reminder, plan_club, args.first)
        print(f"claimed {claimed.reminders}", flush=True)
    if args.stall_after is not None:
        planned = 0

        def stalling(*given: object) -> tuple[date, datetime, datetime]:
            nonlocal planned
            planned += 1
            if planned > args.stall_after:
                print("stalled", flush=True)
                time.sleep(3600)  # frozen inside the batch's transaction: killed here
            return plan_reminder(*given)  # type: ignore[arg-type]

        claimed = await outbox.claim_due(now, stalling, plan_club)
        print(f"claimed {claimed.reminders}", flush=True)
        return
    claimed = await outbox.claim_due(now, plan_reminder, plan_club)
    print(f"claimed {claimed.reminders}", flush=True)
    await db.close()


if __name__ == "__main__":
    asyncio.run(main())

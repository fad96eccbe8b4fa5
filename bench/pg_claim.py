"""Benchmark: claiming 10,000 due reminders among 100,000, SQLite against 1, 2 and 4
processes on one PostgreSQL, in the same run.

  python -m bench.pg_claim [--rounds 3]     (a few minutes; prints a Markdown table)

The population is bench.scheduler_bench's (seed 7, 8 zones, 10,000 due in one minute).
Each process is tests/support/claimer.py: the real ``OutboxStore.claim_due`` with the
sweep's own plan; it opens the store, says ready, and claims when told to go, so start-up
is not timed. Wall: from "go" to the last process done. The PostgreSQL server is the tests'
throwaway cluster (fsync off: SQLite here runs WAL with synchronous=NORMAL). Every round
checks the claims add up to 10,000 and the outbox holds 10,000 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import asyncpg

from bench.scheduler_bench import NOW, build_store
from bot.store.backends import open_database
from tests.support.postgres import PostgresServer, find_bindir

ROOT = Path(__file__).resolve().parents[1]
USERS, DUE = 100_000, 10_000
CLAIM_AT = NOW + timedelta(minutes=31)


async def claim_with(target: str, processes: int) -> tuple[float, float, int]:
    """Wall seconds from go to the last claim done, client CPU seconds, reminders claimed."""
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.claimer", target, CLAIM_AT.isoformat(),
            "--on-go", cwd=ROOT, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        assert (await child.stdout.readline()).strip() == b"ready"
    go = time.time()
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        await child.stdin.drain()
    ends, cpu, claimed = [], 0.0, 0
    for child in children:
        out, _ = await child.communicate()
        fields = out.decode().split()
        claimed += int(fields[1])
        cpu += float(fields[5])
        ends.append(float(fields[7]))
    return max(ends) - go, cpu, claimed


async def outbox_rows(target: str | Path) -> int:
    db = await open_database(target)
    try:
        row = await db.fetchone("SELECT count(*) FROM outbox")
        return int(row[0]) if row else 0
    finally:
        await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (see tests/support/postgres.py)")
    server = PostgresServer(bindir)
    work = Path(tempfile.mkdtemp(prefix="kneecoach-claim-"))
    try:
        server.start()
        await server.make_template()
        seeded = work / "seeded.db"
        await build_store(seeded, USERS, DUE)
        url = await server.new_database()
        await build_store(url, USERS, DUE)  # type: ignore[arg-type]
        admin = await asyncpg.connect(server.url())
        await admin.execute(f"ALTER DATABASE {url.rsplit('/', 1)[1]} IS_TEMPLATE true")
        results: dict[str, list[tuple[float, float]]] = {}
        for round_no in range(args.rounds):
            copy = work / f"round{round_no}.db"
            shutil.copy(seeded, copy)
            wall, cpu, claimed = await claim_with(str(copy), 1)
            assert claimed == DUE and await outbox_rows(copy) == DUE
            results.setdefault("SQLite, 1 process (one transaction)", []).append((wall, cpu))
            copy.unlink()
            for n in counts:
                name = f"kc_round_{round_no}_{n}"
                await admin.execute(
                    f"CREATE DATABASE {name} TEMPLATE {url.rsplit('/', 1)[1]}")
                target = server.url(name)
                wall, cpu, claimed = await claim_with(target, n)
                assert claimed == DUE and await outbox_rows(target) == DUE
                label = f"PostgreSQL, {n} process{'es' if n > 1 else ''} (batches of 500)"
                results.setdefault(label, []).append((wall, cpu))
                await admin.execute(f"DROP DATABASE {name}")
        await admin.close()
        load = os.getloadavg()[0]
        print(f"Claiming {DUE:,} due among {USERS:,}; {args.rounds} rounds; load {load:.1f}\n")
        print("| store | wall median (min-max) | claims/s | client CPU, all processes |")
        print("|---|---|---|---|")
        for label, runs in results.items():
            walls = [w for w, _ in runs]
            median = statistics.median(walls)
            cpu = statistics.median(c for _, c in runs)
            print(f"| {label} | {median:.2f} s ({min(walls):.2f}-{max(walls):.2f}) |"
                  f" {DUE / median:,.0f} | {cpu:.2f} s |")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

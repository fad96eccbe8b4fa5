"""The benchmarks' count of trips to aiosqlite's thread (bench/store_trips.py)."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bench.store_trips import Trips


async def test_every_statement_handed_to_the_thread_is_one_trip_and_only_while_installed(
    tmp_path: Path,
) -> None:
    trips = Trips()
    async with aiosqlite.connect(tmp_path / "t.db") as conn:
        with trips.installed():
            await conn.execute("CREATE TABLE t (x INTEGER)")
            await conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])  # one trip
            await conn.commit()
        assert trips.count == 3
        await conn.execute("SELECT x FROM t")  # not installed any more: not counted
        assert trips.count == 3

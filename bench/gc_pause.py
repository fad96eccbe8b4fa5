"""A full garbage collection with the coach loaded, before and after ``gc.freeze()`` (what
``kneecoach run`` does once it has started: issue 12, lean tails).

    python -m bench.gc_pause
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time


def _full_collection_ms(times: int = 5) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        gc.collect()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


async def main_async() -> None:
    from bot.assembly import open_coach

    coach = await open_coach(":memory:")  # the bundle, the compiled rules, the features
    try:
        gc.collect()
        tracked = len(gc.get_objects())
        before = _full_collection_ms()
        gc.freeze()
        after = _full_collection_ms()
        print(f"objects tracked after start-up: {tracked:,}; a full collection (median of 5):"
              f" {before:.1f} ms before gc.freeze(), {after:.1f} ms after")
    finally:
        gc.unfreeze()
        await coach.close()


if __name__ == "__main__":
    asyncio.run(main_async())

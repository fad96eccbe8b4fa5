"""`make bench`: every benchmark in turn, each in its own process; figures go to stdout
(copy them into BENCHMARKS.md with the date)."""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    ["bench.scheduler_bench"],
    ["bench.telegram_updates"],
    ["bench.inbox_cost"],
    ["bench.telegram_delivery"],
    ["bench.metrics_overhead"],
    ["bench.api_calls"],
]


def main() -> int:
    failed = 0
    for bench in BENCHES:
        print(f"\n## python -m {' '.join(bench)}\n", flush=True)
        result = subprocess.run([sys.executable, "-m", *bench], check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

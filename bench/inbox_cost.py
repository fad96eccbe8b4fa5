"""What the durable inbox costs per update: the backlog workload before and after, side by
side in one run.

    python -m bench.inbox_cost [--before REF] [--rounds R] [--updates N] [--users N]
                               [--warmup N] [--latency-ms MS]

"Before" is the code at ``REF`` (default: the commit before the inbox, e309329), checked out
with ``git archive`` into a temporary folder; "after" is this working tree. Each round runs
the backlog workload with one repeat once in each tree, in its own process
(``python -m bench.telegram_updates`` in the before tree, where it was the only workload;
``python -m bench.telegram_burst``, the same code moved, in this one),
before then after, so drift on a shared machine hits both alike; each side reports the
median of its rounds. Both runs include the bare python-telegram-bot echo bot measured in
the same process, so the ratios to it are comparable across the two trees even when the
machine is busier for one of them.

Before: an update is handled as soon as PTB hands it over (confirmed to Telegram already),
its turn's statements each committed on their own. After: it is kept in the inbox before it
is confirmed, its turn is one transaction that also marks it handled with its replies, each
reply message is recorded as Telegram accepts it, and the row is marked done.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "e309329"
ROWS = {
    "bare": "bare PTB echo bot, sequential",
    "echo": "Kneecoach adapter + echo coach",
    "coach": "Kneecoach adapter + real Coach",
}


@dataclass
class Side:
    name: str
    tree: Path
    rates: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in ROWS})

    def median(self, row: str) -> float:
        return statistics.median(self.rates[row])

    def ratio(self, row: str) -> float:
        """The median, over the rounds, of ``row`` / the bare bot of the same process."""
        return statistics.median(r / b for r, b in zip(self.rates[row], self.rates["bare"],
                                                       strict=True))


def extract(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "archive", ref, "bot", "bench", "tests", "content", "dialogs"],
        cwd=ROOT, check=True, capture_output=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def run_once(side: Side, args: argparse.Namespace) -> None:
    module = "bench.telegram_burst"
    if not (side.tree / "bench" / "telegram_burst.py").exists():  # before the move
        module = "bench.telegram_updates"
    command = [
        sys.executable, "-m", module, "--repeats", "1",
        "--updates", str(args.updates), "--users", str(args.users),
        "--warmup", str(args.warmup), "--latency-ms", str(args.latency_ms),
    ]
    env = {**os.environ, "PYTHONPATH": str(side.tree)}
    done = subprocess.run(command, cwd=side.tree, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side.name} failed:\n{done.stdout}\n{done.stderr}")
    for key, label in ROWS.items():
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith(f"| {label}")),
                    None)
        if line is None:
            raise SystemExit(f"{side.name}: no row {label!r} in\n{done.stdout}")
        cells = [c.strip() for c in line.strip("|").split("|")]
        side.rates[key].append(float(cells[3]))  # updates/s of that run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inbox_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        before = Side(f"before ({args.before})", Path(tmp))
        extract(args.before, before.tree)
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip()
        after = Side(f"after ({head}{' + changes' if dirty else ''})", ROOT)
        for n in range(args.rounds):
            for side in (before, after):
                run_once(side, args)
                print(f"round {n + 1}: {side.name}: "
                      + ", ".join(f"{k} {side.rates[k][-1]:.0f}/s" for k in ROWS),
                      file=sys.stderr, flush=True)

    print(f"The inbox's cost per update: {args.updates} private messages from {args.users} "
          f"people ({args.warmup} warm-up), real coach on SQLite, rate limiters off, fake "
          f"Bot API answering after {args.latency_ms:g} ms; median of {args.rounds} rounds, "
          "before and after interleaved, each run in its own process.\n")
    print("| setup | before: updates/s | after: updates/s | before: ms/update "
          "| after: ms/update | after/before |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, label in ROWS.items():
        b, a = before.median(key), after.median(key)
        print(f"| {label} | {b:.0f} | {a:.0f} | {1000 / b:.2f} | {1000 / a:.2f} "
              f"| {a / b:.2f}x |")
    # On a shared machine the load moves between runs: each run's own bare echo bot says
    # how fast the machine was then. Relative to it, and priced at the bare bot's overall
    # median speed:
    bare = statistics.median(before.rates["bare"] + after.rates["bare"])
    print(f"\nRelative to the bare echo bot of the same run (median of the rounds; ms priced at "
          f"the bare bot's median, {bare:.0f}/s):\n")
    print("| setup | before: x bare | after: x bare | cost of the inbox per update |")
    print("|---|---:|---:|---:|")
    for key in ("echo", "coach"):
        rb, ra = before.ratio(key), after.ratio(key)
        cost = (1 / ra - 1 / rb) * 1000 / bare
        print(f"| {ROWS[key]} | {rb:.2f}x | {ra:.2f}x | {cost:+.2f} ms |")
    for side in (before, after):
        print(f"\n{side.name}, per round (bare / echo / coach updates/s): "
              + "; ".join(f"{b:.0f} / {e:.0f} / {c:.0f}" for b, e, c in zip(
                  side.rates["bare"], side.rates["echo"], side.rates["coach"], strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Score the triage screener on runner descriptions written without sight of its rules.

    python -m bench.triage_blind FILE [FILE ...] [--misses]

Each FILE is YAML: ``cases: [{id, text, expected, lang, ...}]`` with ``expected`` one of
urgent | see_clinician | pfp_program | other_likely. The bars are the ones the safety-net
issue sets: every urgent case caught; >= 95% of see-a-clinician cases referred (urgent
counts); <= 5% of ordinary runner's knee cases alarmed (urgent or see-a-clinician); >= 85%
of other conditions recognised (other_likely). Nothing here tunes anything: it only reads.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ALARM = frozenset({"urgent", "see_clinician"})


@dataclass(frozen=True)
class Bar:
    expected: str
    label: str
    hit: Callable[[str], bool]
    target: str
    passes: Callable[[int, int], bool]


BARS: tuple[Bar, ...] = (
    Bar("urgent", "urgent caught", lambda o: o == "urgent", "all",
        lambda k, n: k == n),
    Bar("see_clinician", "see-a-clinician referred", lambda o: o in ALARM, ">= 95%",
        lambda k, n: n == 0 or k / n >= 0.95),
    Bar("pfp_program", "runner's knee alarmed", lambda o: o in ALARM, "<= 5%",
        lambda k, n: n == 0 or k / n <= 0.05),
    Bar("other_likely", "other conditions recognised", lambda o: o == "other_likely", ">= 85%",
        lambda k, n: n == 0 or k / n >= 0.85),
)


def load_cases(paths: Sequence[Path]) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases.extend(data["cases"])
    return cases


def default_outcome() -> Callable[[str], str]:
    from bot.content import load_bundle
    from bot.engine.triage import Triage

    bundle = load_bundle()
    triage = Triage(bundle.rules, bundle.content().triage)
    return lambda text: triage.triage_text(text).outcome


def score(
    cases: Sequence[dict[str, Any]], outcome: Callable[[str], str]
) -> tuple[list[str], list[tuple[dict[str, Any], str]], bool]:
    lines = ["| measure | cases | result | target | met |", "|---|---:|---:|---|---|"]
    misses: list[tuple[dict[str, Any], str]] = []
    ok = True
    got = {str(c["id"]): outcome(str(c["text"])) for c in cases}
    for bar in BARS:
        group = [c for c in cases if c["expected"] == bar.expected]
        hits = [c for c in group if bar.hit(got[str(c["id"])])]
        met = bar.passes(len(hits), len(group))
        ok = ok and met
        share = f"{len(hits)} ({100 * len(hits) / len(group):.0f}%)" if group else "-"
        lines.append(f"| {bar.label} | {len(group)} | {share} | {bar.target} |"
                     f" {'yes' if met else 'no'} |")
        wanted_hit = bar.expected != "pfp_program"
        misses.extend((c, got[str(c["id"])]) for c in group
                      if bar.hit(got[str(c["id"])]) != wanted_hit)
    foreign = [c for c in cases if c.get("lang", "en") != "en" and c["expected"] == "urgent"]
    if foreign:
        caught = sum(got[str(c["id"])] == "urgent" for c in foreign)
        lines.append(f"| of which not in English, urgent caught | {len(foreign)} | {caught} |"
                     " all | " + ("yes" if caught == len(foreign) else "no") + " |")
    return lines, misses, ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.triage_blind")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true", help="list every case scored wrong")
    args = parser.parse_args(argv)
    cases = load_cases(args.files)
    lines, misses, ok = score(cases, default_outcome())
    print(f"{len(cases)} cases from {', '.join(p.name for p in args.files)}\n")
    print("\n".join(lines))
    if args.misses:
        print()
        for case, got in misses:
            print(f"- {case['id']} expected {case['expected']}, got {got}: {case['text']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""``kneecoach triage "TEXT" [--json]``: screen one description and print the outcome.

All words shown come from ``content/triage.yaml`` (outcome labels, reasons, headings).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from bot.engine.triage import Triage, default_triage

__all__ = ["main", "run_triage"]


def run_triage(text: str, as_json: bool, triage: Triage | None = None) -> tuple[str, int]:
    """Triage ``text``; return (output, exit code 0).

    With ``as_json``: ``{"outcome", "signals", "key", "reasons"}`` as one JSON object.
    Otherwise a short readable summary.
    """
    rules = triage if triage is not None else default_triage()
    result = rules.triage_text(text)
    if as_json:
        payload = {
            "outcome": result.outcome,
            "signals": list(result.signals),
            "key": result.key,
            "reasons": list(result.reasons),
        }
        return json.dumps(payload, ensure_ascii=False), 0

    cli = rules.cli_text
    lines = [
        f"{cli['outcome']}: {rules.label_for(result.outcome)} ({result.key})",
        f"{cli['signals']}:",
        *(f"- {reason}" for reason in result.reasons or (cli["nothing"],)),
        cli["disclaimer"],
    ]
    return "\n".join(lines), 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m bot.triage_cli "TEXT" [--json]``."""
    parser = argparse.ArgumentParser(prog="kneecoach triage")
    parser.add_argument("text", nargs="?", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    text = args.text if args.text is not None else sys.stdin.read()
    output, code = run_triage(text, args.json)
    print(output)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

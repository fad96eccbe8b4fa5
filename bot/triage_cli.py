"""``kneecoach triage "TEXT" [--json]``: screen one description and print the outcome.

All words shown come from ``content/triage.yaml`` (outcome labels, reasons, headings).
"""

from __future__ import annotations

import json

from bot.content import Bundle
from bot.engine.triage import Triage

__all__ = ["run_triage"]


def run_triage(text: str, as_json: bool, bundle: Bundle) -> tuple[str, int]:
    """Triage ``text``; return (output, exit code 0).

    With ``as_json``: ``{"outcome", "signals", "key", "reasons"}`` as one JSON object.
    Otherwise a short readable summary.
    """
    content = bundle.content()
    rules = Triage(bundle.rules, content.triage)
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

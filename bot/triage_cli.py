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

    With ``as_json``: ``{"outcome", "signals", "key", "reasons", "language", "findings",
    "derived"}`` as one JSON object: every phrase matched (counted or not) with the context
    modifiers that apply to it, the rule that gave each one, the words that triggered it
    and why that rule fires, so a clinician can follow every outcome. Otherwise a short
    readable summary.
    """
    content = bundle.content()
    rules = Triage(bundle.rules, content.triage)
    screening = rules.screen(text)
    result = rules.decide(screening.signals)
    if as_json:
        payload = {
            "outcome": result.outcome,
            "signals": list(result.signals),
            "key": result.key,
            "reasons": list(result.reasons),
            "language": rules.screener.detect_language(text),
            "findings": [rules.explain(finding) for finding in screening.findings],
            "derived": list(screening.derived),
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

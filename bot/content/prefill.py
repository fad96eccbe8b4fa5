"""What a runner's own description can suggest for the intake questions
(``content/prefill.yaml``): intake question -> {screener signal: suggested answer}."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Prefill:
    rules: Mapping[str, Mapping[str, str]]

    def suggest(self, signals: set[str]) -> dict[str, str]:
        """Answers suggested by what the runner wrote (confirmed, never assumed)."""
        suggested: dict[str, str] = {}
        for question, mapping in self.rules.items():
            for signal, answer in mapping.items():
                if signal in signals:
                    suggested[question] = answer
                    break
        return suggested


def read_prefill(raw: Any, label: str, problems: list[str]) -> Prefill | None:
    start = len(problems)
    rules: dict[str, dict[str, str]] = {}
    for question, mapping in (raw or {}).items():
        if not isinstance(mapping, dict) or not mapping:
            problems.append(f"{label}: question '{question}': must map signals to answers")
            continue
        rules[str(question)] = {str(k): str(v) for k, v in mapping.items()}
    return None if len(problems) > start else Prefill(rules)

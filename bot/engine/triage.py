"""Triage rules: intake answers and screened free text -> one outcome, with reasons.

The rules are data (``content/triage.yaml``, the bundle's ``rules``): ``answer_rules`` turn
intake answers into signals, ``outcomes`` are checked top to bottom (any urgent signal ->
``urgent``; else any see-a-clinician signal -> ``see_clinician``; else another likely cause
-> ``other_likely``; else a runner's-knee feature -> ``pfp_program``; else ``unclear``), so
a red flag always wins. Reasons are the plain-language sentences of a language's
``content/locales/<lang>/triage.yaml``, one per fired signal, in precedence order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.content.triage import TriageWording
from bot.engine.screener import Finding, Screener, ScreenResult, TriageDataError

__all__ = [
    "OUTCOMES",
    "AnswerRule",
    "OutcomeRule",
    "Triage",
    "TriageResult",
]

OUTCOMES: tuple[str, ...] = ("urgent", "see_clinician", "other_likely", "pfp_program", "unclear")
"""Every triage outcome (docs/DESIGN.md); the reply key is ``safety.<outcome>``."""

KEY_PREFIX = "safety."


@dataclass(frozen=True, slots=True)
class TriageResult:
    """The outcome, the signals that fired (precedence order), one reason per signal,
    and the reply key ``safety.<outcome>``."""

    outcome: str
    signals: tuple[str, ...]
    reasons: tuple[str, ...]
    key: str


@dataclass(frozen=True, slots=True)
class AnswerRule:
    """``signal`` fires when every ``when`` key's answer is one of its values."""

    when: tuple[tuple[str, frozenset[str]], ...]
    signal: str

    def matches(self, answers: Mapping[str, object]) -> bool:
        return all(_answer_text(answers.get(key)) in values for key, values in self.when)


@dataclass(frozen=True, slots=True)
class OutcomeRule:
    """One line of the outcome ladder."""

    outcome: str
    any_level: str | None = None
    any_signal: frozenset[str] = frozenset()
    default: bool = False


def _answer_text(value: object) -> str | None:
    """Normalise an intake answer: ``True``/``False`` -> ``yes``/``no``, text lower-cased."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip().lower()


def _values(value: object, where: str) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    out: set[str] = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise TriageDataError(f"{where}: values must be quoted strings (got {item!r})")
        out.add(str(item).strip().lower())
    return frozenset(out)


class Triage:
    """The triage rules, their screener, and one language's words for them."""

    def __init__(
        self, data: Mapping[str, Any], words: TriageWording, screener: Screener | None = None
    ) -> None:
        self.screener = screener if screener is not None else Screener(data)
        self.words = words
        known = self.screener.signals
        missing = [s for s in known if s not in words.signals]
        if missing:
            raise TriageDataError(f"signals without words (label, reason): {missing}")

        self.answer_rules: tuple[AnswerRule, ...] = tuple(
            self._answer_rule(i, raw, known) for i, raw in enumerate(data.get("answer_rules", []))
        )

        raw_outcomes = data.get("outcomes")
        if not isinstance(raw_outcomes, list) or not raw_outcomes:
            raise TriageDataError("outcomes must be a non-empty list")
        rules = [self._outcome_rule(i, raw, known) for i, raw in enumerate(raw_outcomes)]
        if not rules[-1].default or any(rule.default for rule in rules[:-1]):
            raise TriageDataError("exactly one outcome, the last, must be the default")
        if {rule.outcome for rule in rules} != set(OUTCOMES):
            raise TriageDataError(f"outcomes must cover exactly {OUTCOMES}")
        self.outcome_rules: tuple[OutcomeRule, ...] = tuple(rules)
        self.cli_text: dict[str, str] = words.cli.model_dump()

    @staticmethod
    def _answer_rule(index: int, raw: object, known: Mapping[str, object]) -> AnswerRule:
        where = f"answer_rules[{index}]"
        if not isinstance(raw, Mapping):
            raise TriageDataError(f"{where} must be a mapping")
        signal = raw.get("signal")
        when = raw.get("when")
        if signal not in known:
            raise TriageDataError(f"{where}.signal {signal!r} is not a known signal")
        if not isinstance(when, Mapping) or not when:
            raise TriageDataError(f"{where}.when must be a non-empty mapping")
        conditions = tuple(
            (str(key), _values(value, f"{where}.when.{key}")) for key, value in when.items()
        )
        return AnswerRule(when=conditions, signal=str(signal))

    def _outcome_rule(
        self, index: int, raw: object, known: Mapping[str, object]
    ) -> OutcomeRule:
        where = f"outcomes[{index}]"
        if not isinstance(raw, Mapping):
            raise TriageDataError(f"{where} must be a mapping")
        outcome = raw.get("outcome")
        if outcome not in OUTCOMES:
            raise TriageDataError(f"{where}.outcome {outcome!r} is not one of {OUTCOMES}")
        level = raw.get("any_level")
        if level is not None and level not in self.screener.level_order:
            raise TriageDataError(f"{where}.any_level {level!r} is not a level")
        signals_raw = raw.get("any_signal", [])
        if not isinstance(signals_raw, list):
            raise TriageDataError(f"{where}.any_signal must be a list")
        unknown = [s for s in signals_raw if s not in known]
        if unknown:
            raise TriageDataError(f"{where}.any_signal has unknown signals {unknown}")
        default = bool(raw.get("default", False))
        if not default and level is None and not signals_raw:
            raise TriageDataError(f"{where} needs any_level, any_signal or default")
        return OutcomeRule(
            outcome=str(outcome),
            any_level=None if level is None else str(level),
            any_signal=frozenset(str(s) for s in signals_raw),
            default=default,
        )

    # ------------------------------------------------------------------ rules

    def signals_from_answers(self, answers: Mapping[str, object]) -> list[str]:
        """Signals implied by intake answers, in precedence order."""
        return self.screener.order(
            rule.signal for rule in self.answer_rules if rule.matches(answers)
        )

    def outcome_for(self, signals: Iterable[str]) -> str:
        """The outcome of the first rule of the ladder that holds for ``signals``."""
        fired = set(signals)
        levels = {self.screener.signals[s].level for s in fired}
        for rule in self.outcome_rules:
            if rule.default:
                return rule.outcome
            if rule.any_level is not None and rule.any_level in levels:
                return rule.outcome
            if rule.any_signal & fired:
                return rule.outcome
        raise AssertionError("the outcome ladder always ends with a default")

    def reason_for(self, signal: str) -> str:
        """The plain-language reason sentence for ``signal``."""
        return self.words.signals[signal].reason.strip()

    def label_for(self, outcome: str) -> str:
        """The short label of ``outcome`` (for summaries)."""
        return self.words.outcomes[outcome]

    def level(self, signal: str) -> str:
        """The level of a signal (``urgent`` ... ``advice``)."""
        spec = self.screener.signals.get(signal)
        return spec.level if spec else "feature"

    def decide(self, signals: Iterable[str]) -> TriageResult:
        """Triage a set of signal ids (unknown ids raise ``KeyError``); the ``derive`` rules
        add the signals that follow from them."""
        fired = set(signals)
        ordered = tuple(self.screener.order(fired | set(self.screener.derive(fired))))
        outcome = self.outcome_for(ordered)
        return TriageResult(
            outcome=outcome,
            signals=ordered,
            reasons=tuple(self.reason_for(s) for s in ordered),
            key=KEY_PREFIX + outcome,
        )

    def triage_answers(
        self, answers: Mapping[str, object], extra_signals: Iterable[str] = ()
    ) -> TriageResult:
        """Triage intake answers plus signals screened from the free-text story."""
        return self.decide([*self.signals_from_answers(answers), *extra_signals])

    def explain(self, finding: Finding) -> dict[str, object]:
        """A finding in plain data, each modifier with the reason its rule fires."""
        return {
            "signal": finding.signal,
            "words": finding.words,
            "language": finding.lang,
            "counted": finding.counted,
            "modifiers": [
                {
                    "modifier": m.kind,
                    "means": self.words.modifiers.get(m.kind, m.kind),
                    "rule": m.rule,
                    "trigger": m.trigger,
                    "why": self.words.rules.get(m.rule, m.rule).strip(),
                }
                for m in finding.modifiers
            ],
        }

    def screen(self, text: str) -> ScreenResult:
        return self.screener.screen(text)

    def triage_text(self, text: str) -> TriageResult:
        """Screen ``text`` and triage the signals found."""
        return self.decide(self.screener.screen(text).signals)

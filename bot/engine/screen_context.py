"""The ConText rules of ``content/triage.yaml`` (``context``): trigger phrases that give the
findings in their scope a modifier (negated, historical, other, hypothetical, uncertain),
pseudo-triggers, terminators, and the proxy phrases that turn "someone else" off.

Harkema, Dowling, Thornblade & Chapman, "ConText: an algorithm for determining negation,
experiencer, and temporal status from clinical reports", J Biomed Inform 2009. The screener
(``bot/engine/screener.py``) compiles the phrases and finds the matches; this module only
knows the rules' grammar and their scopes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.content.triage import BUILTIN_RULES, MODIFIERS
from bot.engine.screen_text import (
    COMMA,
    ENDS,
    LABEL,
    QUESTION,
    TriageDataError,
    mapping_of,
    str_list,
)
from bot.engine.screen_trie import TrieNode, insert

__all__ = ["DIRECTIONS", "ContextRule", "ContextRules", "Modifier"]

DIRECTIONS: tuple[str, ...] = ("forward", "backward", "both")

# (owner, field, phrase) -> the phrase's token variants ("..." allowed)
Compile = Callable[[str, str, str], list[tuple[str, ...]]]
# (owner, field, list of phrases) -> their token variants (no "...")
CompileList = Callable[[str, str, object], tuple[tuple[str, ...], ...]]
# a trie -> every (entry, start, end) of its phrases in the text being screened
Spans = Callable[[TrieNode], list[tuple[str, int, int]]]


@dataclass(frozen=True, slots=True)
class Modifier:
    """A context modifier on one finding: its kind (``negated`` ...), the rule of
    ``triage.yaml`` that gave it (a ``context.rules`` id or one of ``BUILTIN_RULES``) and
    the words, as typed, that triggered it."""

    kind: str
    rule: str
    trigger: str


@dataclass(frozen=True, slots=True)
class ContextRule:
    """One trigger rule of ``context.rules``."""

    id: str
    modifier: str
    direction: str
    terminators: tuple[tuple[str, ...], ...]
    unless_recurs: bool
    max_scope: int
    signals: frozenset[str]  # empty: every signal
    urgent_needs_self: bool = False  # an urgent finding stays unless the runner is set apart
    question_only: bool = False  # only in a sentence that ends with a question mark
    whole_clause: bool = False  # the trigger is a clause of its own ("It hasn't.")
    reaches_previous_sentence: bool = False  # backward over the sentence before it too
    own_words: bool = False  # a finding may begin inside the trigger ("if it swelled")
    # the trigger names one of these words and its scope another, never the same one
    # ("my right knee was scoped ... it's my left knee that hurts")
    contrast: frozenset[str] = frozenset()
    # the rules whose modifier this one lifts from the findings it reaches ("my wife says my
    # knee looks swollen, I can't really tell": the runner's own doubt, which counts)
    overrides: frozenset[str] = frozenset()


def _starts_with(canons: Sequence[str], i: int, phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(canons[i : i + len(p)]) == p for p in phrases)


class ContextRules:
    """``context`` of ``triage.yaml``, compiled; a problem names the rule and the field."""

    def __init__(self, ctx: Mapping[str, Any], signals: Mapping[str, str], compile_: Compile,
                 compile_list: CompileList) -> None:
        """``signals``: signal id -> its level."""
        self.levels = signals
        self.max_scope = int(ctx.get("max_scope", 8))
        if not 1 <= self.max_scope <= 40:
            raise TriageDataError("context.max_scope must be between 1 and 40")
        self.terminators = compile_list("context", "terminators", ctx.get("terminators"))
        self.pseudo = TrieNode()
        for i, phrase in enumerate(str_list(ctx.get("pseudo"), "context.pseudo")):
            for tokens in compile_("context", f"pseudo[{i + 1}]", phrase):
                insert(self.pseudo, tokens, "pseudo")
        self.self_reference = TrieNode()
        for i, phrase in enumerate(str_list(ctx.get("self_reference"), "context.self_reference")):
            for tokens in compile_("context", f"self_reference[{i + 1}]", phrase):
                insert(self.self_reference, tokens, "self")
        self.proxy = TrieNode()
        for i, phrase in enumerate(str_list(ctx.get("proxy"), "context.proxy")):
            for tokens in compile_("context", f"proxy[{i + 1}]", phrase):
                insert(self.proxy, tokens, "proxy")
        self.self_patient = TrieNode()
        for i, phrase in enumerate(str_list(ctx.get("self_patient"), "context.self_patient")):
            for tokens in compile_("context", f"self_patient[{i + 1}]", phrase):
                insert(self.self_patient, tokens, "self")
        self.rules: dict[str, ContextRule] = {}
        self.triggers = TrieNode()
        raw_rules = ctx.get("rules", [])
        if not isinstance(raw_rules, list):
            raise TriageDataError("context.rules must be a list")
        for index, raw in enumerate(raw_rules):
            rule = self._rule(index, raw, signals, compile_, compile_list)
            self.rules[rule.id] = rule
        for rule in self.rules.values():
            unknown = sorted(rule.overrides - set(self.rules))
            if unknown:
                raise TriageDataError(f"context rule '{rule.id}': field 'overrides': unknown "
                                      f"rules {unknown}")

    def _rule(self, index: int, raw: object, signals: Mapping[str, str], compile_: Compile,
              compile_list: CompileList) -> ContextRule:
        where = f"context.rules[{index + 1}]"
        rule = mapping_of(raw, where)
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise TriageDataError(f"{where}: field 'id' must be a non-empty string")
        where = f"context rule '{rule_id}'"
        if rule_id in self.rules or rule_id in BUILTIN_RULES:
            raise TriageDataError(f"{where}: field 'id' is used twice")
        modifier = rule.get("modifier")
        if modifier not in MODIFIERS:
            raise TriageDataError(f"{where}: field 'modifier': {modifier!r} is not one of "
                                  f"{MODIFIERS}")
        direction = rule.get("direction", "forward")
        if direction not in DIRECTIONS:
            raise TriageDataError(f"{where}: field 'direction': {direction!r} is not one "
                                  f"of {DIRECTIONS}")
        phrases = str_list(rule.get("phrases"), f"{where}.phrases")
        if not phrases:
            raise TriageDataError(f"{where}: field 'phrases' must not be empty")
        for i, phrase in enumerate(phrases):
            for tokens in compile_(where, f"phrases[{i + 1}]", phrase):
                insert(self.triggers, tokens, rule_id)
        scope = rule.get("max_scope", self.max_scope)
        if isinstance(scope, bool) or not isinstance(scope, int) or not 1 <= scope <= 40:
            raise TriageDataError(f"{where}: field 'max_scope' must be a whole number "
                                  "from 1 to 40")
        only = str_list(rule.get("signals"), f"{where}.signals")
        unknown = [sig for sig in only if sig not in signals]
        if unknown:
            raise TriageDataError(f"{where}: field 'signals': unknown signals {unknown}")
        return ContextRule(
            id=rule_id, modifier=str(modifier), direction=str(direction),
            terminators=compile_list(where, "terminators", rule.get("terminators")),
            unless_recurs=bool(rule.get("unless_it_recurs", False)),
            max_scope=scope, signals=frozenset(only),
            urgent_needs_self=bool(rule.get("urgent_only_if_runner_set_apart", False)),
            question_only=bool(rule.get("question_only", False)),
            whole_clause=bool(rule.get("whole_clause", False)),
            reaches_previous_sentence=bool(rule.get("reaches_previous_sentence", False)),
            own_words=bool(rule.get("own_words", False)),
            contrast=frozenset(w for item in str_list(rule.get("contrast"), f"{where}.contrast")
                               for w in item.split()),
            overrides=frozenset(str_list(rule.get("overrides"), f"{where}.overrides")),
        )

    def modifiers(
        self,
        canons: Sequence[str],
        raw: Callable[[int, int], str],
        matches: Sequence[tuple[str, int, int]],
        spans: Spans,
        recurs: Callable[[int], bool],
    ) -> dict[int, list[Modifier]]:
        """The modifiers of each match ((signal, start, end), by index): a finding in the
        scope of a trigger (after it, before it, or both, by the rule's direction) gets the
        rule's modifier, unless the trigger is part of a pseudo-trigger, the rule is about
        someone else and the text is written for the patient, or the rule does not apply
        when the sentence says it comes back and it does."""
        out: dict[int, list[Modifier]] = {}
        if not self.rules:
            return out
        pseudo = [(s, e) for _, s, e in spans(self.pseudo)]
        triggers = [(rule_id, start, end) for rule_id, start, end in spans(self.triggers)
                    if not any(ps < end and start < pe for ps, pe in pseudo)]
        # Someone else's story ("my sister had a clot in her leg") names their body: that
        # is not a text written for them, so a proxy phrase inside it does not count.
        told = [(end, self._forward(canons, end, self.rules[rule_id]))
                for rule_id, start, end in triggers if self.rules[rule_id].modifier == "other"]
        proxy = any(not any(te <= s and e <= se for te, se in told)
                    for _, s, e in spans(self.proxy))
        # ... unless the writer then presents themselves as the patient ("Me: 38, ...")
        proxy = proxy and not spans(self.self_patient)
        selves = [(s, e) for _, s, e in spans(self.self_reference)]
        lifted: dict[int, set[str]] = {}  # finding -> the rules whose modifier is lifted
        for rule_id, start, end in triggers:
            rule = self.rules[rule_id]
            if rule.modifier == "other" and proxy:
                continue  # the text is about someone else as the patient
            if rule.unless_recurs and recurs(start):
                continue
            if rule.question_only and not self._in_question(canons, end):
                continue
            if rule.whole_clause and not self._whole_clause(canons, start, end):
                continue
            scope_start, scope_end = start, end
            if rule.direction in ("forward", "both"):
                scope_end = self._forward(canons, end, rule)
            if rule.direction in ("backward", "both"):
                scope_start = self._backward(canons, start, rule)
                if rule.reaches_previous_sentence and scope_start == start and start > 0 and (
                        canons[start - 1] in ENDS):
                    scope_start = self._backward(canons, start - 1, rule)
            if rule.contrast and not self._contrasts(canons, start, end, scope_start,
                                                     scope_end, rule.contrast):
                continue
            modifier = Modifier(rule.modifier, rule.id, raw(start, end))
            set_apart = any(e <= start or s >= scope_end for s, e in selves)
            for index, (signal, m_start, m_end) in enumerate(matches):
                if rule.signals and signal not in rule.signals:
                    continue
                if rule.urgent_needs_self and self.levels.get(signal) == "urgent" and (
                        not set_apart):
                    continue  # someone else's emergency, and nothing about the runner's own
                after = (m_start >= start and m_end > end and m_end <= scope_end) or (
                    rule.own_words and start < m_start < end and m_end <= scope_end)
                before = m_start < start and m_start >= scope_start and m_end <= end
                if after or before:
                    bucket = out.setdefault(index, [])
                    if all(b.kind != modifier.kind for b in bucket):
                        bucket.append(modifier)
                    if rule.overrides:
                        lifted.setdefault(index, set()).update(rule.overrides)
        for index, rules in lifted.items():
            out[index] = [b for b in out[index] if b.rule not in rules]
        return out

    @staticmethod
    def _contrasts(canons: Sequence[str], start: int, end: int, scope_start: int,
                   scope_end: int, words: frozenset[str]) -> bool:
        """The trigger names one of ``words`` and the rest of its scope names only others."""
        named = {t for t in canons[start:end] if t in words}
        rest = {t for t in (*canons[scope_start:start], *canons[end:scope_end]) if t in words}
        return len(named) == 1 and bool(rest) and not rest & named

    @staticmethod
    def _in_question(canons: Sequence[str], k: int) -> bool:
        """The sentence around position ``k`` ends with a question mark."""
        while k < len(canons) and canons[k] not in ENDS:
            k += 1
        return k < len(canons) and canons[k] == QUESTION

    @staticmethod
    def _whole_clause(canons: Sequence[str], start: int, end: int) -> bool:
        """The trigger stands as a clause: at the start of a sentence or after a comma,
        and followed by the end of one, a comma or nothing ("It hasn't.", ", it hasn't,")."""
        bounds = ENDS | {COMMA, LABEL}
        return (start == 0 or canons[start - 1] in bounds) and (
            end == len(canons) or canons[end] in bounds)

    def _ends(self, canons: Sequence[str], k: int, rule: ContextRule) -> bool:
        return canons[k] in ENDS or canons[k] == LABEL or _starts_with(
            canons, k, self.terminators) or _starts_with(canons, k, rule.terminators)

    def _forward(self, canons: Sequence[str], k: int, rule: ContextRule) -> int:
        stop = min(len(canons), k + rule.max_scope)
        while k < stop and not self._ends(canons, k, rule):
            k += 1
        return k

    def _backward(self, canons: Sequence[str], k: int, rule: ContextRule) -> int:
        stop = max(0, k - rule.max_scope)
        while k > stop and not self._ends(canons, k - 1, rule):
            k -= 1
        return k

"""Turning what people type into answers: yes/no (and "not sure"), numbers with their units,
options, weekdays."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.content.dialogs import Option
from bot.domain.text import fold

MAX_INPUT = 4000
UNSURE = "unsure"

_SPLIT = re.compile(r"(\d+(?:[.,]\d+)?)")
_LEADING = re.compile(r"^\s*(\d{1,3})(?:\s*(?:/|out of|of)\s*\d{1,3})?(?:\s*[-–—,:;.(]\s*|\s+|$)")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    yes: frozenset[str]
    no: frozenset[str]
    numbers: Mapping[str, int]
    weekdays: Mapping[str, int]
    unsure: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    quantities: Mapping[str, float] = field(default_factory=dict)  # words with a value
    units: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    around: frozenset[str] = frozenset()

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Vocabulary:
        def words(key: str) -> frozenset[str]:
            value = data.get(key, [])
            assert isinstance(value, list)
            return frozenset(fold(str(v)) for v in value)

        def table(key: str) -> dict[str, float]:
            value = data.get(key, {})
            assert isinstance(value, dict)
            return {fold(str(k)): float(v) for k, v in value.items()}

        units_raw = data.get("units", {})
        assert isinstance(units_raw, dict)
        units = {str(unit): {fold(str(k)): float(v) for k, v in words_.items()}
                 for unit, words_ in units_raw.items()}
        numbers = {k: int(v) for k, v in table("numbers").items()}
        return cls(
            words("yes"), words("no"), numbers, {k: int(v) for k, v in table("weekdays").items()},
            unsure=words("unsure"), negations=words("negations"),
            quantities={**{k: float(v) for k, v in numbers.items()}, **table("more_numbers")},
            units=units, around=words("number_words_around"),
        )

    def yes_no(self, text: str) -> str | None:
        """``yes``, ``no``, ``unsure`` ("not sure", "dunno") or None. A sentence with a
        negation and no yes-word is a no ("it isn't swollen")."""
        folded = fold(text)
        if not folded:
            return None
        if folded in self.yes:
            return "yes"
        if folded in self.no:
            return "no"
        if folded in self.unsure or any(folded.startswith(f"{u} ") for u in self.unsure):
            return UNSURE
        words = folded.split()
        first = words[0]
        if first in self.yes:
            return "yes"
        if first in self.no:
            return "no"
        if any(f" {u} " in f" {folded} " for u in self.unsure):
            return UNSURE
        if any(w in self.negations or w.replace("'", "") in self.negations for w in words):
            return "no"
        if any(w in self.yes for w in words):
            return "yes"
        return None

    def number(self, text: str, low: int, high: int, unit: str | None = None) -> int | None:
        """A whole number in [low, high] typed as digits, words or with words around it
        ("20 km", "about 20 a week", "fifteen", "7/10", "2 - no swelling"); a unit word
        of ``unit``'s table converts ("12 miles" is 19 km)."""
        value = self.quantity(text, unit)
        if value is None:
            lead = _LEADING.match(text)
            if lead is not None:
                value = float(lead.group(1))
        if value is None:
            return None
        whole = round(value)
        return whole if low <= whole <= high else None

    def quantity(self, text: str, unit: str | None = None,
                 need_unit: bool = False) -> float | None:
        """The amount typed, in ``unit`` (``weeks``, ``years``, ``km``), or None. Words the
        vocabulary does not know around the number make it no answer ("3 knees")."""
        folded = fold(text).replace("'", "")
        tokens = _SPLIT.sub(r" \1 ", folded).split()
        if not tokens or len(tokens) > 8:
            return None
        table = self.units.get(unit or "", {})
        value: float | None = None
        scale: float | None = None
        i = 0
        while i < len(tokens):
            token = tokens[i]
            matched = False
            for size in (3, 2, 1):
                phrase = " ".join(tokens[i : i + size])
                if len(tokens) - i < size:
                    continue
                if value is None and (phrase in self.quantities or _is_number(phrase)):
                    value = float(phrase.replace(",", ".")) if _is_number(phrase) \
                        else self.quantities[phrase]
                elif value is not None and scale is None and phrase in table:
                    scale = table[phrase]
                elif size == 1 and (phrase in self.around or phrase in table):
                    pass
                else:
                    continue
                i += size
                matched = True
                break
            if not matched:
                return None
            del token
        if value is None or (need_unit and scale is None):
            return None
        return value * (scale if scale is not None else 1.0)

    def weekdays_in(self, text: str) -> frozenset[int] | None:
        days: set[int] = set()
        for word in fold(text).split():
            if word in self.weekdays:
                days.add(self.weekdays[word])
            elif word not in {"and", "on"}:
                return None
        return frozenset(days) if days else None


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:[.,]\d+)?", text))


def match_option(text: str, options: Sequence[Option], by_position: bool = True) -> Option | None:
    """An option chosen by typing: its number (only when ``by_position``), id, label, or
    one of its match words."""
    folded = fold(text)
    if not folded:
        return None
    if folded.isdigit() and by_position:
        index = int(folded) - 1
        return options[index] if 0 <= index < len(options) else None
    for option in options:
        if folded == fold(option.id) or folded == fold(option.label):
            return option
    for option in options:
        if folded in {fold(m) for m in option.match}:
            return option
    hits = [o for o in options if fold(o.label).startswith(folded) and len(folded) >= 3]
    if len(hits) == 1:
        return hits[0]
    words = set(folded.split())
    hits = [o for o in options if any(fold(m) in words for m in o.match if " " not in fold(m))]
    if len(hits) == 1:
        return hits[0]
    return None

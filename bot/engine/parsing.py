"""Turning what people type into answers: yes/no, numbers, options, weekdays."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.content.dialogs import Option
from bot.domain.text import fold

MAX_INPUT = 4000


@dataclass(frozen=True, slots=True)
class Vocabulary:
    yes: frozenset[str]
    no: frozenset[str]
    numbers: Mapping[str, int]
    weekdays: Mapping[str, int]

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Vocabulary:
        def words(key: str) -> frozenset[str]:
            value = data.get(key, [])
            assert isinstance(value, list)
            return frozenset(fold(str(v)) for v in value)

        def table(key: str) -> dict[str, int]:
            value = data.get(key, {})
            assert isinstance(value, dict)
            return {fold(str(k)): int(v) for k, v in value.items()}

        return cls(words("yes"), words("no"), table("numbers"), table("weekdays"))

    def yes_no(self, text: str) -> str | None:
        folded = fold(text)
        if not folded:
            return None
        if folded in self.yes:
            return "yes"
        if folded in self.no:
            return "no"
        first = folded.split()[0]
        if first in self.yes:
            return "yes"
        if first in self.no:
            return "no"
        return None

    def number(self, text: str, low: int, high: int) -> int | None:
        folded = fold(text)
        match = re.fullmatch(r"(\d{1,3})(?: (?:out of|of) \d{1,3}| \d{1,3})?", folded)
        if match is None:
            slash = re.fullmatch(r"\s*(\d{1,3})\s*/\s*\d{1,3}\s*", text)
            if slash is not None:
                match = slash
        value: int | None = None
        if match is not None:
            value = int(match.group(1))
        elif folded in self.numbers:
            value = self.numbers[folded]
        elif folded.split(" ")[0] in self.numbers and len(folded.split()) <= 4:
            value = self.numbers[folded.split(" ")[0]]
        if value is None or not low <= value <= high:
            return None
        return value

    def weekdays_in(self, text: str) -> frozenset[int] | None:
        days: set[int] = set()
        for word in fold(text).split():
            if word in self.weekdays:
                days.add(self.weekdays[word])
            elif word not in {"and", "on"}:
                return None
        return frozenset(days) if days else None


def match_option(text: str, options: Sequence[Option]) -> Option | None:
    """An option chosen by typing: its number, id, label, or one of its match words."""
    folded = fold(text)
    if not folded:
        return None
    if folded.isdigit():
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

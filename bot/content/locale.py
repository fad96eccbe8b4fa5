"""Everything one language shows, in one place: ``Content`` for a locale."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from bot.content.chart import ChartText
from bot.content.dialogs import Dialog
from bot.content.education import Topic
from bot.content.exercises import EquipmentSpec, Exercise, Kind, Ladder, Source
from bot.content.programme import Programme
from bot.content.safety import Safety
from bot.content.texts import Texts
from bot.content.triage import TriageWording


def name_key(text: str) -> str:
    """Lower case with everything but letters and digits removed: 'Figure-4 ' -> 'figure4'."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def singulars(key: str) -> list[str]:
    out = []
    if key.endswith("s") and len(key) > 3:
        out.append(key[:-1])
    if key.endswith("es") and len(key) > 4:
        out.append(key[:-2])
    return out


_T = TypeVar("_T")
Index = tuple[dict[str, str], dict[str, str]]


def build_index(names: Mapping[str, list[str]]) -> Index:
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for item_id, item_names in names.items():
        for name in item_names:
            key = name_key(name)
            if key:
                exact.setdefault(key, item_id)
    for item_id, item_names in names.items():
        for name in item_names:
            for form in singulars(name_key(name)):
                if form not in exact:
                    loose.setdefault(form, item_id)
    return exact, loose


def _lookup(index: Index, name: str) -> str | None:
    exact, loose = index
    key = name_key(name)
    if not key:
        return None
    forms = [key, *singulars(key)]
    for form in forms:
        if form in exact:
            return exact[form]
    for form in forms:
        if form in loose:
            return loose[form]
    return None


def _pick(items: Mapping[str, _T], item_id: str | None) -> _T | None:
    return None if item_id is None else items.get(item_id)


@dataclass(frozen=True)
class Content:
    """One language's content, validated. Dicts keep the order of the YAML files."""

    locale: str
    source: Source
    equipment: EquipmentSpec
    ladders: dict[str, Ladder]
    exercises: dict[str, Exercise]
    education: dict[str, Topic]
    safety: Safety
    programme: Programme
    texts: Texts
    chart: ChartText
    dialogs: dict[str, Dialog]
    triage: TriageWording
    _exercise_index: Index = field(init=False, repr=False, compare=False)
    _topic_index: Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_exercise_index", build_index(
            {i: [i, e.name, *e.aliases] for i, e in self.exercises.items()}))
        object.__setattr__(self, "_topic_index", build_index(
            {i: [i, t.title, *t.aliases] for i, t in self.education.items()}))

    @property
    def credit(self) -> str:
        """The source credit line for the exercises."""
        return self.source.credit

    def find_exercise(self, name: str) -> Exercise | None:
        """An exercise by id, name or alias; ignores case, spaces, hyphens and a plural s."""
        return _pick(self.exercises, _lookup(self._exercise_index, name))

    def find_topic(self, name: str) -> Topic | None:
        """An education topic by id, title or alias, as tolerant as ``find_exercise``."""
        return _pick(self.education, _lookup(self._topic_index, name))

    def ladder_of(self, exercise_id: str) -> Ladder:
        """The ladder an exercise is a level of."""
        return self.ladders[self.exercises[exercise_id].ladder]

    def exercises_of_kind(self, kind: Kind) -> list[Exercise]:
        return [e for e in self.exercises.values() if e.kind == kind]

    def resolve(self, ref: str) -> str | None:
        """A dialog's ``text_ref``: ``safety.<name>`` or ``messages.<key>``."""
        kind, _, name = ref.partition(".")
        if kind == "safety":
            try:
                message = self.safety.message(name)
            except KeyError:
                return None
            return f"**{message.title}**\n\n{message.text.strip()}"
        if kind == "messages" and name in self.texts:
            return self.texts.get(name)
        return None

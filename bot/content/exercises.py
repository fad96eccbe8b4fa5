"""The exercise library: the language-neutral part (``content/exercises.yaml``: ladders of
levels, the equipment each level needs, doses, minutes) and each language's words
(``content/locales/<lang>/exercises.yaml`` and ``ladders.yaml``), merged into one
``Exercise`` and one ``Ladder`` per id and language.

A ladder's levels run easiest first. A runner's *effective* ladder is the levels whose
equipment they have (``Ladder.effective``); moving up or down is one step along it
(``Ladder.step``). The engine and ``kneecoach check`` use these same functions."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from bot.content.models import Id, Model, NonEmptyStr

Kind = Literal["strength", "stretch", "release"]
Region = Literal["knee", "hip", "stretch", "release"]
REGION_KINDS: dict[str, str] = {
    "knee": "strength", "hip": "strength", "stretch": "stretch", "release": "release",
}
# A "{knee}" in an exercise's steps becomes the runner's knee ("your left knee").
KNEE_PLACEHOLDER = "{knee}"
# Exercise names are button labels ("Was it one exercise?"): at most this long.
MAX_NAME = 40


class Source(Model):
    """Where the exercises come from. ``credit`` is the exact line to show."""

    publication: NonEmptyStr
    title: NonEmptyStr
    author: NonEmptyStr
    medical_reviewer: NonEmptyStr
    experts: list[NonEmptyStr] = Field(min_length=1)
    credit: NonEmptyStr


class EquipmentSpec(Model):
    """The equipment words: what everyone has, what the programme asks about, and what only
    the daily release uses (it is shown to everyone)."""

    assumed: list[Id] = Field(min_length=1)
    asked: list[Id] = Field(min_length=1)
    daily: list[Id] = Field(default_factory=list)

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self.assumed) | frozenset(self.asked) | frozenset(self.daily)


# ----------------------------------------------------------------- the neutral file

Tempo = Annotated[str, StringConstraints(pattern=r"^[0-9]-[0-9]-[0-9]$")]


class StrengthNumbers(Model):
    sets: int = Field(ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=50)
    hold_seconds: int | None = Field(default=None, ge=1, le=120)
    per_side: bool
    tempo: Tempo | None = None  # seconds down-pause-up

    @model_validator(mode="after")
    def _reps_or_hold(self) -> StrengthNumbers:
        if self.reps is None and self.hold_seconds is None:
            raise ValueError("a strength dose needs reps, hold_seconds or both")
        return self


class StretchNumbers(Model):
    hold_seconds: int = Field(ge=5, le=120)
    repeats: int = Field(ge=1, le=10)
    per_side: bool


class ReleaseNumbers(Model):
    minutes_per_area: int = Field(ge=1, le=10)
    per_side: bool


class _SpecBase(Model):
    id: Id
    equipment: list[Id] = Field(default_factory=list)
    any_of: list[Id] = Field(default_factory=list)
    minutes: int = Field(ge=1, le=30)  # the whole exercise at this dose, rests included


class StrengthSpec(_SpecBase):
    kind: Literal["strength"]
    dose: StrengthNumbers


class StretchSpec(_SpecBase):
    kind: Literal["stretch"]
    dose: StretchNumbers


class ReleaseSpec(_SpecBase):
    kind: Literal["release"]
    dose: ReleaseNumbers


ExerciseSpec = Annotated[StrengthSpec | StretchSpec | ReleaseSpec, Field(discriminator="kind")]


class LadderSpec(Model):
    id: Id
    region: Region
    # False for a knee ladder that does not load the bent knee (the straight leg raise).
    loads_knee: bool = True
    levels: list[Id] = Field(min_length=1)


class ExercisesFile(Model):
    source: Source
    equipment: EquipmentSpec
    ladders: list[LadderSpec] = Field(min_length=1)
    exercises: list[ExerciseSpec] = Field(min_length=1)


# ----------------------------------------------------------------- one language's words


class ExerciseWording(Model):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=MAX_NAME)]
    aliases: list[NonEmptyStr]
    targets: list[NonEmptyStr] = Field(min_length=1)
    why: NonEmptyStr
    steps: list[NonEmptyStr] = Field(min_length=2)
    load: NonEmptyStr
    source: NonEmptyStr  # where the dose comes from
    easier: NonEmptyStr
    harder: NonEmptyStr
    cue: NonEmptyStr
    areas: list[NonEmptyStr] | None = None  # release: what to roll
    avoid: list[NonEmptyStr] = Field(min_length=1)
    stop_if: list[NonEmptyStr] = Field(min_length=1)


class LadderWording(Model):
    name: NonEmptyStr
    description: NonEmptyStr


# ----------------------------------------------------------------- merged, per language


class StrengthDose(Model):
    sets: int
    reps: int | None
    hold_seconds: int | None
    per_side: bool
    tempo: str | None
    load: NonEmptyStr


class StretchDose(Model):
    hold_seconds: int
    repeats: int
    per_side: bool


class ReleaseDose(Model):
    minutes_per_area: int
    areas: list[NonEmptyStr] = Field(min_length=1)
    per_side: bool


class Exercise(Model):
    """One exercise in one language: structure and words together."""

    id: Id
    ladder: Id
    name: NonEmptyStr
    kind: Kind
    aliases: list[NonEmptyStr]
    targets: list[NonEmptyStr]
    why: NonEmptyStr
    steps: list[NonEmptyStr]
    dose: StrengthDose | StretchDose | ReleaseDose
    source: NonEmptyStr
    easier: NonEmptyStr
    harder: NonEmptyStr
    cue: NonEmptyStr
    avoid: list[NonEmptyStr]
    stop_if: list[NonEmptyStr]
    equipment: list[Id]
    any_of: list[Id]
    minutes: int

    def usable_with(self, has: Collection[str]) -> bool:
        """True when ``has`` holds everything this exercise needs."""
        return all(e in has for e in self.equipment) and (
            not self.any_of or any(e in has for e in self.any_of))


class Ladder(Model):
    """A ladder of levels (exercise ids, easiest first) in one language."""

    id: Id
    region: Region
    loads_knee: bool
    levels: list[Id]
    name: NonEmptyStr
    description: NonEmptyStr

    def effective(self, exercises: Mapping[str, Exercise], has: Collection[str]) -> list[str]:
        """The levels a runner with equipment ``has`` can do, easiest first."""
        return [level for level in self.levels if exercises[level].usable_with(has)]

    def current(
        self, exercises: Mapping[str, Exercise], has: Collection[str], stored: str | None
    ) -> str | None:
        """The runner's level: the stored one if they can do it; else the hardest level they
        can do below it; else their easiest. None when they can do no level of it."""
        usable = self.effective(exercises, has)
        if not usable:
            return None
        if stored in usable:
            return stored
        if stored in self.levels:
            below = [lv for lv in usable if self.levels.index(lv) < self.levels.index(stored)]
            if below:
                return below[-1]
        return usable[0]

    def step(
        self, exercises: Mapping[str, Exercise], has: Collection[str], stored: str | None,
        delta: int,
    ) -> tuple[str | None, str | None]:
        """(from, to) one level up (``delta`` 1) or down (-1) the runner's effective ladder;
        ``to`` equals ``from`` at the top or the bottom."""
        usable = self.effective(exercises, has)
        here = self.current(exercises, has, stored)
        if here is None:
            return None, None
        index = min(max(usable.index(here) + delta, 0), len(usable) - 1)
        return here, usable[index]


def merge_exercise(
    spec: StrengthSpec | StretchSpec | ReleaseSpec, words: ExerciseWording, ladder: str
) -> tuple[Exercise | None, list[tuple[str, str]]]:
    """The merged exercise, or the (field, message) pairs that stop it."""
    numbers = spec.dose.model_dump()
    dose: StrengthDose | StretchDose | ReleaseDose
    if isinstance(spec, StrengthSpec):
        dose = StrengthDose(load=words.load, **numbers)
    elif isinstance(spec, StretchSpec):
        dose = StretchDose(**numbers)
    else:
        if not words.areas:
            return None, [("areas", "Field required (what to roll)")]
        dose = ReleaseDose(areas=list(words.areas), **numbers)
    return Exercise(
        id=spec.id, ladder=ladder, name=words.name, kind=spec.kind, aliases=words.aliases,
        targets=words.targets, why=words.why, steps=words.steps, dose=dose,
        source=words.source, easier=words.easier, harder=words.harder, cue=words.cue,
        avoid=words.avoid, stop_if=words.stop_if, equipment=list(spec.equipment),
        any_of=list(spec.any_of), minutes=spec.minutes,
    ), []


def merge_ladder(spec: LadderSpec, words: LadderWording) -> Ladder:
    return Ladder(id=spec.id, region=spec.region, loads_knee=spec.loads_knee,
                  levels=list(spec.levels), name=words.name, description=words.description)

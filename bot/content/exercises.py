"""Exercises: the language-neutral part (``content/exercises.yaml``: ids, kinds, doses, the
source) and each language's words (``content/locales/<lang>/exercises.yaml``), merged into one
``Exercise`` per language."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bot.content.models import Id, Model, NonEmptyStr

Kind = Literal["strength", "stretch", "release"]


class Source(Model):
    """Where the exercises come from. ``credit`` is the exact line to show."""

    publication: NonEmptyStr
    title: NonEmptyStr
    author: NonEmptyStr
    medical_reviewer: NonEmptyStr
    experts: list[NonEmptyStr] = Field(min_length=1)
    credit: NonEmptyStr


# ----------------------------------------------------------------- the neutral file


class StrengthNumbers(Model):
    sets: int = Field(ge=1, le=10)
    reps: int = Field(ge=1, le=50)
    per_side: bool
    hold_seconds: int | None = Field(default=None, ge=1, le=30)


class StretchNumbers(Model):
    hold_seconds: int = Field(ge=5, le=120)
    repeats: int = Field(ge=1, le=10)
    per_side: bool


class ReleaseNumbers(Model):
    minutes_per_area: int = Field(ge=1, le=10)
    per_side: bool


class StrengthSpec(Model):
    id: Id
    kind: Literal["strength"]
    dose: StrengthNumbers


class StretchSpec(Model):
    id: Id
    kind: Literal["stretch"]
    dose: StretchNumbers


class ReleaseSpec(Model):
    id: Id
    kind: Literal["release"]
    dose: ReleaseNumbers


ExerciseSpec = Annotated[StrengthSpec | StretchSpec | ReleaseSpec, Field(discriminator="kind")]


class ExercisesFile(Model):
    source: Source
    exercises: list[ExerciseSpec] = Field(min_length=1)


# ----------------------------------------------------------------- one language's words


class ExerciseWording(Model):
    name: NonEmptyStr
    aliases: list[NonEmptyStr]
    targets: list[NonEmptyStr] = Field(min_length=1)
    why: NonEmptyStr
    steps: list[NonEmptyStr] = Field(min_length=2)
    load: NonEmptyStr | None = None  # strength: what load means here
    areas: list[NonEmptyStr] | None = None  # release: what to roll
    dose_source: NonEmptyStr | None = None  # stretch and release: where the numbers come from
    avoid: list[NonEmptyStr] = Field(min_length=1)
    stop_if: list[NonEmptyStr] = Field(min_length=1)


# ----------------------------------------------------------------- merged, per language


class StrengthDose(Model):
    sets: int
    reps: int
    per_side: bool
    load: NonEmptyStr
    hold_seconds: int | None = None


class StretchDose(Model):
    hold_seconds: int
    repeats: int
    per_side: bool
    source: NonEmptyStr


class ReleaseDose(Model):
    minutes_per_area: int
    areas: list[NonEmptyStr] = Field(min_length=1)
    per_side: bool
    source: NonEmptyStr


class Exercise(Model):
    """One exercise in one language: structure and words together."""

    id: Id
    name: NonEmptyStr
    kind: Kind
    aliases: list[NonEmptyStr]
    targets: list[NonEmptyStr]
    why: NonEmptyStr
    steps: list[NonEmptyStr]
    dose: StrengthDose | StretchDose | ReleaseDose
    avoid: list[NonEmptyStr]
    stop_if: list[NonEmptyStr]


def merge_exercise(
    spec: StrengthSpec | StretchSpec | ReleaseSpec, words: ExerciseWording
) -> tuple[Exercise | None, list[tuple[str, str]]]:
    """The merged exercise, or the (field, message) pairs that stop it."""
    missing: list[tuple[str, str]] = []
    numbers = spec.dose.model_dump()
    dose: StrengthDose | StretchDose | ReleaseDose
    if isinstance(spec, StrengthSpec):
        if words.load is None:
            return None, [("load", "Field required (a strength exercise says what load means)")]
        dose = StrengthDose(load=words.load, **numbers)
    else:
        if words.dose_source is None:
            missing.append(("dose_source", "Field required (say where the numbers come from)"))
        if isinstance(spec, ReleaseSpec) and not words.areas:
            missing.append(("areas", "Field required (what to roll)"))
        if missing or words.dose_source is None:
            return None, missing
        if isinstance(spec, StretchSpec):
            dose = StretchDose(source=words.dose_source, **numbers)
        else:
            dose = ReleaseDose(source=words.dose_source, areas=list(words.areas or []),
                               **numbers)
    return Exercise(
        id=spec.id, name=words.name, kind=spec.kind, aliases=words.aliases,
        targets=words.targets, why=words.why, steps=words.steps, dose=dose,
        avoid=words.avoid, stop_if=words.stop_if,
    ), []

"""The coach's content: pydantic models and a loader for the YAML files in ``content/``.

Four files are read (other files in the directory belong to other parts of the bot):

- ``exercises.yaml``: the ``source`` credit and the eight exercises;
- ``education.yaml``: short teaching topics;
- ``safety.yaml``: the disclaimer, one message per triage outcome and the other safety texts;
- ``programme.yaml``: the six-week plan and beyond, and advice per pain band.

Every problem is reported as ``<dir>/<file>: <entry>: field '<field>': <message>``, for
example ``content/exercises.yaml: exercise 'clamshell': field 'steps': Field required``.
Positions in lists count from 1 (``exercise #3``, ``field 'steps[2]'``).

``check_content`` returns every problem it finds; ``load_content`` raises ``ContentError``
with the first one (all of them are in ``ContentError.problems``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

__all__ = [
    "DISCORD_LIMIT",
    "TELEGRAM_LIMIT",
    "AdviceBand",
    "Content",
    "ContentError",
    "EducationFile",
    "Exercise",
    "ExercisesFile",
    "Outcomes",
    "Phase",
    "Programme",
    "ReleaseDose",
    "ReleaseExercise",
    "RunningAdvice",
    "Safety",
    "SafetyMessage",
    "Source",
    "StrengthDose",
    "StrengthExercise",
    "StretchDose",
    "StretchExercise",
    "Topic",
    "check_content",
    "default_content_root",
    "dose_line",
    "load_content",
    "render_exercise",
    "render_topic",
]

TELEGRAM_LIMIT = 4096
"""Longest message Telegram accepts."""
DISCORD_LIMIT = 2000
"""Longest message Discord accepts; every single text in content/ must fit."""

EXERCISES_FILE = "exercises.yaml"
EDUCATION_FILE = "education.yaml"
SAFETY_FILE = "safety.yaml"
PROGRAMME_FILE = "programme.yaml"

# Words that every triage outcome and every safety message must carry.
DISCLAIMER_PHRASE = "not a diagnosis"


class ContentError(Exception):
    """Content that does not validate. ``str(err)`` is the first problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems) or ["unknown content problem"]
        super().__init__(self.problems[0])


# --------------------------------------------------------------------------- models

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Kind = Literal["strength", "stretch", "release"]
Outcome = Literal["urgent", "see_clinician", "other_likely", "pfp_program", "unclear"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _text(max_length: int) -> Any:
    """A non-empty, stripped string of at most ``max_length`` characters."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Source(_Model):
    """Where the exercises come from. ``credit`` is the exact line to show."""

    publication: NonEmptyStr
    title: NonEmptyStr
    author: NonEmptyStr
    medical_reviewer: NonEmptyStr
    experts: list[NonEmptyStr] = Field(min_length=1)
    credit: NonEmptyStr


class StrengthDose(_Model):
    sets: int = Field(ge=1, le=10)
    reps: int = Field(ge=1, le=50)
    per_side: bool
    load: NonEmptyStr
    hold_seconds: int | None = Field(default=None, ge=1, le=30)


class StretchDose(_Model):
    hold_seconds: int = Field(ge=5, le=120)
    repeats: int = Field(ge=1, le=10)
    per_side: bool
    source: NonEmptyStr


class ReleaseDose(_Model):
    minutes_per_area: int = Field(ge=1, le=10)
    areas: list[NonEmptyStr] = Field(min_length=1)
    per_side: bool
    source: NonEmptyStr


class Exercise(_Model):
    """Fields shared by every exercise. Loaded exercises are one of the three subclasses."""

    id: Id
    name: NonEmptyStr
    kind: Kind
    aliases: list[NonEmptyStr]
    targets: list[NonEmptyStr] = Field(min_length=1)
    why: NonEmptyStr
    steps: list[NonEmptyStr] = Field(min_length=2)
    dose: StrengthDose | StretchDose | ReleaseDose
    avoid: list[NonEmptyStr] = Field(min_length=1)
    stop_if: list[NonEmptyStr] = Field(min_length=1)


class StrengthExercise(Exercise):
    kind: Literal["strength"]
    dose: StrengthDose


class StretchExercise(Exercise):
    kind: Literal["stretch"]
    dose: StretchDose


class ReleaseExercise(Exercise):
    kind: Literal["release"]
    dose: ReleaseDose


AnyExercise = Annotated[
    StrengthExercise | StretchExercise | ReleaseExercise, Field(discriminator="kind")
]


class ExercisesFile(_Model):
    source: Source
    exercises: list[AnyExercise] = Field(min_length=1)


class Topic(_Model):
    """One education topic. ``body`` fits one Discord message with room for a title."""

    id: Id
    title: NonEmptyStr
    aliases: list[NonEmptyStr]
    short: Annotated[str, _text(400)]
    body: Annotated[str, _text(1799)]
    source: NonEmptyStr


class EducationFile(_Model):
    topics: list[Topic] = Field(min_length=1)


class SafetyMessage(_Model):
    title: NonEmptyStr
    text: Annotated[str, _text(1499)]


class Outcomes(_Model):
    urgent: SafetyMessage
    see_clinician: SafetyMessage
    other_likely: SafetyMessage
    pfp_program: SafetyMessage
    unclear: SafetyMessage


SAFETY_MESSAGE_KEYS = ("consent", "age_under13", "age_teen", "race_soon", "swelling_pause")
OUTCOME_KEYS: tuple[Outcome, ...] = (
    "urgent",
    "see_clinician",
    "other_likely",
    "pfp_program",
    "unclear",
)


class Safety(_Model):
    disclaimer: Annotated[str, _text(300)]
    outcomes: Outcomes
    consent: SafetyMessage
    age_under13: SafetyMessage
    age_teen: SafetyMessage
    race_soon: SafetyMessage
    swelling_pause: SafetyMessage

    def outcome(self, name: str) -> SafetyMessage:
        """The message for a triage outcome (``urgent`` ... ``unclear``); KeyError if unknown."""
        if name not in OUTCOME_KEYS:
            raise KeyError(name)
        message: SafetyMessage = getattr(self.outcomes, name)
        return message

    def message(self, key: str) -> SafetyMessage:
        """A message by reply key: ``safety.urgent``, ``urgent``, ``consent``, ``age_teen``..."""
        name = key.removeprefix("safety.").removeprefix("outcomes.")
        if name in OUTCOME_KEYS:
            return self.outcome(name)
        if name in SAFETY_MESSAGE_KEYS:
            message: SafetyMessage = getattr(self, name)
            return message
        raise KeyError(key)

    def messages(self) -> dict[str, SafetyMessage]:
        """Every message by key: the five outcomes, then the other safety texts."""
        out: dict[str, SafetyMessage] = {name: self.outcome(name) for name in OUTCOME_KEYS}
        out.update({name: self.message(name) for name in SAFETY_MESSAGE_KEYS})
        return out


class Phase(_Model):
    id: Id
    title: NonEmptyStr
    from_week: int = Field(ge=1)
    to_week: int | None = Field(ge=1)  # None: open-ended
    load: Literal["bodyweight", "band"]
    strength: list[Id] = Field(min_length=1)
    note: Annotated[str, _text(1000)]

    def covers(self, week: int) -> bool:
        return week >= self.from_week and (self.to_week is None or week <= self.to_week)


class AdviceBand(_Model):
    pain_min: int = Field(ge=0, le=10)
    pain_max: int = Field(ge=0, le=10)
    title: NonEmptyStr
    text: Annotated[str, _text(599)]


class RunningAdvice(_Model):
    fine: AdviceBand
    acceptable: AdviceBand
    ease: AdviceBand


class Programme(_Model):
    default_strength_days: list[Weekday] = Field(min_length=1)
    phases: list[Phase] = Field(min_length=1)
    daily: list[Id] = Field(min_length=1)
    running_advice: RunningAdvice

    def phase_for_week(self, week: int) -> Phase:
        """The phase for programme week ``week`` (1-based); weeks past the end get the last."""
        for phase in self.phases:
            if phase.covers(week):
                return phase
        return self.phases[0] if week < self.phases[0].from_week else self.phases[-1]

    def advice_for(self, pain: int, worse_next_morning: bool = False) -> AdviceBand:
        """Running advice for the worst pain (0-10) during activity and the morning after."""
        bands = self.running_advice
        if worse_next_morning or pain > bands.acceptable.pain_max:
            return bands.ease
        if pain > bands.fine.pain_max:
            return bands.acceptable
        return bands.fine


# --------------------------------------------------------------------------- content


def _key(text: str) -> str:
    """Lower case with everything but letters and digits removed: 'Figure-4 ' -> 'figure4'."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _singulars(key: str) -> list[str]:
    out = []
    if key.endswith("s") and len(key) > 3:
        out.append(key[:-1])
    if key.endswith("es") and len(key) > 4:
        out.append(key[:-2])
    return out


_T = TypeVar("_T")


def _build_index(names: Mapping[str, list[str]]) -> tuple[dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for item_id, item_names in names.items():
        for name in item_names:
            key = _key(name)
            if key:
                exact.setdefault(key, item_id)
    for item_id, item_names in names.items():
        for name in item_names:
            for form in _singulars(_key(name)):
                if form not in exact:
                    loose.setdefault(form, item_id)
    return exact, loose


def _lookup(exact: dict[str, str], loose: dict[str, str], name: str) -> str | None:
    key = _key(name)
    if not key:
        return None
    forms = [key, *_singulars(key)]
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
    """Everything in content/, validated. Dicts keep the order of the YAML files."""

    root: Path
    source: Source
    exercises: dict[str, Exercise]
    education: dict[str, Topic]
    safety: Safety
    programme: Programme
    _exercise_index: tuple[dict[str, str], dict[str, str]] = field(
        init=False, repr=False, compare=False
    )
    _topic_index: tuple[dict[str, str], dict[str, str]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_exercise_index",
            _build_index({i: [i, e.name, *e.aliases] for i, e in self.exercises.items()}),
        )
        object.__setattr__(
            self,
            "_topic_index",
            _build_index({i: [i, t.title, *t.aliases] for i, t in self.education.items()}),
        )

    @property
    def credit(self) -> str:
        """The source credit line for the exercises."""
        return self.source.credit

    def find_exercise(self, name: str) -> Exercise | None:
        """An exercise by id, name or alias; ignores case, spaces, hyphens and a plural s."""
        return _pick(self.exercises, _lookup(*self._exercise_index, name))

    def find_topic(self, name: str) -> Topic | None:
        """An education topic by id, title or alias, as tolerant as ``find_exercise``."""
        return _pick(self.education, _lookup(*self._topic_index, name))

    def exercises_of_kind(self, kind: Kind) -> list[Exercise]:
        return [e for e in self.exercises.values() if e.kind == kind]


# --------------------------------------------------------------------------- rendering


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


def dose_line(ex: Exercise) -> str:
    """The dose in one plain sentence (or two)."""
    dose = ex.dose
    side = " on each side" if dose.per_side else ""
    if isinstance(dose, StrengthDose):
        hold = f", holding each one for {_seconds(dose.hold_seconds)}" if dose.hold_seconds else ""
        return f"{dose.sets} sets of {dose.reps} reps{side}{hold}. Load: {dose.load}."
    if isinstance(dose, StretchDose):
        times = "once" if dose.repeats == 1 else f"{dose.repeats} times"
        return f"Hold for {_seconds(dose.hold_seconds)}, {times}{side}."
    minutes = "1 minute" if dose.minutes_per_area == 1 else f"{dose.minutes_per_area} minutes"
    return f"About {minutes} per area{side}: {', '.join(dose.areas)}."


def render_exercise(ex: Exercise) -> str:
    """An exercise as one message in the project's markup (fits Discord's 2000 characters)."""
    kind = {"strength": "Strength", "stretch": "Stretch", "release": "Release"}[ex.kind]
    parts = [
        f"**{ex.name}**\n_{kind}: {', '.join(ex.targets)}_",
        ex.why,
        "\n".join(f"{n}. {step}" for n, step in enumerate(ex.steps, start=1)),
        f"**Dose:** {dose_line(ex)}",
    ]
    if not isinstance(ex.dose, StrengthDose):
        parts[-1] += f"\n_{ex.dose.source}_"
    parts.append("**Avoid**\n" + "\n".join(f"- {item}" for item in ex.avoid))
    parts.append("**Stop if**\n" + "\n".join(f"- {item}" for item in ex.stop_if))
    return "\n\n".join(parts)


def render_topic(topic: Topic) -> str:
    """An education topic as one message (fits Discord's 2000 characters)."""
    return f"**{topic.title}**\n\n{topic.body}\n\n_Source: {topic.source}_"


# --------------------------------------------------------------------------- loading


def default_content_root() -> Path:
    """``$KNEECOACH_CONTENT`` if set, else the repository's ``content/`` directory."""
    env = os.environ.get("KNEECOACH_CONTENT")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "content"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of keeping the last one."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class _FileSpec:
    """How to name the entry an error belongs to, per top-level key of a file.

    ``entries`` maps a top-level key to (entry word, mode): ``list`` entries are named by
    their ``id`` (or position), ``dict`` entries by their key, ``single`` by the word alone.
    """

    name: str
    entries: dict[str, tuple[str, Literal["list", "dict", "single"]]]
    tags: frozenset[str] = frozenset()


_SPECS = {
    EXERCISES_FILE: _FileSpec(
        EXERCISES_FILE,
        {"source": ("source", "single"), "exercises": ("exercise", "list")},
        tags=frozenset({"strength", "stretch", "release"}),
    ),
    EDUCATION_FILE: _FileSpec(EDUCATION_FILE, {"topics": ("topic", "list")}),
    SAFETY_FILE: _FileSpec(
        SAFETY_FILE,
        {
            "outcomes": ("outcome", "dict"),
            **{key: (f"message '{key}'", "single") for key in SAFETY_MESSAGE_KEYS},
        },
    ),
    PROGRAMME_FILE: _FileSpec(
        PROGRAMME_FILE,
        {"phases": ("phase", "list"), "running_advice": ("running_advice", "dict")},
    ),
}


def _field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else part
    return out


class _Reporter:
    """Collects problems for one file, naming file, entry and field."""

    def __init__(self, root: Path, spec: _FileSpec, problems: list[str]) -> None:
        self.label = f"{root.name}/{spec.name}"
        self.spec = spec
        self.raw: Any = None
        self.problems = problems

    def entry_label(self, word: str, items: Any, index: int) -> str:
        item = items[index] if isinstance(items, list) and 0 <= index < len(items) else None
        item_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item_id, str) and item_id.strip():
            return f"{word} '{item_id}'"
        return f"{word} #{index + 1}"

    def locate(self, loc: Loc) -> tuple[str, Loc]:
        """(entry label, field location inside the entry) for a location in the file."""
        top = loc[0] if loc else None
        if isinstance(top, str) and top in self.spec.entries and len(loc) >= 2:
            word, mode = self.spec.entries[top]
            raw_top = self.raw.get(top) if isinstance(self.raw, dict) else None
            rest = loc[2:]
            if mode == "list" and isinstance(loc[1], int):
                label = self.entry_label(word, raw_top, loc[1])
            elif mode == "dict":
                label = f"{word} '{loc[1]}'"
            else:
                label, rest = word, loc[1:]
            if rest and isinstance(rest[0], str) and rest[0] in self.spec.tags:
                rest = rest[1:]
            return label, rest
        return "top level", loc

    def add(self, message: str, entry: str | None = None, field_loc: Loc = ()) -> None:
        parts = [self.label]
        if entry:
            parts.append(entry)
        if field_loc:
            parts.append(f"field '{_field_name(field_loc)}'")
        parts.append(message)
        self.problems.append(": ".join(parts))

    def at(self, loc: Loc, message: str) -> None:
        entry, rest = self.locate(loc)
        self.add(message, entry, rest)

    def validation_error(self, err: ValidationError) -> None:
        for e in err.errors(include_url=False):
            loc: Loc = tuple(e["loc"])
            message = str(e["msg"])
            if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
                loc = (*loc, "kind")
                if e["type"] == "union_tag_not_found":
                    message = "Field required"
            self.at(loc, message)


_M = TypeVar("_M", bound=BaseModel)


def _read(
    root: Path, filename: str, model: type[_M], problems: list[str]
) -> tuple[_M | None, _Reporter]:
    rep = _Reporter(root, _SPECS[filename], problems)
    path = root / filename
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        rep.add("file not found")
        return None, rep
    except (OSError, UnicodeDecodeError) as exc:
        rep.add(f"cannot read file: {exc}")
        return None, rep
    try:
        rep.raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        rep.add(f"invalid YAML{where}: {problem}")
        return None, rep
    if not isinstance(rep.raw, dict):
        rep.add("the file must hold a mapping of fields at the top level")
        return None, rep
    try:
        return model.model_validate(rep.raw), rep
    except ValidationError as err:
        rep.validation_error(err)
        return None, rep


def _walk_texts(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Every string inside a model, with its location."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk_texts(getattr(value, name), (*loc, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_texts(item, (*loc, i))


def _check_texts(model: BaseModel, rep: _Reporter) -> None:
    """Message-size limits and balanced bold markers for every text in a file."""
    for loc, text in _walk_texts(model):
        if len(text) > TELEGRAM_LIMIT:
            rep.at(loc, f"text is {len(text)} characters, over Telegram's {TELEGRAM_LIMIT} limit")
        elif len(text) > DISCORD_LIMIT:
            rep.at(loc, f"text is {len(text)} characters, over Discord's {DISCORD_LIMIT} limit")
        if text.count("**") % 2:
            rep.at(loc, "unbalanced '**' bold markup")


def _check_unique_ids(ids: list[str], word: str, rep: _Reporter, top: str) -> None:
    first: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        if item_id in first:
            rep.at((top, i, "id"), f"duplicate id (also {word} #{first[item_id] + 1})")
        else:
            first[item_id] = i


def _check_names(items: list[tuple[str, list[str]]], word: str, rep: _Reporter, top: str) -> None:
    """Names and aliases must not point at two different entries."""
    owner: dict[str, str] = {}
    for i, (item_id, names) in enumerate(items):
        for name in names:
            key = _key(name)
            if not key:
                rep.at((top, i, "aliases"), f"{name!r} has no letters or digits")
                continue
            other = owner.setdefault(key, item_id)
            if other != item_id:
                rep.at((top, i, "aliases"), f"{name!r} also names {word} '{other}'")


def _check_exercises(ex_file: ExercisesFile, rep: _Reporter) -> None:
    exercises = ex_file.exercises
    _check_unique_ids([e.id for e in exercises], "exercise", rep, "exercises")
    _check_names(
        [(e.id, [e.id, e.name, *e.aliases]) for e in exercises], "exercise", rep, "exercises"
    )
    for i, ex in enumerate(exercises):
        size = len(render_exercise(ex))
        if size > DISCORD_LIMIT:
            rep.at(
                ("exercises", i),
                f"rendered message is {size} characters, over "
                f"Discord's {DISCORD_LIMIT} limit; shorten steps, avoid or stop_if",
            )


def _check_education(edu: EducationFile, rep: _Reporter) -> None:
    topics = edu.topics
    _check_unique_ids([t.id for t in topics], "topic", rep, "topics")
    _check_names([(t.id, [t.id, t.title, *t.aliases]) for t in topics], "topic", rep, "topics")
    for i, topic in enumerate(topics):
        size = len(render_topic(topic))
        if size > DISCORD_LIMIT:
            rep.at(
                ("topics", i, "body"),
                f"rendered message is {size} characters, over Discord's {DISCORD_LIMIT} limit",
            )


def _check_safety(safety: Safety, rep: _Reporter) -> None:
    if DISCLAIMER_PHRASE not in safety.disclaimer.casefold():
        rep.at(("disclaimer",), f"must say it is {DISCLAIMER_PHRASE!r}")
    for name in OUTCOME_KEYS:
        if DISCLAIMER_PHRASE not in safety.outcome(name).text.casefold():
            rep.at(("outcomes", name, "text"), f"must say it is {DISCLAIMER_PHRASE!r}")
    for key in SAFETY_MESSAGE_KEYS:
        if DISCLAIMER_PHRASE not in safety.message(key).text.casefold():
            rep.at((key, "text"), f"must say it is {DISCLAIMER_PHRASE!r}")


def _check_programme(
    prog: Programme, exercises: dict[str, Exercise] | None, rep: _Reporter
) -> None:
    if len(set(prog.default_strength_days)) != len(prog.default_strength_days):
        rep.at(("default_strength_days",), "a day is listed twice")
    _check_unique_ids([p.id for p in prog.phases], "phase", rep, "phases")
    expected = 1
    for i, phase in enumerate(prog.phases):
        last = i == len(prog.phases) - 1
        if phase.from_week != expected:
            rep.at(("phases", i, "from_week"), f"must be {expected} so that phases follow on")
        if phase.to_week is None and not last:
            rep.at(("phases", i, "to_week"), "only the last phase may be open-ended (null)")
        if phase.to_week is not None and phase.to_week < phase.from_week:
            rep.at(("phases", i, "to_week"), "must not be before from_week")
        if last and phase.to_week is not None:
            rep.at(("phases", i, "to_week"), "the last phase must be open-ended (null)")
        expected = (phase.to_week or phase.from_week) + 1
        if len(set(phase.strength)) != len(phase.strength):
            rep.at(("phases", i, "strength"), "an exercise is listed twice")
        for ex_id in phase.strength:
            _check_ref(ex_id, ("strength",), exercises, rep, ("phases", i, "strength"))
    if len(set(prog.daily)) != len(prog.daily):
        rep.at(("daily",), "an exercise is listed twice")
    for ex_id in prog.daily:
        _check_ref(ex_id, ("stretch", "release"), exercises, rep, ("daily",))
    bands = prog.running_advice
    expected = 0
    for name in ("fine", "acceptable", "ease"):
        band: AdviceBand = getattr(bands, name)
        if band.pain_min != expected:
            rep.at(("running_advice", name, "pain_min"), f"must be {expected}")
        if band.pain_max < band.pain_min:
            rep.at(("running_advice", name, "pain_max"), "must not be below pain_min")
        expected = band.pain_max + 1
    if bands.ease.pain_max != 10:
        rep.at(("running_advice", "ease", "pain_max"), "must be 10")


def _check_ref(
    ex_id: str,
    kinds: tuple[str, ...],
    exercises: dict[str, Exercise] | None,
    rep: _Reporter,
    loc: Loc,
) -> None:
    if exercises is None:
        return  # exercises.yaml is broken; that file's own problems are reported
    ex = exercises.get(ex_id)
    if ex is None:
        rep.at(loc, f"unknown exercise id '{ex_id}' (not in {EXERCISES_FILE})")
    elif ex.kind not in kinds:
        rep.at(loc, f"'{ex_id}' is a {ex.kind} exercise; expected {' or '.join(kinds)}")


def _collect(root: Path) -> tuple[Content | None, list[str]]:
    problems: list[str] = []
    ex_file, ex_rep = _read(root, EXERCISES_FILE, ExercisesFile, problems)
    edu, edu_rep = _read(root, EDUCATION_FILE, EducationFile, problems)
    safety, safety_rep = _read(root, SAFETY_FILE, Safety, problems)
    prog, prog_rep = _read(root, PROGRAMME_FILE, Programme, problems)

    exercises: dict[str, Exercise] | None = None
    if ex_file is not None:
        _check_texts(ex_file, ex_rep)
        _check_exercises(ex_file, ex_rep)
        exercises = {e.id: e for e in ex_file.exercises}
    if edu is not None:
        _check_texts(edu, edu_rep)
        _check_education(edu, edu_rep)
    if safety is not None:
        _check_texts(safety, safety_rep)
        _check_safety(safety, safety_rep)
    if prog is not None:
        _check_texts(prog, prog_rep)
        _check_programme(prog, exercises, prog_rep)

    if problems or ex_file is None or edu is None or safety is None or prog is None:
        return None, problems
    content = Content(
        root=root,
        source=ex_file.source,
        exercises=dict(exercises or {}),
        education={t.id: t for t in edu.topics},
        safety=safety,
        programme=prog,
    )
    return content, []


def check_content(root: Path | None = None) -> list[str]:
    """Every problem in the content directory (empty list: all good)."""
    return _collect(root if root is not None else default_content_root())[1]


def load_content(root: Path | None = None) -> Content:
    """Load and validate the content directory; raise ``ContentError`` on any problem."""
    content, problems = _collect(root if root is not None else default_content_root())
    if content is None:
        raise ContentError(problems)
    return content

"""Loading all content once: ``load_bundle`` reads every file, validates it and returns one
frozen ``Bundle`` that is passed to whatever needs it. ``kneecoach check`` and
``kneecoach run`` both start here, so a broken file stops the bot with a message naming
file, entry and field instead of switching anything off.

Layout (``content/``; see docs/DESIGN.md):
  exercises.yaml, programme.yaml   language-neutral structure (ladders, doses, rules, weeks)
  poses.yaml                       the exercise pictures' joint angles, by exercise id
  triage.yaml                      the red-flag rules (compiled by the engine's screener)
  prefill.yaml, timezones.yaml     language-neutral data
  languages.yaml                   what the coach says to a message in another language
  locales/<lang>/                  every word a person reads, one folder per language:
    messages.yaml chart.yaml safety.yaml education.yaml exercises.yaml ladders.yaml
    programme.yaml triage.yaml dialogs/<dialog>.yaml
and ``dialogs/<dialog>.yaml`` beside it: the dialogs' wiring.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.content.chart import ChartFile, ChartText
from bot.content.dialogs import Dialog, DialogWiring, DialogWords, check_wiring, merge_dialog
from bot.content.education import EducationFile, Topic
from bot.content.errors import ContentError
from bot.content.exercises import (
    KNEE_PLACEHOLDER,
    REGION_KINDS,
    Exercise,
    ExercisesFile,
    ExerciseWording,
    Ladder,
    LadderWording,
    StrengthSpec,
    merge_exercise,
    merge_ladder,
)
from bot.content.languages import OTHER, LanguageNotices
from bot.content.locale import Content, name_key
from bot.content.poses import PoseSet, read_poses
from bot.content.prefill import Prefill, read_prefill
from bot.content.programme import (
    BAND_NAMES,
    Programme,
    ProgrammeFile,
    ProgrammeWording,
    merge_programme,
)
from bot.content.render import longest_caption, longest_render, render_topic
from bot.content.safety import DISCLAIMER_PHRASE, OUTCOME_KEYS, SAFETY_MESSAGE_KEYS, Safety
from bot.content.texts import Texts, flatten, placeholders
from bot.content.timezones import TimezoneContent, read_timezones
from bot.content.triage import BUILTIN_RULES, MODIFIERS, TriageWording
from bot.content.yamlfile import FileSpec, Loc, Reporter, read_yaml, validate, walk_texts

DEFAULT_LOCALE = "en"
LOCALES_DIR = "locales"


@dataclass(frozen=True, slots=True)
class TextLimits:
    """The longest message every platform takes, and which platform sets it."""

    max_text: int
    platform: str
    # the longest caption under a picture every platform takes, and which platform sets it
    max_caption: int | None = None
    caption_platform: str = ""


@dataclass(frozen=True)
class Bundle:
    """All content, validated, for every language."""

    root: Path
    dialogs_root: Path
    version: str  # changes whenever any content or dialog file does (for caches)
    default_locale: str
    locales: Mapping[str, Content]
    rules: Mapping[str, Any]  # content/triage.yaml, compiled by the engine's screener
    prefill: Prefill
    timezones: TimezoneContent
    # content/poses.yaml: what each exercise's picture is drawn from (every exercise has one;
    # pose sets for exercises not in content yet are kept but unused)
    poses: Mapping[str, PoseSet]
    languages: LanguageNotices  # content/languages.yaml: replies to other languages

    def content(self, locale: str | None = None) -> Content:
        """One language's content; an unknown or missing locale gets the default one."""
        return self.locales.get(locale or self.default_locale) or self.locales[
            self.default_locale]

    def texts(self, key: str, locale: str | None = None, **values: object) -> str:
        """A UI string in ``locale`` (``KeyError`` for an unknown key)."""
        return self.content(locale).texts.get(key, **values)


def default_content_root() -> Path:
    """The repository's ``content/`` directory (``KNEECOACH_CONTENT`` is read by the settings
    and passed in; nothing here reads the environment)."""
    return Path(__file__).resolve().parents[2] / "content"


def default_dialogs_root() -> Path:
    return Path(__file__).resolve().parents[2] / "dialogs"


def load_bundle(
    root: Path | None = None, dialogs_root: Path | None = None, limits: TextLimits | None = None
) -> Bundle:
    """Read and validate everything; raise ``ContentError`` naming every problem."""
    bundle, problems = _collect(root or default_content_root(),
                                dialogs_root or default_dialogs_root(), limits)
    if bundle is None:
        raise ContentError(problems)
    return bundle


def check_bundle(
    root: Path | None = None, dialogs_root: Path | None = None, limits: TextLimits | None = None
) -> list[str]:
    """Every problem in the content and dialogs (empty: all good)."""
    return _collect(root or default_content_root(), dialogs_root or default_dialogs_root(),
                    limits)[1]


# --------------------------------------------------------------------------- reading


def _label(root: Path, path: Path) -> str:
    """How a file is named in problems: ``content/locales/en/safety.yaml``."""
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


_EXERCISES = FileSpec({"source": ("source", "single"), "exercises": ("exercise", "list"),
                       "ladders": ("ladder", "list"), "equipment": ("equipment", "single")},
                      tags=frozenset({"strength", "stretch", "release"}))
_PROGRAMME = FileSpec({"phases": ("phase", "list"), "running_advice": ("running_advice", "dict"),
                       **{key: (key, "single") for key in ("selection", "progression",
                                                           "running", "function", "review")},
                       "cards": ("card", "dict")})
_BY_ID = FileSpec({}, top_entries="exercise")
_LADDERS = FileSpec({}, top_entries="ladder")
_EDUCATION = FileSpec({"topics": ("topic", "list")})
_SAFETY = FileSpec({"outcomes": ("outcome", "dict"),
                    **{key: (f"message '{key}'", "single") for key in SAFETY_MESSAGE_KEYS}})
_WORDS = FileSpec({"phases": ("phase", "dict"), "running_advice": ("running_advice", "dict"),
                   "cards": ("card", "dict"),
                   "signals": ("signal", "dict"), "outcomes": ("outcome", "dict"),
                   "steps": ("step", "dict")})
_PLAIN = FileSpec({})
_POSES = FileSpec({"exercises": ("exercise", "dict")})
_LANGUAGES = FileSpec({}, top_entries="language")


def _collect(
    root: Path, dialogs_root: Path, limits: TextLimits | None
) -> tuple[Bundle | None, list[str]]:
    problems: list[str] = []

    def read(path: Path, spec: FileSpec) -> Reporter:
        return read_yaml(path, _label(root, path) if path.is_relative_to(root)
                         else _label(dialogs_root.parent, path), spec, problems)

    ex_rep = read(root / "exercises.yaml", _EXERCISES)
    exercises = validate(ex_rep, ExercisesFile)
    if exercises is not None:
        _check_unique([e.id for e in exercises.exercises], "exercise", ex_rep, "exercises")
        _check_library(exercises, ex_rep)
    pr_rep = read(root / "programme.yaml", _PROGRAMME)
    programme = validate(pr_rep, ProgrammeFile)
    if programme is not None:
        _check_programme(programme, exercises, pr_rep)
    rules_rep = read(root / "triage.yaml", _PLAIN)
    rules = rules_rep.raw
    if rules is not None and not isinstance(rules.get("signals"), dict):
        rules_rep.add("field 'signals': must map signal ids to their rules", "top level")
        rules = None
    prefill_rep = read(root / "prefill.yaml", _PLAIN)
    prefill = (read_prefill(prefill_rep.raw, prefill_rep.label, problems)
               if prefill_rep.raw is not None else None)
    poses_rep = read(root / "poses.yaml", _POSES)
    poses = read_poses(poses_rep.raw, poses_rep.at) if poses_rep.raw is not None else None
    if poses is not None and exercises is not None:
        for spec in exercises.exercises:
            if spec.id not in poses:
                poses_rep.add("no pose set: every exercise needs one for its picture",
                              f"exercise '{spec.id}'")
    lang_rep = read(root / "languages.yaml", _LANGUAGES)
    languages = validate(lang_rep, LanguageNotices)
    if languages is not None and rules is not None:
        recognised = rules.get("languages")
        codes = [str(c) for c in recognised if c not in ("en", "min_stopwords")] \
            if isinstance(recognised, dict) else []
        _same_ids([*codes, OTHER], languages.root, "language", lang_rep, root)
    tz_rep = read(root / "timezones.yaml", _PLAIN)
    timezones = (read_timezones(tz_rep.raw, tz_rep.label, problems)
                 if tz_rep.raw is not None else None)

    wirings: dict[str, DialogWiring] = {}
    for path in sorted(dialogs_root.glob("*.yaml")):
        rep = read(path, FileSpec({"steps": ("step", "dict")}))
        wiring = validate(rep, DialogWiring)
        if wiring is not None:
            if wiring.id != path.stem:
                rep.add(f"dialog 'id' must be {path.stem!r}", "dialog")
            else:
                wirings[wiring.id] = wiring

    locales_dir = root / LOCALES_DIR
    codes = sorted(p.name for p in locales_dir.iterdir() if p.is_dir()) if locales_dir.is_dir() \
        else []
    if DEFAULT_LOCALE not in codes:
        problems.append(f"{root.name}/{LOCALES_DIR}/{DEFAULT_LOCALE}: folder not found (the"
                        " default language)")
    locales: dict[str, Content] = {}
    for code in codes:
        content = _read_locale(root, code, exercises, programme, wirings, rules, limits,
                               problems, read)
        if content is not None:
            locales[code] = content
    if DEFAULT_LOCALE in locales:
        _check_same_keys(root, locales, problems)

    if (problems or exercises is None or programme is None or rules is None or prefill is None
            or timezones is None or poses is None or languages is None
            or DEFAULT_LOCALE not in locales):
        return None, problems or ["content could not be loaded"]
    return Bundle(
        root=root, dialogs_root=dialogs_root, version=_version(root, dialogs_root),
        default_locale=DEFAULT_LOCALE, locales=locales, rules=rules, prefill=prefill,
        timezones=timezones, poses=poses, languages=languages,
    ), []


def _read_locale(
    root: Path,
    code: str,
    exercises: ExercisesFile | None,
    programme: ProgrammeFile | None,
    wirings: Mapping[str, DialogWiring],
    rules: Mapping[str, Any] | None,
    limits: TextLimits | None,
    problems: list[str],
    read: Any,
) -> Content | None:
    start = len(problems)
    folder = root / LOCALES_DIR / code

    msg_rep = read(folder / "messages.yaml", _PLAIN)
    texts: Texts | None = None
    if msg_rep.raw is not None:
        raw = dict(msg_rep.raw)
        parsing = raw.pop("parsing", {})
        understanding = raw.pop("understanding", {})
        if isinstance(parsing, dict) and isinstance(understanding, dict):
            parsing = {**parsing, **understanding}
        flat: dict[str, str] = {}
        flatten(raw, "", flat, problems, msg_rep.label)
        for key, value in flat.items():
            try:
                placeholders(value)
            except ValueError as exc:
                msg_rep.add(f"not a valid template: {exc}", f"entry '{key}'")
            _limit(limits, value, msg_rep, f"entry '{key}'", ())
        texts = Texts(code, flat, parsing if isinstance(parsing, dict) else {})

    chart_rep = read(folder / "chart.yaml", _PLAIN)
    chart = validate(chart_rep, ChartFile)

    safety_rep = read(folder / "safety.yaml", _SAFETY)
    safety = validate(safety_rep, Safety)
    if safety is not None:
        _check_texts(safety, safety_rep, limits)
        _check_safety(safety, safety_rep)

    edu_rep = read(folder / "education.yaml", _EDUCATION)
    education = validate(edu_rep, EducationFile)
    if education is not None:
        _check_texts(education, edu_rep, limits)
        _check_unique([t.id for t in education.topics], "topic", edu_rep, "topics")
        _check_names([(t.id, [t.id, t.title, *t.aliases]) for t in education.topics], "topic",
                     edu_rep, "topics")

    exw_rep = read(folder / "exercises.yaml", _BY_ID)
    merged: dict[str, Exercise] = {}
    if exw_rep.raw is not None and exercises is not None:
        specs = {e.id: e for e in exercises.exercises}
        ladder_of = {level: lad.id for lad in exercises.ladders for level in lad.levels}
        for ex_id in exw_rep.raw:
            if ex_id not in specs:
                exw_rep.add(f"no such exercise in {root.name}/exercises.yaml",
                            f"exercise '{ex_id}'")
        for ex_id, spec in specs.items():
            if ex_id not in exw_rep.raw:
                exw_rep.add("the words of this exercise are missing", f"exercise '{ex_id}'")
                continue
            words = validate(exw_rep, ExerciseWording, exw_rep.raw[ex_id], (ex_id,))
            if words is None or ex_id not in ladder_of:
                continue  # a level of no ladder is reported with exercises.yaml
            exercise, missing = merge_exercise(spec, words, ladder_of[ex_id])
            for field_name, message in missing:
                exw_rep.at((ex_id, field_name), message)
            if exercise is not None:
                merged[ex_id] = exercise
        _check_names([(e.id, [e.id, e.name, *e.aliases]) for e in merged.values()], "exercise",
                     exw_rep, None)
        for ex in merged.values():
            _check_texts_of(ex.model_dump(), exw_rep, limits, (ex.id,))
            _check_placeholders(ex, exw_rep)

    lad_rep = read(folder / "ladders.yaml", _LADDERS)
    ladders: dict[str, Ladder] = {}
    if lad_rep.raw is not None and exercises is not None:
        _same_ids([lad.id for lad in exercises.ladders], lad_rep.raw, "ladder", lad_rep, root)
        for spec_l in exercises.ladders:
            if spec_l.id not in lad_rep.raw:
                continue
            lwords = validate(lad_rep, LadderWording, lad_rep.raw[spec_l.id], (spec_l.id,))
            if lwords is not None:
                ladders[spec_l.id] = merge_ladder(spec_l, lwords)
        _check_texts_of({i: lad.model_dump() for i, lad in ladders.items()}, lad_rep, limits,
                        ())

    prw_rep = read(folder / "programme.yaml", _WORDS)
    prog_words = validate(prw_rep, ProgrammeWording)
    merged_programme: Programme | None = None
    if prog_words is not None and programme is not None:
        ids = [p.id for p in programme.phases]
        _same_ids(ids, prog_words.phases, "phase", prw_rep, root)
        _same_ids(list(BAND_NAMES), prog_words.running_advice, "running_advice", prw_rep, root)
        _same_ids([str(d) for d in programme.cards],
                  {str(d): t for d, t in prog_words.cards.items()}, "card", prw_rep, root)
        if education is not None:
            topics = {t.id for t in education.topics}
            for day, topic in programme.cards.items():
                if topic not in topics:
                    prw_rep.add(f"unknown education topic '{topic}' (in {root.name}/"
                                "programme.yaml) in this language's education.yaml",
                                f"card '{day}'")
        _check_texts(prog_words, prw_rep, limits)
        if prw_rep.count == 0:
            merged_programme = merge_programme(programme, prog_words)

    trw_rep = read(folder / "triage.yaml", _WORDS)
    triage_words = validate(trw_rep, TriageWording)
    if triage_words is not None and rules is not None:
        signals = rules.get("signals") or {}
        _same_ids(list(signals), triage_words.signals, "signal", trw_rep, root)
        outcomes = [o.get("outcome") for o in rules.get("outcomes") or [] if isinstance(o, dict)]
        _same_ids([str(o) for o in outcomes], triage_words.outcomes, "outcome", trw_rep, root)
        _same_ids(list(MODIFIERS), triage_words.modifiers, "modifier", trw_rep, root)
        context = rules.get("context")
        context_rules = context.get("rules") if isinstance(context, dict) else None
        rule_ids = [str(r.get("id")) for r in context_rules or [] if isinstance(r, dict)]
        _same_ids([*BUILTIN_RULES, *rule_ids], triage_words.rules, "rule", trw_rep, root)

    dialogs: dict[str, Dialog] = {}
    for dialog_id, wiring in wirings.items():
        d_rep = read(folder / "dialogs" / f"{dialog_id}.yaml", _WORDS)
        said = validate(d_rep, DialogWords)
        if said is not None:
            dialog = merge_dialog(wiring, said, d_rep.label, problems)
            if dialog is not None:
                dialogs[dialog_id] = dialog
                _check_texts_of(said.model_dump(), d_rep, limits, ())
    stray = folder / "dialogs"
    if stray.is_dir():
        for path in sorted(stray.glob("*.yaml")):
            if path.stem not in wirings:
                problems.append(f"{_label(root, path)}: no dialog dialogs/{path.name} to word")

    if len(problems) > start or None in (texts, chart, safety, education, merged_programme,
                                         triage_words, exercises):
        return None
    assert texts is not None and chart is not None and safety is not None
    assert education is not None and merged_programme is not None
    assert triage_words is not None and exercises is not None
    content = Content(
        locale=code, source=exercises.source, equipment=exercises.equipment, ladders=ladders,
        exercises=merged, education={t.id: t for t in education.topics}, safety=safety,
        programme=merged_programme, texts=texts, chart=ChartText.of(chart), dialogs=dialogs,
        triage=triage_words,
    )
    if code == DEFAULT_LOCALE:  # the ladders' structure is the same in every language
        _check_ladders(content, Reporter(f"{root.name}/exercises.yaml", _EXERCISES, problems))
    _check_rendered(content, limits, exw_rep, edu_rep)
    for dialog in dialogs.values():
        problems.extend(check_wiring(
            f"dialogs/{dialog.id}.yaml", dialog, content.exercises, content.resolve, wirings))
    return None if len(problems) > start else content


# --------------------------------------------------------------------------- checks


def _limit(limits: TextLimits | None, text: str, rep: Reporter, entry: str, loc: Loc) -> None:
    if limits is not None and len(text) > limits.max_text:
        rep.add(f"text is {len(text)} characters, over {limits.platform}'s "
                f"{limits.max_text} limit", entry, loc)


def _check_texts(model: BaseModel, rep: Reporter, limits: TextLimits | None) -> None:
    """Message-size limits and balanced bold markers for every text in a file."""
    for loc, text in walk_texts(model):
        if limits is not None and len(text) > limits.max_text:
            rep.at(loc, f"text is {len(text)} characters, over {limits.platform}'s "
                        f"{limits.max_text} limit")
        if text.count("**") % 2:
            rep.at(loc, "unbalanced '**' bold markup")


def _check_texts_of(data: Any, rep: Reporter, limits: TextLimits | None, prefix: Loc) -> None:
    for loc, text in walk_texts(data, prefix):
        if limits is not None and len(text) > limits.max_text:
            rep.at(loc, f"text is {len(text)} characters, over {limits.platform}'s "
                        f"{limits.max_text} limit")
        if text.count("**") % 2:
            rep.at(loc, "unbalanced '**' bold markup")


def _check_rendered(
    content: Content, limits: TextLimits | None, ex_rep: Reporter, edu_rep: Reporter
) -> None:
    if limits is None:
        return
    for ex in content.exercises.values():
        size = longest_render(ex, content.texts, content.ladders.get(ex.ladder))
        if size > limits.max_text:
            ex_rep.at((ex.id,), f"rendered message is {size} characters, over {limits.platform}'s"
                                f" {limits.max_text} limit; shorten steps, avoid or stop_if")
        caption = longest_caption(ex, content.texts, content.ladders.get(ex.ladder))
        if limits.max_caption is not None and caption > limits.max_caption:
            ex_rep.at((ex.id, "steps"), f"the caption under the picture (heading, steps, dose) "
                                        f"is {caption} characters, over "
                                        f"{limits.caption_platform}'s {limits.max_caption}")
    for i, topic in enumerate(content.education.values()):
        size = len(render_topic(topic, content.texts))
        if size > limits.max_text:
            edu_rep.at(("topics", i, "body"), f"rendered message is {size} characters, over "
                                              f"{limits.platform}'s {limits.max_text} limit")


def _check_unique(ids: list[str], word: str, rep: Reporter, top: str) -> None:
    first: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        if item_id in first:
            rep.at((top, i, "id"), f"duplicate id (also {word} #{first[item_id] + 1})")
        else:
            first[item_id] = i


def _check_names(
    items: list[tuple[str, list[str]]], word: str, rep: Reporter, top: str | None
) -> None:
    """Names and aliases must not point at two different entries."""
    owner: dict[str, str] = {}
    for i, (item_id, names) in enumerate(items):
        loc: Loc = (top, i, "aliases") if top is not None else (item_id, "aliases")
        for name in names:
            key = name_key(name)
            if not key:
                rep.at(loc, f"{name!r} has no letters or digits")
                continue
            other = owner.setdefault(key, item_id)
            if other != item_id:
                rep.at(loc, f"{name!r} also names {word} '{other}'")


def _same_ids(
    wanted: list[str], given: Mapping[str, Any], word: str, rep: Reporter, root: Path
) -> None:
    for item in wanted:
        if item not in given:
            rep.add("its words are missing", f"{word} '{item}'")
    for item in given:
        if item not in wanted:
            rep.add(f"no such {word} in the language-neutral file under {root.name}/",
                    f"{word} '{item}'")


def _check_safety(safety: Safety, rep: Reporter) -> None:
    if DISCLAIMER_PHRASE not in safety.disclaimer.casefold():
        rep.at(("disclaimer",), f"must say it is {DISCLAIMER_PHRASE!r}")
    for name in OUTCOME_KEYS:
        if DISCLAIMER_PHRASE not in safety.outcome(name).text.casefold():
            rep.at(("outcomes", name, "text"), f"must say it is {DISCLAIMER_PHRASE!r}")
    for key in SAFETY_MESSAGE_KEYS:
        if DISCLAIMER_PHRASE not in safety.message(key).text.casefold():
            rep.at((key, "text"), f"must say it is {DISCLAIMER_PHRASE!r}")


def _check_programme(prog: ProgrammeFile, exercises: ExercisesFile | None, rep: Reporter) -> None:
    if len(set(prog.default_strength_days)) != len(prog.default_strength_days):
        rep.at(("default_strength_days",), "a day is listed twice")
    _check_unique([p.id for p in prog.phases], "phase", rep, "phases")
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
    if len(set(prog.daily)) != len(prog.daily):
        rep.at(("daily",), "an exercise is listed twice")
    for ex_id in prog.daily:
        _check_ref(ex_id, ("stretch", "release"), exercises, rep, ("daily",))
    if exercises is not None:
        regions = {lad.id: lad.region for lad in exercises.ladders}
        for region in ("knee", "hip"):
            listed: list[str] = list(getattr(prog.selection, region))
            if len(set(listed)) != len(listed):
                rep.at(("selection", region), "a ladder is listed twice")
            for ladder_id in listed:
                if regions.get(ladder_id) != region:
                    rep.at(("selection", region), f"'{ladder_id}' is not a {region} ladder in "
                                                  "exercises.yaml")
            for ladder_id, where in regions.items():
                if where == region and ladder_id not in listed:
                    rep.at(("selection", region), f"the {region} ladder '{ladder_id}' is missing")
    weeks = prog.function.weeks
    if weeks != sorted(set(weeks)) or weeks[0] < 1:
        rep.at(("function", "weeks"), "must be weeks from 1 up, ascending, each once")
    if prog.review.week not in weeks:
        rep.at(("review", "week"), "the review needs a function check that week "
                                   "(function.weeks)")
    for day in prog.cards:
        if day < 1:
            rep.at(("cards", day), "a card's day counts from 1")
    bands = prog.running_advice
    expected = 0
    for name in BAND_NAMES:
        band = getattr(bands, name)
        if band.pain_min != expected:
            rep.at(("running_advice", name, "pain_min"), f"must be {expected}")
        if band.pain_max < band.pain_min:
            rep.at(("running_advice", name, "pain_max"), "must not be below pain_min")
        expected = band.pain_max + 1
    if bands.ease.pain_max != 10:
        rep.at(("running_advice", "ease", "pain_max"), "must be 10")


def _check_library(lib: ExercisesFile, rep: Reporter) -> None:
    """Ladders and levels: every level an exercise of the ladder's kind, every exercise on
    exactly one ladder, every piece of equipment known, daily-only equipment only for the
    daily list."""
    _check_unique([lad.id for lad in lib.ladders], "ladder", rep, "ladders")
    specs = {e.id: e for e in lib.exercises}
    known = lib.equipment.known
    placed: dict[str, str] = {}
    for i, lad in enumerate(lib.ladders):
        if len(set(lad.levels)) != len(lad.levels):
            rep.at(("ladders", i, "levels"), "a level is listed twice")
        for level in lad.levels:
            spec = specs.get(level)
            if spec is None:
                rep.at(("ladders", i, "levels"), f"unknown exercise id '{level}'")
                continue
            if spec.kind != REGION_KINDS[lad.region]:
                rep.at(("ladders", i, "levels"), f"'{level}' is a {spec.kind} exercise; a "
                                                 f"{lad.region} ladder holds "
                                                 f"{REGION_KINDS[lad.region]} exercises")
            if level in placed:
                rep.at(("ladders", i, "levels"), f"'{level}' is also a level of ladder "
                                                 f"'{placed[level]}'")
            placed.setdefault(level, lad.id)
        if not lad.loads_knee and lad.region != "knee":
            rep.at(("ladders", i, "loads_knee"), "only a knee ladder may say it does not load "
                                                 "the knee")
    for i, spec in enumerate(lib.exercises):
        if spec.id not in placed:
            rep.at(("exercises", i, "id"), "not a level of any ladder")
        for field_name in ("equipment", "any_of"):
            for item in getattr(spec, field_name):
                if item not in known:
                    rep.at(("exercises", i, field_name), f"unknown equipment '{item}' (known: "
                                                         f"{', '.join(sorted(known))})")
                elif item in lib.equipment.daily and spec.kind == "strength":
                    rep.at(("exercises", i, field_name),
                           f"'{item}' is not asked about, so a strength level cannot need it")


def _equipment_sets(content: Content) -> list[frozenset[str]]:
    """Every equipment a runner can have: the assumed, plus any choice of the asked."""
    base = frozenset(content.equipment.assumed)
    asked = content.equipment.asked
    return [base | frozenset(chosen) for n in range(len(asked) + 1)
            for chosen in itertools.combinations(asked, n)]


def _check_ladders(content: Content, rep: Reporter) -> None:
    """For every equipment a runner can have: each level's next and previous exist and can
    be done with it, and a strength session can have a knee-loading and a hip movement."""
    selection = content.programme.selection
    ladders = {i: lad for i, lad in content.ladders.items()
               if all(level in content.exercises for level in lad.levels)}
    if len(ladders) < len(content.ladders) or not set(selection.knee + selection.hip) <= set(
            ladders):
        return  # the unknown levels are reported with exercises.yaml and programme.yaml
    for has in _equipment_sets(content):
        what = ", ".join(sorted(has))
        for ladder in ladders.values():
            usable = ladder.effective(content.exercises, has)
            for level in usable:
                for delta in (1, -1):
                    here, there = ladder.step(content.exercises, has, level, delta)
                    if here != level or there is None or there not in ladder.levels \
                            or not content.exercises[there].usable_with(has):
                        side = "next" if delta > 0 else "previous"
                        rep.add(f"level '{level}' has no usable {side} level with {what}",
                                f"ladder '{ladder.id}'")
        knee = [i for i in selection.knee
                if ladders[i].loads_knee and ladders[i].effective(content.exercises, has)]
        hip = [i for i in selection.hip if ladders[i].effective(content.exercises, has)]
        if not knee or not hip:
            rep.add(f"with only {what} a session would lack a "
                    f"{'knee-loading' if not knee else 'hip'} movement")


def _check_placeholders(ex: Exercise, rep: Reporter) -> None:
    """Only {knee}, only in the steps, at most once an exercise."""
    for loc, value in walk_texts(ex.model_dump(), (ex.id,)):
        if "{" not in value and "}" not in value:
            continue
        in_steps = len(loc) > 1 and loc[1] == "steps"
        if not in_steps or value.replace(KNEE_PLACEHOLDER, "").count("{") \
                or value.replace(KNEE_PLACEHOLDER, "").count("}"):
            rep.at(loc, f"the only placeholder an exercise may use is {KNEE_PLACEHOLDER}, in "
                        "its steps")
    if sum(step.count(KNEE_PLACEHOLDER) for step in ex.steps) > 1:
        rep.at((ex.id, "steps"), f"{KNEE_PLACEHOLDER} may appear once an exercise")


def _check_ref(
    ex_id: str, kinds: tuple[str, ...], exercises: ExercisesFile | None, rep: Reporter, loc: Loc
) -> None:
    if exercises is None:
        return  # exercises.yaml is broken; that file's own problems are reported
    specs = {e.id: e for e in exercises.exercises}
    spec = specs.get(ex_id)
    if spec is None:
        rep.at(loc, f"unknown exercise id '{ex_id}' (not in exercises.yaml)")
    elif spec.kind not in kinds:
        rep.at(loc, f"'{ex_id}' is a {spec.kind} exercise; expected {' or '.join(kinds)}")


def _check_same_keys(root: Path, locales: Mapping[str, Content], problems: list[str]) -> None:
    """Every language has the default language's texts, with the same placeholders."""
    reference = locales[DEFAULT_LOCALE].texts
    for code, content in locales.items():
        if code == DEFAULT_LOCALE:
            continue
        label = f"{root.name}/{LOCALES_DIR}/{code}/messages.yaml"
        for key in reference.keys():
            if key not in content.texts:
                problems.append(f"{label}: entry '{key}': missing (it is in "
                                f"{DEFAULT_LOCALE}/messages.yaml)")
            elif content.texts.placeholders(key) != reference.placeholders(key):
                problems.append(f"{label}: entry '{key}': placeholders "
                                f"{sorted(content.texts.placeholders(key))} differ from "
                                f"{sorted(reference.placeholders(key))}")


def _version(root: Path, dialogs_root: Path) -> str:
    digest = hashlib.sha256()
    for base in (root, dialogs_root):
        for path in sorted(base.rglob("*.yaml")):
            digest.update(os.fsencode(path.relative_to(base)))
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


__all__ = ["Bundle", "StrengthSpec", "TextLimits", "Topic", "check_bundle", "load_bundle"]

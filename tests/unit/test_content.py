"""The shipped content/ loads and says what it should; broken copies are reported precisely."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.check import text_limits
from bot.content import (
    Content,
    ContentError,
    check_bundle,
    default_content_root,
    default_dialogs_root,
    load_bundle,
)
from bot.content.exercises import ReleaseDose, StrengthDose, StretchDose
from bot.content.render import knee_words, render_exercise, render_topic

REPO = Path(__file__).resolve().parents[2]
CONTENT_DIR = REPO / "content"
EN = CONTENT_DIR / "locales" / "en"
SHARED_DOMAIN = REPO.parent / "shared" / "domain"
DISCORD_LIMIT = text_limits().max_text

CREDIT = (
    "Runner's World, \"How to treat runner's knee\" (article by Mallory Creveling, CPT; "
    "medically reviewed by John Vasudevan, M.D.; with Kimberly Kaiser, M.D., and "
    "William Roberts, M.D.)"
)
# The source article's seven moves and foam rolling stay in the library.
SOURCE_MOVES = ["clamshell", "donkey_kick", "fire_hydrant", "straight_leg_raise",
                "hamstring_stretch", "running_lunge", "figure_four", "foam_roll"]
LADDERS = {
    "squat": ["sit_to_stand", "box_squat", "squat", "split_squat"],
    "wall_sit": ["wall_sit"],
    "step": ["step_up", "lateral_step_down", "forward_step_down"],
    "knee_extension": ["knee_extension", "knee_extension_loaded"],
    "calf": ["calf_raise", "single_leg_calf_raise"],
    "straight_leg": ["straight_leg_raise", "straight_leg_raise_weighted"],
    "side_hip": ["clamshell", "banded_clamshell", "side_lying_abduction", "side_plank"],
    "bridge": ["bridge", "single_leg_bridge"],
    "donkey_kick": ["donkey_kick"],
    "fire_hydrant": ["fire_hydrant"],
    "hamstring_stretch": ["hamstring_stretch"],
    "running_lunge": ["running_lunge"],
    "figure_four": ["figure_four"],
    "foam_roll": ["foam_roll"],
}
STRETCH = ["hamstring_stretch", "running_lunge", "figure_four"]
TOPICS = [
    "what_is", "pain_monitoring", "load_management", "expected_course", "hips_and_quads",
    "running_return", "cadence", "shoes", "taping", "tightness", "mileage", "cross_training",
    "when_to_see_doctor",
]
OUTCOMES = ["urgent", "see_clinician", "other_likely", "pfp_program", "unclear"]

# Fragments of the damaged scrape behind seed-facts.md: none may appear in content/.
NOISE = [
    "ldquo",
    "rdquo",
    "&amp;",
    "&#",
    "Image no longer available",
    "Hearst",
    "Trevor Raab",
    "Lakota Gambill",
    "Julia Hembree",
    "Hembree Smith",
    "Nutrition - Weight Loss",
    "DAA Industry",
    "Opt Out",
    "benefits of strength training",
    "Benefits of Foam Rolling",
]


@pytest.fixture(scope="module")
def content() -> Content:
    return load_bundle(CONTENT_DIR).content("en")


def check(root: Path) -> list[str]:
    """What `kneecoach check` says of a content folder (with the platforms' text limits)."""
    return check_bundle(root, default_dialogs_root(), text_limits())


# --------------------------------------------------------------------------- shipped content


def test_shipped_content_has_no_problems() -> None:
    assert check(CONTENT_DIR) == []


def test_default_root_is_the_repo_content_dir() -> None:
    assert default_content_root() == CONTENT_DIR
    exercises = load_bundle().content().exercises
    assert set(exercises) == {level for levels in LADDERS.values() for level in levels}
    assert len(exercises) == 26
    assert set(SOURCE_MOVES) <= set(exercises)


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    problems = check(tmp_path)
    assert any("file not found" in p for p in problems)
    assert any("locales/en: folder not found" in p for p in problems)


def test_source_credit_is_exact(content: Content) -> None:
    assert content.credit == CREDIT
    assert content.source.author == "Mallory Creveling, CPT"
    assert content.source.medical_reviewer == "John Vasudevan, M.D."
    assert content.source.experts == ["Kimberly Kaiser, M.D.", "William Roberts, M.D."]


def test_ladders_and_levels(content: Content) -> None:
    assert {i: lad.levels for i, lad in content.ladders.items()} == LADDERS
    for ladder in content.ladders.values():
        assert ladder.name and ladder.description
        for level in ladder.levels:
            assert content.exercises[level].ladder == ladder.id
    regions = {i: lad.region for i, lad in content.ladders.items()}
    assert [i for i, r in regions.items() if r == "knee"] == [
        "squat", "wall_sit", "step", "knee_extension", "calf", "straight_leg"]
    assert [i for i, r in regions.items() if r == "hip"] == [
        "side_hip", "bridge", "donkey_kick", "fire_hydrant"]
    # the straight leg raise works the thigh without loading the bent knee
    assert not content.ladders["straight_leg"].loads_knee
    assert all(lad.loads_knee for i, lad in content.ladders.items() if i != "straight_leg")


def test_every_level_has_steps_dose_equipment_and_minutes(content: Content) -> None:
    known = content.equipment.known
    for ex_id, ex in content.exercises.items():
        assert len(ex.steps) >= 3, ex_id
        assert ex.aliases and ex.targets and ex.avoid and ex.stop_if, ex_id
        assert ex.easier and ex.harder and ex.cue and ex.source, ex_id
        assert 1 <= ex.minutes <= 30, ex_id
        assert set(ex.equipment) | set(ex.any_of) <= known, ex_id
        if ex.kind == "strength":
            assert any("5 out of 10" in s for s in ex.stop_if), ex_id
            assert isinstance(ex.dose, StrengthDose)
            assert ex.dose.reps or ex.dose.hold_seconds, ex_id
        assert sum(step.count("{knee}") for step in ex.steps) <= 1, ex_id
    assert content.equipment.asked == ["band", "weights", "step"]
    assert content.equipment.assumed == ["chair", "wall", "mat"]


def test_equipment_of_the_levels(content: Content) -> None:
    ex = content.exercises
    assert ex["banded_clamshell"].equipment == ["mat", "band"]
    assert all(ex[i].equipment == ["step"] for i in LADDERS["step"])
    assert ex["knee_extension_loaded"].any_of == ["band", "weights"]
    # the straight leg raise is progressed with an ankle weight, not a band above the knee
    assert "weights" in ex["straight_leg_raise_weighted"].equipment
    assert "band" not in ex["straight_leg_raise_weighted"].equipment
    dose = ex["straight_leg_raise_weighted"].dose
    assert isinstance(dose, StrengthDose) and "ankle weight" in dose.load.lower()


def test_a_runner_without_a_band_skips_the_banded_clamshell(content: Content) -> None:
    side_hip = content.ladders["side_hip"]
    no_band = frozenset(content.equipment.assumed)
    assert side_hip.effective(content.exercises, no_band) == [
        "clamshell", "side_lying_abduction", "side_plank"]
    assert side_hip.step(content.exercises, no_band, "clamshell", 1) == (
        "clamshell", "side_lying_abduction")
    assert side_hip.step(content.exercises, no_band | {"band"}, "clamshell", 1) == (
        "clamshell", "banded_clamshell")
    # a stored level they can no longer do falls back to the hardest they can below it
    assert side_hip.current(content.exercises, no_band, "banded_clamshell") == "clamshell"
    assert content.ladders["step"].effective(content.exercises, no_band) == []
    assert side_hip.step(content.exercises, no_band, "side_plank", 1) == (
        "side_plank", "side_plank")


def test_doses(content: Content) -> None:
    def strength(ex_id: str) -> StrengthDose:
        dose = content.exercises[ex_id].dose
        assert isinstance(dose, StrengthDose)
        return dose

    for ex_id in ["clamshell", "donkey_kick", "fire_hydrant"]:
        assert (strength(ex_id).sets, strength(ex_id).reps, strength(ex_id).per_side) == (
            3, 15, True)
    slr = strength("straight_leg_raise")
    assert (slr.sets, slr.reps, slr.hold_seconds) == (3, 15, 3)
    wall = strength("wall_sit")
    assert (wall.reps, wall.hold_seconds) == (None, 30)
    assert strength("squat").tempo == "3-1-2"
    assert "JOSPT" in content.exercises["knee_extension"].source
    assert "Kneecoach's choice" in content.exercises["side_plank"].source
    for ex_id in STRETCH:
        ex = content.exercises[ex_id]
        assert isinstance(ex.dose, StretchDose)
        assert (ex.dose.hold_seconds, ex.dose.repeats, ex.dose.per_side) == (30, 2, True)
        assert "Kneecoach's choice" in ex.source and "Crossley" in ex.source
    foam = content.exercises["foam_roll"]
    assert isinstance(foam.dose, ReleaseDose)
    assert foam.dose.areas == ["glutes", "IT band", "quads", "hamstrings"]
    assert "lacrosse or tennis ball" in " ".join(foam.steps)
    assert "Kneecoach's choice" in foam.source


def test_programme_selection_and_guidance(content: Content) -> None:
    prog = content.programme
    assert prog.default_strength_days == ["mon", "wed", "fri"]
    assert [(p.from_week, p.to_week) for p in prog.phases] == [
        (1, 2), (3, 4), (5, 6), (7, None)]
    assert prog.selection.knee == [
        "squat", "step", "knee_extension", "wall_sit", "calf", "straight_leg"]
    assert prog.selection.hip == ["side_hip", "bridge", "donkey_kick", "fire_hydrant"]
    assert prog.daily == ["hamstring_stretch", "running_lunge", "figure_four", "foam_roll"]
    assert prog.progression.steady_sessions == 3 and prog.progression.pain_limit == 5
    assert prog.running.step_percent == 10 and prog.running.race_weeks == 8
    assert prog.function.weeks == [3, 6] and prog.function.clear_gain == 3
    assert prog.review.week == 6 and prog.review.pain_drop == 2
    assert sorted(prog.cards) == list(range(1, 15))
    for card in prog.cards.values():
        assert card.topic in content.education and len(card.text) <= 280


def test_programme_helpers(content: Content) -> None:
    prog = content.programme
    assert prog.phase_for_week(1).id == prog.phases[0].id
    assert prog.phase_for_week(3).id == "build"
    assert prog.phase_for_week(6).to_week == 6
    assert prog.phase_for_week(40).to_week is None
    assert prog.advice_for(0) is prog.running_advice.fine
    assert prog.advice_for(2) is prog.running_advice.fine
    assert prog.advice_for(3) is prog.running_advice.acceptable
    assert prog.advice_for(5) is prog.running_advice.acceptable
    assert prog.advice_for(6) is prog.running_advice.ease
    assert prog.advice_for(1, worse_next_morning=True) is prog.running_advice.ease


def test_running_advice_explains_how_to_ease(content: Content) -> None:
    advice = content.programme.running_advice
    for band in (advice.fine, advice.acceptable, advice.ease):
        assert len(band.text) < 600
    ease = advice.ease.text.lower()
    for word in ("shorten", "slow", "flat", "cross-training", "rest day", "not damage"):
        assert word in ease, word
    # agrees with the pain_monitoring topic: stop above 5, not "never run with any pain"
    assert "above 5/10" in ease and "do not run through pain" not in ease


def test_education_topics(content: Content) -> None:
    assert list(content.education) == TOPICS
    for topic in content.education.values():
        assert len(topic.body) < 1800, topic.id
        assert topic.short and topic.source
        assert len(render_topic(topic, content.texts)) <= DISCORD_LIMIT
    pain = content.education["pain_monitoring"]
    assert "Silbernagel" in pain.source and "Rathleff" in pain.source
    assert "run through pain" in pain.body  # the contradiction is resolved in the open
    assert "train car" in content.education["what_is"].body
    assert "not a structural injury" in content.education["what_is"].body
    assert "Pain is not damage" in content.education["what_is"].body
    assert "6 to 12 weeks" in content.education["expected_course"].body
    assert "rule of thumb" in content.education["running_return"].body
    assert "off-the-shelf" in content.education["shoes"].body
    everything = " ".join(t.body for t in content.education.values()).lower()
    for outdated in ("grinds against", "vastus medialis oblique", "wider pelvis"):
        assert outdated not in everything, outdated


def test_safety_texts(content: Content) -> None:
    safety = content.safety
    assert "not a diagnosis" in safety.disclaimer
    for name in OUTCOMES:
        msg = safety.outcome(name)
        assert msg is safety.message(f"safety.{name}")
        assert "not a diagnosis" in msg.text.lower(), name
        assert len(msg.text) < 1500, name
    for name in ("age_teen", "age_under13", "race_soon", "swelling_pause", "consent"):
        assert "not a diagnosis" in safety.message(name).text.lower(), name
    assert "emergency" in safety.outcome("urgent").text
    assert "/export" in safety.consent.text and "/forget" in safety.consent.text
    assert safety.consent.text.rstrip().endswith("?")
    assert "parent" in safety.age_under13.text and "doctor" in safety.age_under13.text
    assert len(safety.messages()) == 10
    with pytest.raises(KeyError):
        safety.message("nonsense")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("clamshell", "clamshell"),
        ("Clam", "clamshell"),
        ("clams", "clamshell"),
        ("  Clamshells ", "clamshell"),
        ("SLR", "straight_leg_raise"),
        ("straight-leg raises", "straight_leg_raise"),
        ("Straight Leg Raise", "straight_leg_raise"),
        ("donkey kicks", "donkey_kick"),
        ("donkey-kick", "donkey_kick"),
        ("fire hydrants", "fire_hydrant"),
        ("FIRE_HYDRANT", "fire_hydrant"),
        ("hamstring stretches", "hamstring_stretch"),
        ("runner's lunge", "running_lunge"),
        ("lunges", "running_lunge"),
        ("figure 4", "figure_four"),
        ("Figure-Four", "figure_four"),
        ("figure fours", "figure_four"),
        ("foam rolling", "foam_roll"),
        ("tennis ball", "foam_roll"),
        # plurals that are not listed as aliases
        ("Figure-four stretches", "figure_four"),
        ("running lunges", "running_lunge"),
        ("piriformis stretches", "figure_four"),
        ("foam rolls", "foam_roll"),
        ("tennis balls", "foam_roll"),
        ("squats", "squat"),
        ("step downs", "forward_step_down"),
        ("lateral step-down", "lateral_step_down"),
        ("wall sits", "wall_sit"),
        ("banded clam", "banded_clamshell"),
        ("weighted SLR", "straight_leg_raise_weighted"),
    ],
)
def test_find_exercise(content: Content, typed: str, expected: str) -> None:
    found = content.find_exercise(typed)
    assert found is not None and found.id == expected


@pytest.mark.parametrize("typed", ["moonwalk", "", "   ", "-", "knee"])
def test_find_exercise_unknown(content: Content, typed: str) -> None:
    assert content.find_exercise(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("shoes", "shoes"),
        ("Flat feet", "shoes"),
        ("orthotic", "shoes"),
        ("what_is", "what_is"),
        ("What is runner's knee?", "what_is"),
        ("pain monitoring", "pain_monitoring"),
        ("cross-training", "cross_training"),
        ("GP", "when_to_see_doctor"),
        ("cadence", "cadence"),
        ("walk run", "running_return"),
        ("tape", "taping"),
        ("flare up", "expected_course"),
    ],
)
def test_find_topic(content: Content, typed: str, expected: str) -> None:
    found = content.find_topic(typed)
    assert found is not None and found.id == expected


def test_render_exercise(content: Content) -> None:
    text = render_exercise(content.exercises["clamshell"], content.texts)
    assert text.startswith("**Clamshell**")
    assert "\n1. " in text and "\n5. " in text
    assert "**Dose:** 3 sets of 15 reps on each side" in text
    assert "**Avoid**\n- " in text and "**Stop if**\n- " in text
    assert "**Easier:** " in text and "**Harder:** " in text and "**Cue:** " in text
    stretch = render_exercise(content.exercises["figure_four"], content.texts)
    assert "Hold for 30 seconds, 2 times on each side." in stretch
    assert "_Kneecoach's choice" in stretch
    squat = render_exercise(content.exercises["squat"], content.texts,
                            content.ladders["squat"])
    assert "_Squat ladder: level 3 of 4_" in squat
    assert "3 seconds down, 1 second pause and 2 seconds up" in squat
    wall = render_exercise(content.exercises["wall_sit"], content.texts)
    assert "**Dose:** 3 holds of 30 seconds." in wall
    for ex in content.exercises.values():
        rendered = render_exercise(ex, content.texts, content.ladder_of(ex.id),
                                   "each knee")
        assert len(rendered) <= DISCORD_LIMIT, ex.id
        assert rendered.count("**") % 2 == 0, ex.id
        assert "{" not in rendered, ex.id


def test_the_knee_is_named_from_the_intake(content: Content) -> None:
    split = content.exercises["split_squat"]
    left = render_exercise(split, content.texts, knee=knee_words("left", content.texts))
    assert "Use a mirror to watch your left knee" in left
    both = render_exercise(split, content.texts, knee=knee_words("both", content.texts))
    assert "watch each knee" in both
    assert "watch your knee" in render_exercise(split, content.texts)


def test_render_topic(content: Content) -> None:
    text = render_topic(content.education["shoes"], content.texts)
    assert text.startswith("**Shoes, flat feet and insoles**\n\n")
    assert "Source:" in text


# --------------------------------------------------------------------------- broken copies

Edit = Callable[[Any], None]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    return root


def edit(root: Path, name: str, change: Edit) -> None:
    path = root / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def entry(data: Any, key: str, entry_id: str) -> dict[str, Any]:
    for item in data[key]:
        if item["id"] == entry_id:
            assert isinstance(item, dict)
            return item
    raise AssertionError(entry_id)


WORDS = "locales/en/exercises.yaml"


def test_copy_of_shipped_content_is_valid(copy: Path) -> None:
    edit(copy, "exercises.yaml", lambda d: None)  # a YAML round trip changes nothing
    edit(copy, WORDS, lambda d: None)
    assert check(copy) == []


def test_missing_field_names_file_entry_and_field(copy: Path) -> None:
    edit(copy, WORDS, lambda d: d["clamshell"].pop("steps"))
    with pytest.raises(ContentError) as err:
        load_bundle(copy, default_dialogs_root(), text_limits())
    assert str(err.value) == (
        "content/locales/en/exercises.yaml: exercise 'clamshell': field 'steps': Field required"
    )
    assert check(copy) == [str(err.value)]


def test_missing_dose_field(copy: Path) -> None:
    edit(copy, "exercises.yaml", lambda d: entry(d, "exercises", "donkey_kick")["dose"].pop("sets"))
    assert check(copy) == [
        "content/exercises.yaml: exercise 'donkey_kick': field 'dose.sets': Field required"
    ]


def test_every_dose_needs_a_source(copy: Path) -> None:
    edit(copy, WORDS, lambda d: d["figure_four"].pop("source"))
    assert check(copy) == [
        "content/locales/en/exercises.yaml: exercise 'figure_four': field 'source': "
        "Field required"
    ]


def test_empty_step_and_unknown_field(copy: Path) -> None:
    def change(d: Any) -> None:
        d["fire_hydrant"]["steps"][1] = "   "
        d["fire_hydrant"]["colour"] = "red"

    edit(copy, WORDS, change)
    problems = check(copy)
    assert len(problems) == 2
    assert any(
        "exercise 'fire_hydrant': field 'steps[2]': String should have at least" in p
        for p in problems
    )
    assert any("exercise 'fire_hydrant': field 'colour': Extra inputs" in p for p in problems)


def test_bad_kind(copy: Path) -> None:
    edit(copy, "exercises.yaml", lambda d: entry(d, "exercises", "foam_roll").update(kind="yoga"))
    (problem,) = check(copy)
    assert problem.startswith("content/exercises.yaml: exercise 'foam_roll': field 'kind': ")
    edit(copy, "exercises.yaml", lambda d: entry(d, "exercises", "foam_roll").pop("kind"))
    assert check(copy) == [
        "content/exercises.yaml: exercise 'foam_roll': field 'kind': Field required"
    ]


def test_kind_and_dose_must_match(copy: Path) -> None:
    edit(
        copy, "exercises.yaml", lambda d: entry(d, "exercises", "clamshell").update(kind="stretch")
    )
    problems = check(copy)
    assert problems
    assert all(
        p.startswith("content/exercises.yaml: exercise 'clamshell': field 'dose") for p in problems
    )


def test_unknown_exercise_in_a_ladder_or_the_daily_list(copy: Path) -> None:
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "ladders", "side_hip")["levels"].append("lunge_x"))
    assert check(copy) == [
        "content/exercises.yaml: ladder 'side_hip': field 'levels': unknown exercise id "
        "'lunge_x'"
    ]
    with pytest.raises(ContentError, match="lunge_x"):
        load_bundle(copy)
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "ladders", "side_hip")["levels"].remove("lunge_x"))
    edit(copy, "programme.yaml", lambda d: d["daily"].append("lunge_x"))
    (problem,) = check(copy)
    assert problem.startswith("content/programme.yaml: top level: field 'daily': ")
    assert "unknown exercise id 'lunge_x'" in problem


def test_every_exercise_is_a_level_of_one_ladder(copy: Path) -> None:
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "ladders", "bridge")["levels"].remove("single_leg_bridge"))
    assert check(copy) == [
        "content/exercises.yaml: exercise 'single_leg_bridge': field 'id': not a level of "
        "any ladder"
    ]
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "ladders", "bridge")["levels"].append("squat"))
    assert check(copy) == [
        "content/exercises.yaml: ladder 'bridge': field 'levels': 'squat' is also a level of "
        "ladder 'squat'",
        "content/exercises.yaml: exercise 'single_leg_bridge': field 'id': not a level of "
        "any ladder",
    ]


def test_a_ladder_holds_exercises_of_its_kind(copy: Path) -> None:
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "ladders", "bridge")["levels"].append("figure_four"))
    problems = check(copy)
    assert ("content/exercises.yaml: ladder 'bridge': field 'levels': 'figure_four' is a "
            "stretch exercise; a hip ladder holds strength exercises") in problems


def test_equipment_must_be_known_and_asked_for(copy: Path) -> None:
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "exercises", "step_up").update(equipment=["stepladder"]))
    (problem,) = check(copy)
    assert problem.startswith(
        "content/exercises.yaml: exercise 'step_up': field 'equipment': unknown equipment "
        "'stepladder' (known: ")
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "exercises", "step_up").update(equipment=["foam_roller"]))
    assert check(copy) == [
        "content/exercises.yaml: exercise 'step_up': field 'equipment': 'foam_roller' is not "
        "asked about, so a strength level cannot need it"
    ]


def test_every_level_needs_minutes_and_a_dose(copy: Path) -> None:
    edit(copy, "exercises.yaml", lambda d: entry(d, "exercises", "side_plank").pop("minutes"))
    edit(copy, "exercises.yaml",
         lambda d: entry(d, "exercises", "wall_sit")["dose"].pop("hold_seconds"))
    problems = check(copy)
    assert "content/exercises.yaml: exercise 'side_plank': field 'minutes': Field required" \
        in problems
    assert any(p.startswith("content/exercises.yaml: exercise 'wall_sit': field 'dose': ")
               and "reps, hold_seconds or both" in p for p in problems)


def test_every_runner_can_get_a_knee_and_a_hip_movement(copy: Path) -> None:
    def hips_need_a_band(d: Any) -> None:
        for ex in d["exercises"]:
            if ex["id"] in {"clamshell", "side_lying_abduction", "side_plank", "bridge",
                            "single_leg_bridge", "donkey_kick", "fire_hydrant"}:
                ex["equipment"] = ["band"]

    edit(copy, "exercises.yaml", hips_need_a_band)
    problems = check(copy)
    assert "content/exercises.yaml: with only chair, mat, wall a session would lack a hip " \
        "movement" in problems
    assert not any("with only band" in p for p in problems)


def test_selection_names_every_strength_ladder_once(copy: Path) -> None:
    edit(copy, "programme.yaml", lambda d: d["selection"]["knee"].remove("calf"))
    edit(copy, "programme.yaml", lambda d: d["selection"]["hip"].append("squat"))
    assert check(copy) == [
        "content/programme.yaml: selection: field 'knee': the knee ladder 'calf' is missing",
        "content/programme.yaml: selection: field 'hip': 'squat' is not a hip ladder in "
        "exercises.yaml",
    ]


def test_the_knee_placeholder(copy: Path) -> None:
    edit(copy, WORDS, lambda d: d["split_squat"]["steps"].append("Now watch {knee} again."))
    edit(copy, WORDS, lambda d: d["bridge"].update(why="Bridges help {side}."))
    problems = check(copy)
    assert ("content/locales/en/exercises.yaml: exercise 'split_squat': field 'steps': {knee} "
            "may appear once an exercise") in problems
    assert ("content/locales/en/exercises.yaml: exercise 'bridge': field 'why': the only "
            "placeholder an exercise may use is {knee}, in its steps") in problems


def test_ladders_and_cards_need_their_words(copy: Path) -> None:
    edit(copy, "locales/en/ladders.yaml", lambda d: d.pop("calf"))
    edit(copy, "programme.yaml", lambda d: d["cards"].update({15: "moonwalking"}))
    assert check(copy) == [
        "content/locales/en/ladders.yaml: ladder 'calf': its words are missing",
        "content/locales/en/programme.yaml: card '15': its words are missing",
        "content/locales/en/programme.yaml: card '15': unknown education topic 'moonwalking' "
        "(in content/programme.yaml) in this language's education.yaml",
    ]


def test_daily_list_takes_no_strength_exercise(copy: Path) -> None:
    edit(copy, "programme.yaml", lambda d: d["daily"].append("clamshell"))
    (problem,) = check(copy)
    assert problem.startswith("content/programme.yaml: top level: field 'daily': ")
    assert "'clamshell' is a strength exercise" in problem


def test_phases_must_follow_on(copy: Path) -> None:
    edit(copy, "programme.yaml", lambda d: entry(d, "phases", "take_stock").update(from_week=6))
    problems = check(copy)
    assert (
        "content/programme.yaml: phase 'take_stock': field 'from_week': must be 5 so that "
        "phases follow on" in problems
    )


def test_every_exercise_needs_its_words_and_no_stray_words(copy: Path) -> None:
    def change(d: Any) -> None:
        d["moonwalk"] = d.pop("fire_hydrant")

    edit(copy, WORDS, change)
    assert check(copy) == [
        "content/locales/en/exercises.yaml: exercise 'moonwalk': no such exercise in "
        "content/exercises.yaml",
        "content/locales/en/exercises.yaml: exercise 'fire_hydrant': the words of this "
        "exercise are missing",
    ]


def test_over_long_text(copy: Path) -> None:
    edit(copy, WORDS, lambda d: d["donkey_kick"].update(why="x " * 1100))
    problems = check(copy)
    assert problems[0].startswith(
        "content/locales/en/exercises.yaml: exercise 'donkey_kick': field 'why': "
    )
    assert "Discord" in problems[0] and "2000" in problems[0]


def test_over_long_text_in_a_list(copy: Path) -> None:
    edit(copy, WORDS, lambda d: d["clamshell"]["avoid"].append("y" * 5000))
    problems = check(copy)
    assert problems[0].startswith(
        "content/locales/en/exercises.yaml: exercise 'clamshell': field 'avoid[4]': "
    )
    assert "Discord" in problems[0] and "2000" in problems[0]


def test_over_long_topic_body(copy: Path) -> None:
    edit(copy, "locales/en/education.yaml",
         lambda d: entry(d, "topics", "shoes").update(body="z" * 1900))
    (problem,) = check(copy)
    assert problem.startswith("content/locales/en/education.yaml: topic 'shoes': field 'body': ")


def test_over_long_running_advice(copy: Path) -> None:
    edit(copy, "locales/en/programme.yaml",
         lambda d: d["running_advice"]["ease"].update(text="w" * 700))
    (problem,) = check(copy)
    assert problem.startswith(
        "content/locales/en/programme.yaml: running_advice 'ease': field 'text': "
        "String should have at most"
    )


def test_outcome_must_say_not_a_diagnosis(copy: Path) -> None:
    edit(copy, "locales/en/safety.yaml",
         lambda d: d["outcomes"]["urgent"].update(text="Go to hospital."))
    assert check(copy) == [
        "content/locales/en/safety.yaml: outcome 'urgent': field 'text': must say it is "
        "'not a diagnosis'"
    ]


def test_missing_safety_message(copy: Path) -> None:
    edit(copy, "locales/en/safety.yaml", lambda d: d.pop("race_soon"))
    assert check(copy) == [
        "content/locales/en/safety.yaml: top level: field 'race_soon': Field required"
    ]
    edit(copy, "locales/en/safety.yaml", lambda d: d["age_teen"].pop("title"))
    assert "content/locales/en/safety.yaml: message 'age_teen': field 'title': Field required" in (
        check(copy)
    )


def test_duplicate_ids_and_clashing_aliases(copy: Path) -> None:
    def change(d: Any) -> None:
        d["topics"][1]["id"] = d["topics"][0]["id"]

    edit(copy, "locales/en/education.yaml", change)
    assert any(
        p.startswith("content/locales/en/education.yaml: topic 'what_is': field 'id': "
                     "duplicate id")
        for p in check(copy)
    )
    shutil.copy(EN / "education.yaml", copy / "locales" / "en" / "education.yaml")
    edit(copy, WORDS, lambda d: d["fire_hydrant"]["aliases"].append("Clam"))
    assert check(copy) == [
        "content/locales/en/exercises.yaml: exercise 'fire_hydrant': field 'aliases': "
        "'Clam' also names exercise 'clamshell'"
    ]


def test_missing_file_and_bad_yaml(copy: Path) -> None:
    (copy / "locales" / "en" / "education.yaml").unlink()
    (copy / "locales" / "en" / "safety.yaml").write_text("disclaimer: [unclosed\n",
                                                         encoding="utf-8")
    problems = check(copy)
    assert "content/locales/en/education.yaml: file not found" in problems
    assert any(p.startswith("content/locales/en/safety.yaml: invalid YAML at line")
               for p in problems)
    with pytest.raises(ContentError) as err:
        load_bundle(copy, default_dialogs_root(), text_limits())
    assert err.value.problems == problems


def test_duplicate_yaml_key_is_refused(copy: Path) -> None:
    text = (copy / "programme.yaml").read_text(encoding="utf-8")
    (copy / "programme.yaml").write_text(text + "\ndaily: [foam_roll]\n", encoding="utf-8")
    (problem,) = check(copy)
    assert problem.startswith("content/programme.yaml: invalid YAML")
    assert "duplicate key 'daily'" in problem


def test_every_problem_is_reported(copy: Path) -> None:
    edit(copy, WORDS, lambda d: d["clamshell"].pop("why"))
    edit(copy, "locales/en/education.yaml",
         lambda d: entry(d, "topics", "mileage").pop("source"))
    problems = check(copy)
    assert problems == [
        "content/locales/en/education.yaml: topic 'mileage': field 'source': Field required",
        "content/locales/en/exercises.yaml: exercise 'clamshell': field 'why': Field required",
    ]


def test_a_second_language_must_have_every_text(copy: Path) -> None:
    french = copy / "locales" / "fr"
    shutil.copytree(copy / "locales" / "en", french)
    edit(copy, "locales/fr/messages.yaml", lambda d: d["settings"].update(
        time_set="C'est fait. La prochaine séance arrive {quand}."))
    edit(copy, "locales/fr/messages.yaml", lambda d: d["stop"].pop("done"))
    problems = check(copy)
    assert problems == [
        "content/locales/fr/messages.yaml: entry 'stop.done': missing (it is in "
        "en/messages.yaml)",
        "content/locales/fr/messages.yaml: entry 'settings.time_set': placeholders ['quand'] "
        "differ from ['when']",
    ]


# --------------------------------------------------------------------------- own words


def content_files() -> list[Path]:
    return sorted(p for p in CONTENT_DIR.rglob("*") if p.is_file())


def noise_hits(text: str) -> list[str]:
    low = text.lower()
    return [n for n in NOISE if n.lower() in low]


def test_noise_detector_works() -> None:
    assert noise_hits("Roll it out. The Benefits of Foam Rolling are many.") == [
        "Benefits of Foam Rolling"
    ]
    assert noise_hits("Photo: Trevor Raab") == ["Trevor Raab"]


def test_no_noise_anywhere_in_content() -> None:
    files = content_files()
    assert files
    for path in files:
        hits = noise_hits(path.read_text(encoding="utf-8", errors="replace"))
        assert not hits, f"{path.relative_to(REPO)} contains scrape noise: {hits}"


CITATION_KEYS = frozenset({"source", "sources", "credit", "citation", "citations", "references"})
# Button labels and the words that match them are short phrases people tap or type, not prose.
PHRASE_KEYS = frozenset({"label", "match"})


def strings(value: Any) -> Iterator[str]:
    """Every string in parsed YAML except citations, which quote titles and names."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in CITATION_KEYS | PHRASE_KEYS:
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def normalise(text: str) -> str:
    text = re.sub(r"[*_|`]", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def sentences(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:-|\d+\.)\s+", "", line)
        for piece in re.split(r"(?<=[.!?:;])\s+", line):
            sentence = normalise(piece).rstrip(".!?:;")
            if len(sentence.split()) >= 5:
                yield sentence


def copied(texts: list[str], source: str) -> list[str]:
    haystack = normalise(source)
    return [s for t in texts for s in sentences(t) if s in haystack]


def test_copy_detector_works() -> None:
    source = "Lie on one side on your\nforearm, shoulder above elbow. Other text."
    assert copied(["- Lie on one side on your forearm, shoulder above elbow."], source)
    assert not copied(["Lie on your side, propped up on your forearm."], source)


@pytest.mark.parametrize("doc", ["seed-facts.md", "clinical-notes.md"])
def test_no_sentence_is_copied_from_the_domain_notes(doc: str) -> None:
    path = SHARED_DOMAIN / doc
    if not path.is_file():
        pytest.skip(f"{path} is not available (it lives outside the repository)")
    source = path.read_text(encoding="utf-8")
    found: list[str] = []
    for file in sorted(CONTENT_DIR.rglob("*.yaml")):
        texts = list(strings(yaml.safe_load(file.read_text(encoding="utf-8"))))
        found += [f"{file.name}: {s}" for s in copied(texts, source)]
    assert not found, "copied verbatim:\n" + "\n".join(found)

"""Triage rules: the case table's bars, intake answers, precedence, and the CLI output."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.engine.screener import TriageDataError
from bot.engine.triage import OUTCOMES, Triage, TriageResult
from bot.triage_cli import run_triage as run_triage_with
from tests.support.content import shipped_bundle, shipped_triage

default_triage = shipped_triage


def load_triage_data() -> dict[str, Any]:
    return dict(shipped_bundle().rules)


def reason_for(signal: str) -> str:
    return shipped_triage().reason_for(signal)


def signals_from_answers(answers: Mapping[str, object]) -> list[str]:
    return shipped_triage().signals_from_answers(answers)


def triage_answers(answers: Mapping[str, object], extra: Any = ()) -> TriageResult:
    return shipped_triage().triage_answers(answers, extra)


def triage_text(text: str) -> TriageResult:
    return shipped_triage().triage_text(text)


def run_triage(text: str, as_json: bool) -> tuple[str, int]:
    return run_triage_with(text, as_json, shipped_bundle())

CASES_FILE = Path(__file__).with_name("triage_cases.yaml")
ALARMS = {"urgent", "see_clinician"}


def load_cases() -> list[dict[str, Any]]:
    data = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    cases = data["cases"]
    assert isinstance(cases, list)
    return cases


CASES = load_cases()


def cases_expecting(outcome: str) -> list[dict[str, Any]]:
    return [c for c in CASES if c["expected"] == outcome]


@pytest.fixture(scope="module")
def rules() -> Triage:
    return default_triage()


# ---------------------------------------------------------------------------- case table


def test_case_table_is_big_enough() -> None:
    assert len(CASES) >= 60
    assert len(cases_expecting("urgent")) >= 12
    assert len(cases_expecting("see_clinician")) >= 15
    assert len(cases_expecting("pfp_program")) >= 15
    assert len(cases_expecting("other_likely")) >= 12
    for case in CASES:
        assert case["expected"] in OUTCOMES, case
        assert set(case) <= {"text", "expected", "signals", "strict"}, case


def outcomes_for(expected: str) -> list[str]:
    return [triage_text(c["text"]).outcome for c in cases_expecting(expected)]


def test_every_urgent_case_is_caught() -> None:
    missed = [c["text"] for c in cases_expecting("urgent") if triage_text(c["text"]).outcome
              != "urgent"]
    assert missed == []


def test_see_clinician_cases_are_referred_at_least_90_percent() -> None:
    outcomes = outcomes_for("see_clinician")
    referred = sum(o in ALARMS for o in outcomes)
    assert referred / len(outcomes) >= 0.90, outcomes


def test_pfp_cases_are_rarely_alarmed() -> None:
    outcomes = outcomes_for("pfp_program")
    alarmed = sum(o in ALARMS for o in outcomes)
    assert alarmed / len(outcomes) <= 0.10, outcomes


def test_other_likely_cases_are_recognised_at_least_70_percent() -> None:
    outcomes = outcomes_for("other_likely")
    recognised = sum(o == "other_likely" for o in outcomes)
    assert recognised / len(outcomes) >= 0.70, outcomes


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.get("strict", True)],
    ids=lambda c: str(c["text"])[:60],
)
def test_case(case: Mapping[str, Any]) -> None:
    result = triage_text(case["text"])
    assert result.outcome == case["expected"], (case["text"], result)
    assert set(case.get("signals", [])) <= set(result.signals), (case["text"], result)


# ---------------------------------------------------------------------------- answers


PFP_ANSWERS: dict[str, object] = {
    "consent": "yes",
    "age_band": "adult",
    "location": "kneecap",
    "side": "left",
    "duration": "2to6w",
    "stairs_down": "yes",
    "downhill": "yes",
    "squat_sit": "yes",
    "swelling": "no",
    "mechanical": "no",
    "injury": "no",
    "surgery": "no",
    "night_pain": "no",
    "hot_red": "no",
    "weekly_km": 30,
    "race": "none",
}


def with_answers(**changes: object) -> dict[str, object]:
    return {**PFP_ANSWERS, **changes}


@pytest.mark.parametrize(
    ("changes", "signal"),
    [
        ({"swelling": "yes"}, "swelling"),
        ({"mechanical": "yes"}, "giving_way"),
        ({"injury": "yes"}, "recent_injury"),
        ({"surgery": "yes"}, "recent_surgery"),
        ({"night_pain": "yes"}, "night_pain"),
        ({"hot_red": "yes"}, "hot_red_fever"),
        ({"location": "kneecap"}, "around_kneecap"),
        ({"location": "below_kneecap"}, "patellar_tendon"),
        ({"location": "outer"}, "it_band"),
        ({"location": "inner"}, "pes_anserine"),
        ({"location": "back"}, "back_of_knee"),
        ({"stairs_down": "yes"}, "stairs_down"),
        ({"downhill": "yes"}, "downhill"),
        ({"squat_sit": "yes"}, "squat"),
        ({"race": "soon"}, "race_soon"),
        ({"age_band": "teen", "location": "below_kneecap"}, "osgood_schlatter"),
        ({"age_band": "u13", "location": "below_kneecap"}, "osgood_schlatter"),
    ],
)
def test_each_answer_rule(changes: dict[str, object], signal: str) -> None:
    assert signal in signals_from_answers({**{k: "no" for k in PFP_ANSWERS}, **changes})


def test_no_answers_no_signals() -> None:
    assert signals_from_answers({}) == []
    assert triage_answers({}).outcome == "unclear"


def test_adult_below_kneecap_is_not_osgood_schlatter() -> None:
    signals = signals_from_answers({"age_band": "adult", "location": "below_kneecap"})
    assert signals == ["patellar_tendon"]


def test_race_later_is_not_race_soon() -> None:
    assert "race_soon" not in signals_from_answers({"race": "later"})


def test_booleans_and_case_are_tolerated() -> None:
    assert signals_from_answers({"swelling": True}) == ["swelling"]
    assert signals_from_answers({"swelling": False}) == []
    assert signals_from_answers({"swelling": " YES "}) == ["swelling"]


@pytest.mark.parametrize(
    ("answers", "extra", "outcome"),
    [
        (with_answers(hot_red="yes"), (), "urgent"),
        (with_answers(), ("locked_knee",), "urgent"),
        (with_answers(swelling="yes"), (), "see_clinician"),
        (with_answers(mechanical="yes"), (), "see_clinician"),
        (with_answers(injury="yes"), (), "see_clinician"),
        (with_answers(surgery="yes"), (), "see_clinician"),
        (with_answers(night_pain="yes"), (), "see_clinician"),
        (with_answers(location="outer"), (), "other_likely"),
        (with_answers(location="inner"), (), "other_likely"),
        (with_answers(location="back"), (), "other_likely"),
        (with_answers(location="below_kneecap"), (), "other_likely"),
        (with_answers(age_band="teen", location="below_kneecap"), (), "other_likely"),
        (with_answers(), (), "pfp_program"),
        (with_answers(race="soon"), (), "pfp_program"),
        (
            with_answers(location="unsure", stairs_down="no", downhill="no", squat_sit="no"),
            (),
            "unclear",
        ),
        (
            with_answers(location="unsure", stairs_down="no", downhill="no", squat_sit="yes"),
            (),
            "pfp_program",
        ),
        (with_answers(location="unsure", stairs_down="no", downhill="no", squat_sit="no"),
         ("sitting",), "pfp_program"),
        (with_answers(location="unsure", stairs_down="no", downhill="no", squat_sit="no"),
         ("running",), "unclear"),
    ],
)
def test_answers_outcomes(
    answers: dict[str, object], extra: tuple[str, ...], outcome: str
) -> None:
    result = triage_answers(answers, extra)
    assert result.outcome == outcome, result
    assert result.key == f"safety.{outcome}"


def test_red_flag_always_wins_over_pfp_features_and_other_causes() -> None:
    answers = with_answers(location="outer", swelling="yes", mechanical="yes", race="soon")
    result = triage_answers(answers, ["pop_injury", "around_kneecap"])
    assert result.outcome == "urgent"
    assert result.signals[0] == "pop_injury"
    levels = [default_triage().screener.signals[s].level for s in result.signals]
    order = list(default_triage().screener.level_order)
    assert [order.index(lvl) for lvl in levels] == sorted(order.index(lvl) for lvl in levels)


def test_see_clinician_beats_other_likely_and_pfp() -> None:
    result = triage_answers(with_answers(location="back", swelling="yes"))
    assert result.outcome == "see_clinician"
    assert result.signals[:2] == ("swelling", "back_of_knee")


def test_story_signals_join_the_answers() -> None:
    story = default_triage().screen("I heard a pop and it swelled up straight away")
    result = triage_answers(with_answers(), story.signals)
    assert result.outcome == "urgent"
    assert {"pop_injury", "rapid_swelling", "around_kneecap"} <= set(result.signals)


def test_negated_story_does_not_alarm() -> None:
    story = default_triage().screen("no swelling, never given way, no pop")
    assert triage_answers(with_answers(), story.signals).outcome == "pfp_program"


def test_reasons_one_per_signal_in_order_from_the_yaml() -> None:
    result = triage_answers(with_answers(swelling="yes", race="soon"))
    assert len(result.reasons) == len(result.signals)
    assert result.reasons == tuple(reason_for(s) for s in result.signals)
    words = shipped_bundle().content().triage
    assert reason_for("swelling") == words.signals["swelling"].reason.strip()


def test_unknown_extra_signal_is_an_error() -> None:
    with pytest.raises(KeyError):
        triage_answers({}, ["made_up"])


def test_result_is_frozen() -> None:
    result = triage_text("my knee hurts")
    assert isinstance(result, TriageResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = "urgent"  # type: ignore[misc]


def test_triage_text_examples() -> None:
    assert triage_text("").outcome == "unclear"
    assert triage_text("no swelling at all, just aches behind the kneecap going downstairs") == (
        TriageResult(
            outcome="pfp_program",
            signals=("around_kneecap", "stairs_down"),
            reasons=(reason_for("around_kneecap"), reason_for("stairs_down")),
            key="safety.pfp_program",
        )
    )


# ---------------------------------------------------------------------------- rule data


def test_outcome_ladder_covers_every_outcome(rules: Triage) -> None:
    assert [r.outcome for r in rules.outcome_rules] == list(OUTCOMES)
    for outcome in OUTCOMES:
        assert rules.label_for(outcome)


def test_bad_outcome_rules_are_rejected() -> None:
    data = load_triage_data()
    words = shipped_bundle().content().triage
    broken = {**data, "outcomes": data["outcomes"][:-1]}
    with pytest.raises(TriageDataError):
        Triage(broken, words)
    unquoted = {**data, "answer_rules": [{"when": {"swelling": True}, "signal": "swelling"}]}
    with pytest.raises(TriageDataError):
        Triage(unquoted, words)
    unknown = {**data, "answer_rules": [{"when": {"swelling": "yes"}, "signal": "nope"}]}
    with pytest.raises(TriageDataError):
        Triage(unknown, words)
    wordless = {**data, "signals": {**data["signals"], "new_flag": {
        "level": "urgent", "phrases": ["kneecap on fire"]}}}
    with pytest.raises(TriageDataError, match="new_flag"):
        Triage(wordless, words)


# ---------------------------------------------------------------------------- CLI


def test_run_triage_json_shape() -> None:
    output, code = run_triage("I heard a pop and now I can't put weight on it", as_json=True)
    assert code == 0
    payload = json.loads(output)
    assert set(payload) == {"outcome", "signals", "key", "reasons", "language", "findings",
                            "derived"}
    assert all(f["counted"] for f in payload["findings"] if f["signal"] == "pop_injury")
    assert payload["outcome"] == "urgent"
    assert payload["key"] == "safety.urgent"
    assert payload["signals"][:2] == ["pop_injury", "cant_bear_weight"]
    assert payload["reasons"] == [reason_for(s) for s in payload["signals"]]


def test_run_triage_json_for_nothing() -> None:
    output, code = run_triage("", as_json=True)
    assert code == 0
    assert json.loads(output) == {
        "outcome": "unclear",
        "signals": [],
        "key": "safety.unclear",
        "reasons": [],
        "language": "en",
        "findings": [],
        "derived": [],
    }


def test_run_triage_text_summary_uses_yaml_wording(rules: Triage) -> None:
    output, code = run_triage("outer knee pain going downhill", as_json=False)
    assert code == 0
    assert rules.label_for("other_likely") in output
    assert "safety.other_likely" in output
    assert reason_for("it_band") in output
    assert rules.cli_text["disclaimer"] in output
    empty, _ = run_triage("hello", as_json=False)
    assert rules.cli_text["nothing"] in empty

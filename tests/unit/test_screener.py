"""The free-text red-flag screener: negation, uncertainty, typos, false positives, limits."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.screener import (
    ALARM_LEVELS,
    Screener,
    ScreenResult,
    TriageDataError,
)
from tests.support.content import shipped_content, shipped_triage


def default_screener() -> Screener:
    return shipped_triage().screener


def screen(text: str) -> ScreenResult:
    return default_screener().screen(text)

REPO = Path(__file__).resolve().parents[2]
DESIGN = REPO / "docs" / "DESIGN.md"

DESIGN_LEVELS = {
    "urgent": "urgent",
    "see_clinician": "see_clinician",
    "other_likely": "other_likely",
    "pfp features (not alarms)": "feature",
    "other features (not alarms by themselves)": "feature",
    "advice": "advice",
}


@pytest.fixture(scope="module")
def sc() -> Screener:
    return default_screener()


def design_signals() -> dict[str, str]:
    """signal id -> level, read from the table in docs/DESIGN.md."""
    text = DESIGN.read_text(encoding="utf-8")
    section = text.split("## Screener signals", 1)[1].split("\n## ", 1)[0]
    out: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] not in DESIGN_LEVELS:
            continue
        for signal in re.findall(r"`([a-z_]+)`", cells[1]):
            out[signal] = DESIGN_LEVELS[cells[0]]
    return out


# ---------------------------------------------------------------------------- data


def test_yaml_declares_exactly_the_design_signals_with_their_levels(sc: Screener) -> None:
    expected = design_signals()
    assert len(expected) >= 30
    assert {sid: spec.level for sid, spec in sc.signals.items()} == expected


def test_every_signal_has_a_plain_reason_sentence(sc: Screener) -> None:
    words = shipped_content().triage.signals
    for spec in sc.signals.values():
        reason = words[spec.id].reason
        assert reason[0].isupper() and reason.endswith("."), spec.id
        assert words[spec.id].label, spec.id


def test_screen_result_is_frozen() -> None:
    result = screen("swollen")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.level = None  # type: ignore[misc]


def test_default_result_is_empty() -> None:
    assert ScreenResult() == ScreenResult(signals=(), level=None, matches=())


# ---------------------------------------------------------------------------- negation


@pytest.mark.parametrize(
    "text",
    [
        "no swelling",
        "not swollen",
        "never swells",
        "without any swelling",
        "the swelling is gone",
        "swelling has gone down",
        "no longer swollen",
        "I don't have any swelling",
        "I do not have any swelling",
        "there isn't any swelling or locking",
        "haven't had a pop",
        "no fever",
        "No swelling, no locking, never given way.",
        "It doesn't swell, lock or give way",
        "no pain or swelling",
        "I haven't noticed any swelling",
        "not swollen or red or hot",
        "without swelling or giving way",
        "Never any swelling, popping, or giving way",
        "no real swelling to speak of",
        "it hasnt been swollen since the race",
        "no injury, no surgery, no swelling, no night pain",
    ],
)
def test_negated_red_flags_are_not_flagged(sc: Screener, text: str) -> None:
    result = sc.screen(text)
    assert result.level is None, (text, result)


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("no swelling but it gives way", "giving_way"),
        ("no swelling and it gives way sometimes", "giving_way"),
        ("There's no swelling, it just gives way sometimes", "giving_way"),
        ("No locking. It does swell though", "swelling"),
        ("there was no pop. it swelled up overnight", "rapid_swelling"),
        ("no fever, but the knee is red and hot", "hot_red_fever"),
        ("not swollen but it locked yesterday", "locked_knee"),
        ("I can't run without it swelling up", "swelling"),
        ("the swelling went down but it comes back after every run", "swelling"),
        ("It doesn't give way and there's no swelling, but it wakes me at night", "night_pain"),
    ],
)
def test_negation_scope_ends_at_but_punctuation_and_new_clauses(
    sc: Screener, text: str, signal: str
) -> None:
    assert signal in sc.screen(text).signals, text


def test_negation_applies_only_to_the_list_it_heads(sc: Screener) -> None:
    result = sc.screen("no swelling or locking and my knee buckles")
    assert result.signals == ("giving_way",)


# ---------------------------------------------------------------------------- uncertainty


@pytest.mark.parametrize(
    "text",
    [
        "not sure if it's swollen",
        "I think it's a bit swollen",
        "I don't know if it's swelling or not",
        "I'm not sure it swells",
        "I don't think it's swollen but it does feel a bit puffy",
        "maybe slightly swollen?",
    ],
)
def test_uncertain_swelling_is_still_flagged(sc: Screener, text: str) -> None:
    assert "swelling" in sc.screen(text).signals, text


# ---------------------------------------------------------------------------- typos


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("swolen", "swelling"),
        ("sweling", "swelling"),
        ("sweeling", "swelling"),
        ("swollon knee", "swelling"),
        ("SWOLLEN!!!", "swelling"),
        ("swóllen", "swelling"),
        ("giveing way", "giving_way"),
        ("it gives way", "giving_way"),
        ("my knee gave out", "giving_way"),
        ("it buckles", "giving_way"),
        ("it loked and stayed bent", "locked_knee"),
        ("cant straighten it", "locked_knee"),
        ("can’t straighten it", "locked_knee"),
        ("can't put weight on it", "cant_bear_weight"),
        ("cannot walk", "cant_bear_weight"),
        ("popped", "pop_injury"),
        ("heard a pop", "pop_injury"),
        ("feaver", "hot_red_fever"),
        ("I have a feaver", "hot_red_fever"),
        ("dislocted my kneecap", "dislocation"),
        ("knee cap", "around_kneecap"),
    ],
)
def test_misspellings_and_variants(sc: Screener, text: str, signal: str) -> None:
    assert signal in sc.screen(text).signals, (text, sc.screen(text))


# ---------------------------------------------------------------------------- false positives


@pytest.mark.parametrize(
    "text",
    [
        "I went swimming",
        "I run on a swell of hills",
        "I looked at my knee",
        "I'm looking at races",
        "I'm pooped after the run",
        "my bike was stolen",
        "I did fewer miles",
        "I was selling my old shoes",
        "spelling mistakes",
        "I popped out for a quick 5k this morning",
        "took some ibuprofen, popped a couple of pills",
        "I'm stuck at 30km a week",
        "I fell behind on my training plan",
        "I'm training for a fall marathon",
        "it's just wear and tear I think",
        "I caught up with my running club",
        "I was catching my breath at the top of the hill",
        "I'm breathless on hills like everyone",
        "it was hot and humid on my run",
        "I can't stand treadmills",
        "I can't walk down stairs without pain",
        "I'm sick of this knee pain",
        "I lock my leg straight doing the straight leg raises",
        "I foam roll my IT band every day",
        "big jump in mileage",
        "jumped up my mileage too fast",
        "my knee clicks when I squat but it doesn't hurt",
        "it hurts during the run but is fine at rest",
        "I feel fine",
        "the weights at the gym",
        "I had a cortisone injection",
        "I tipped over my water bottle",
    ],
)
def test_ordinary_runner_talk_raises_no_alarm(sc: Screener, text: str) -> None:
    result = sc.screen(text)
    assert result.level is None, (text, result)


def test_behind_the_kneecap_is_not_back_of_knee(sc: Screener) -> None:
    for text in ("pain behind the kneecap", "pain behind my knee cap", "behind the knee-cap"):
        result = sc.screen(text)
        assert result.signals == ("around_kneecap",), text
    assert sc.screen("pain behind my knee").signals == ("back_of_knee",)


# ---------------------------------------------------------------------------- locations


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("pain on the outside of my knee", "it_band"),
        ("outer knee pain", "it_band"),
        ("my IT band is tight", "it_band"),
        ("pain below my kneecap", "patellar_tendon"),
        ("the tendon under the kneecap hurts", "patellar_tendon"),
        ("it hurts when jumping", "patellar_tendon"),
        ("pain on the inside of my shin", "pes_anserine"),
        ("inner shin below the knee", "pes_anserine"),
        ("lump below my kneecap", "osgood_schlatter"),
        ("I had a growth spurt", "osgood_schlatter"),
        ("back of my knee hurts", "back_of_knee"),
        ("pain behind my knee", "back_of_knee"),
        ("aches around the kneecap", "around_kneecap"),
        ("pain behind the kneecap", "around_kneecap"),
        ("going down stairs", "stairs_down"),
        ("hurts downhill", "downhill"),
        ("when squatting", "squat"),
        ("sitting for long", "sitting"),
        ("sitting in the cinema", "sitting"),
        ("my marathon is in 3 weeks", "race_soon"),
    ],
)
def test_location_and_feature_phrases(sc: Screener, text: str, signal: str) -> None:
    assert signal in sc.screen(text).signals, (text, sc.screen(text))


def test_pfp_features_are_not_alarms(sc: Screener) -> None:
    result = sc.screen("aches behind the kneecap going down stairs, squatting and sitting")
    assert result.level is None
    assert set(result.signals) == {"around_kneecap", "stairs_down", "squat", "sitting"}


def test_swollen_calf_is_a_clot_sign_not_knee_swelling(sc: Screener) -> None:
    result = sc.screen("my calf is swollen and warm")
    assert result.level == "urgent"
    assert "calf_clot" in result.signals
    assert "swelling" not in result.signals


# ---------------------------------------------------------------------------- result shape


def test_signals_in_precedence_order_and_level_is_the_highest(sc: Screener) -> None:
    result = sc.screen("going downstairs hurts, outer knee pain, it swells and I heard a pop")
    assert result.level == "urgent"
    ranks = [ALARM_LEVELS.index(sc.signals[s].level) for s in result.signals
             if sc.signals[s].level in ALARM_LEVELS]
    assert ranks == sorted(ranks)
    assert result.signals[0] == "pop_injury"
    assert result.signals[-1] == "stairs_down"


def test_matches_pair_each_signal_with_the_words_typed(sc: Screener) -> None:
    result = sc.screen("It's SWOLEN and I heard a pop")
    assert ("swelling", "swolen") in result.matches
    assert ("pop_injury", "heard a pop") in result.matches
    assert {s for s, _ in result.matches} == set(result.signals)


def test_same_text_same_result(sc: Screener) -> None:
    text = "no swelling but it gives way, locks, and aches behind the kneecap on stairs"
    assert sc.screen(text) == sc.screen(text) == screen(text)


# ---------------------------------------------------------------------------- odd input


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n", "😀😀😀", "שלום עולם", "مرحبا", "\x00\x01\x07\x1b[31m", "\u202e\u200f",
     "🦵💥"],
)
def test_odd_input_without_words_gives_nothing(sc: Screener, text: str) -> None:
    assert sc.screen(text) == ScreenResult()


@pytest.mark.parametrize(
    "text",
    [
        "😭 my knee is swollen 😭",
        "שלום my knee is swollen",
        "\u202emy knee is swollen",
        "my\x00knee\x07is\tswollen",
        "my knee is\r\nswollen",
        "MY KNEE IS SWOLLEN",
        "my knee is swollen\u200b",
    ],
)
def test_red_flags_survive_emoji_rtl_and_control_characters(sc: Screener, text: str) -> None:
    assert "swelling" in sc.screen(text).signals, repr(text)


def test_control_characters_do_not_glue_or_split_negation(sc: Screener) -> None:
    assert sc.screen("no\x00swelling").level is None


def test_long_input_is_capped_so_screening_stays_cheap(sc: Screener) -> None:
    assert 1000 <= sc.max_chars <= 5000
    filler = "my knee aches a bit after runs. " * 400  # about 12,800 characters
    assert len(filler) > 10_000
    # work is bounded: only the first max_chars characters become tokens
    assert len(sc.tokens(filler)) <= sc.max_chars // 2
    # a red flag inside the screened part is found in a 10,000+ character message
    assert "swelling" in sc.screen("It is swollen. " + filler).signals
    # and text beyond the cap is not read at all
    assert "swelling" not in sc.screen(filler + " It is swollen.").signals


def test_pathological_repetition_is_handled(sc: Screener) -> None:
    for text in ("no swelling, " * 1000, "swollen " * 2000, "calf " * 3000, "a" * 10_000):
        sc.screen(text)  # must simply return; work is capped by max_chars


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_screens_to_known_signals(text: str) -> None:
    sc = default_screener()
    result = sc.screen(text)
    assert set(result.signals) <= set(sc.signals)
    assert result.level in (None, *ALARM_LEVELS)
    if result.level is not None:
        assert any(sc.signals[s].level == result.level for s in result.signals)


# ---------------------------------------------------------------------------- loading


def minimal_data() -> dict[str, object]:
    return {
        "levels": {"order": ["urgent", "see_clinician", "other_likely", "feature", "advice"]},
        "language": {"negators": ["no"], "pre_fillers": ["any"]},
        "signals": {
            "swelling": {
                "level": "see_clinician",
                "phrases": ["{puffy|puffed up}"],
            }
        },
    }


def test_the_rules_given_are_the_only_rules() -> None:
    sc = Screener(minimal_data())
    assert sc.screen("it is puffy").signals == ("swelling",)
    assert sc.screen("no puffy knee").signals == ()
    assert sc.screen("swollen").signals == ()  # only the data given counts


def test_a_wide_gap_reaches_further_than_a_gap_within_the_sentence() -> None:
    data = minimal_data()
    data["language"] = {"negators": ["no"], "pre_fillers": ["any"], "max_gap": 2,
                        "wide_gap": 6, "wide_gap_breaks": ["but"]}
    data["signals"] = {"calf_clot": {"level": "urgent", "phrases": ["calf .... fatter"]},
                       "swelling": {"level": "see_clinician", "phrases": ["knee ... fatter"]}}
    sc = Screener(data)
    assert sc.screen("my calf is sore and looks a lot fatter").signals == ("calf_clot",)
    assert sc.screen("my knee is sore and looks a lot fatter").signals == ()  # "..." is 2
    assert sc.screen("calf one two three four five six seven fatter").signals == ()
    assert sc.screen("my calf is sore. it looks fatter").signals == ()  # a new sentence
    assert sc.screen("my calf is sore and no fatter").signals == ()  # negated in the gap
    assert sc.screen("my calf is sore, my thigh looks fatter").signals == ()  # a comma
    assert sc.screen("my calf is sore but looks fatter").signals == ()  # a break word
    assert sc.screen("my calf is sore though looks fatter").signals == (
        "calf_clot",)  # (not one of this data's breaks)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["signals"]["swelling"].update(level="severe"),
        lambda d: d["signals"]["swelling"].update(phrases=[]),
        lambda d: d["signals"]["swelling"].update(phrases=["{unbalanced"]),
        lambda d: d["signals"]["swelling"].update(phrases=["... puffy"]),
        lambda d: d["signals"]["swelling"].update(phrases=["puffy ...."]),
        lambda d: d["language"].update(max_gap=4, wide_gap=2),
        lambda d: d["language"].update(negators=[False]),
        lambda d: d["language"].update(fuzzy_words=["nonsenseword"]),
        lambda d: d["levels"].update(order=["urgent"]),
    ],
)
def test_bad_data_is_rejected(mutate: object) -> None:
    data = minimal_data()
    assert callable(mutate)
    mutate(data)
    with pytest.raises(TriageDataError):
        Screener(data)


def test_order_rejects_unknown_signals(sc: Screener) -> None:
    with pytest.raises(KeyError):
        sc.order(["swelling", "not_a_signal"])

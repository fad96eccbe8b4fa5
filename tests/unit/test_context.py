"""Reading runners as they write: the context of every finding (ConText modifiers), the
concepts the clinical notes add, short typos, other languages, and the rule data's checks.

The sentences of the first tables are the patterns the safety-net issue lists."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.check import run_check
from bot.content import default_dialogs_root
from bot.engine.screener import Screener, TriageDataError
from bot.engine.triage import Triage
from bot.triage_cli import run_triage
from tests.support.content import shipped_bundle, shipped_triage
from tests.unit.test_features import copy_content, edit, kneecoach


@pytest.fixture(scope="module")
def triage() -> Triage:
    return shipped_triage()


def outcome(triage: Triage, text: str) -> str:
    return triage.triage_text(text).outcome


# ---------------------------------------------------------------------------- not this runner


@pytest.mark.parametrize(
    ("text", "modifier", "rule"),
    [
        ("calf isn't swollen", "negated", "inside"),
        ("the calf is not hot or swollen", "negated", "inside"),
        ("calf fine, no swelling in the calf", "negated", "negator"),
        ("I didn't fall or twist it", "negated", "negator"),
        ("Swelling? Nope. Redness? Nope.", "negated", "answer"),
        ("swelling - none", "negated", "answer"),
        ("Ever swollen: never", "negated", "answer"),
        ("wouldn't call it swollen", "negated", "negator"),
        ("at no point has the knee swelled, locked or buckled", "negated", "negator"),
        ("no swelling, locking or giving way", "negated", "negator"),
        ("the swelling I had last year is long gone", "historical", "long_ago"),
        ("had a swollen knee 2 yrs ago after a fall but thats long sorted", "historical",
         "years_ago"),
        ("my friend said it might be swelling but it looks normal", "other", "someone_said"),
        ("my gf reckoned my knee looked swollen but they look the same", "other",
         "someone_said"),
        ("my mum had knee surgery", "other", "someone_else"),
        ("a friend from my club had a knee that ballooned; mine never has", "other",
         "someone_else"),
        ("no history of cancer", "negated", "negator"),
        ("what if it locks up mid run?", "hypothetical", "what_if"),
        ("Should I worry if it ever starts to give way or swell up?", "hypothetical", "what_if"),
    ],
)
def test_findings_about_not_this_runner_do_not_alarm(
    triage: Triage, text: str, modifier: str, rule: str
) -> None:
    screening = triage.screen(text)
    assert screening.level not in ("urgent", "see_clinician"), (text, screening)
    alarms = [f for f in screening.findings
              if triage.level(f.signal) in ("urgent", "see_clinician")]
    assert alarms, f"{text!r}: the alarm words were not even found"
    assert all(not f.counted for f in alarms), screening.findings
    assert any((m.kind, m.rule) == (modifier, rule) for f in alarms for m in f.modifiers), (
        text, [f.modifiers for f in alarms])


@pytest.mark.parametrize(
    "text",
    [
        "not sure if it is swollen",
        "I think it might be a bit swollen",
        "maybe it swells after long runs",
        "no pain at rest, but it swells after runs",
        "years ago I had a fall; now it swells again after every run",
        "my mum had knee surgery and my knee swells after runs",
        "I'm writing for my husband: his knee is swollen and he can't walk on it",
        "my son has a swollen knee since the match",
    ],
)
def test_this_runners_findings_still_alarm(triage: Triage, text: str) -> None:
    assert triage.screen(text).level in ("urgent", "see_clinician"), triage.screen(text)


def test_someone_elses_emergency_still_gets_the_urgent_answer(triage: Triage) -> None:
    assert outcome(triage, "a friend had a knee that ballooned after a tackle") == "urgent"
    assert outcome(triage, "a friend had a knee that ballooned; mine just aches on stairs") \
        != "urgent"


def test_uncertainty_is_shown_but_still_counts(triage: Triage) -> None:
    screening = triage.screen("not sure, might be a bit swollen")
    swelling = next(f for f in screening.findings if f.signal == "swelling")
    assert swelling.counted
    assert "uncertain" in {m.kind for m in swelling.modifiers}


def test_a_history_of_cancer_counts_however_long_ago(triage: Triage) -> None:
    assert outcome(triage, "I had cancer years ago, all clear now") == "see_clinician"


def test_negation_and_a_new_clause_in_one_message(triage: Triage) -> None:
    result = triage.triage_text("Swelling? No. Giving way? Yes, on the stairs.")
    assert result.outcome == "see_clinician"
    assert result.signals[0] == "giving_way" and "swelling" not in result.signals


# ---------------------------------------------------------------------------- new concepts


@pytest.mark.parametrize(
    ("text", "expected", "signal"),
    [
        ("tripped and now I can't feel my toes", "urgent", "numb_foot"),
        ("after the tackle my foot went cold and pale", "urgent", "numb_foot"),
        ("my kneecap is sitting on the outside of my knee", "urgent", "dislocation"),
        ("there's a lump sticking out that wasn't there before", "urgent", "deformity"),
        ("my knee blew up after the long run", "see_clinician", "swelling"),
        ("it went all fat after parkrun", "see_clinician", "swelling"),
        ("it's like a balloon", "urgent", "rapid_swelling"),
        ("aches constantly, rest makes no difference", "see_clinician", "rest_pain"),
        ("my daughter is 9 and limps in the mornings", "see_clinician", "child"),
        ("I'm 14 and I've had a limp for a week", "see_clinician", "teen_hip"),
        ("my 15yo son says his hip and thigh hurt", "see_clinician", "teen_hip"),
        ("I'm 15 and grew 10 cm this year, pain just below the kneecap", "other_likely",
         "osgood_schlatter"),
        ("got a rash on my legs and now my knees ache", "see_clinician", "joints_rash"),
        ("I have a fevr and the knee is hot", "urgent", "hot_red_fever"),
        ("cnat put wieght on it", "urgent", "cant_bear_weight"),
    ],
)
def test_concepts_from_the_clinical_notes(
    triage: Triage, text: str, expected: str, signal: str
) -> None:
    result = triage.triage_text(text)
    assert result.outcome == expected, (text, result)
    assert signal in result.signals, (text, result)


@pytest.mark.parametrize(
    "text",
    [
        "I play netball and the pain is around my kneecap, worse on stairs",
        "I used to play basketball; now my kneecap aches on stairs and squats",
    ],
)
def test_a_named_place_outweighs_a_sport(triage: Triage, text: str) -> None:
    assert outcome(triage, text) == "pfp_program"


def test_a_sport_alone_still_suggests_the_tendon(triage: Triage) -> None:
    assert "patellar_tendon" in triage.triage_text("my knee hurts after volleyball").signals


@pytest.mark.parametrize(
    "text",
    [
        "I'm 15 km into my training week and my kneecap aches",
        "I ran 12 km, kneecap ache on stairs",
        "my foot was cold on the run this winter, kneecap aches on stairs",
        "it sticks out a bit when I squat, aches round the kneecap",
        "I made a rash decision to run a marathon; kneecap aches",
        "I'm 16, kneecap aches on stairs, no limp and my hips are fine",
    ],
)
def test_new_concepts_do_not_alarm_ordinary_runners_knee(triage: Triage, text: str) -> None:
    assert outcome(triage, text) == "pfp_program", triage.triage_text(text)


def test_short_word_typos_do_not_read_real_words(triage: Triage) -> None:
    sc = triage.screener
    assert sc.tokens("cnat fevr") == ["cant", "fever"]
    assert sc.tokens("I was selling my old shoes")[2] == "selling"
    assert sc.tokens("call half")[0:2] == ["call", "half"]


# ---------------------------------------------------------------------------- other languages


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("me caí corriendo, no puedo apoyar el pie y se me está hinchando", "es"),
        ("das Knie ist blockiert und ich kann es nicht strecken", "de"),
        ("j'ai de la fièvre et le genou est tout rouge et gonflé", "fr"),
        ("mi si è bloccato il ginocchio, non riesco a raddrizzarlo", "it"),
        ("estou com febre e o joelho está inchado e quente", "pt"),
    ],
)
def test_urgent_red_flags_in_five_languages(triage: Triage, text: str, language: str) -> None:
    assert triage.screener.detect_language(text) == language
    assert outcome(triage, text) == "urgent", triage.triage_text(text)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("yes", "en"), ("no", "en"), ("si", "en"), ("28", "en"), ("non", "en"),
        ("my knee hurts on the stairs", "en"),
        ("I ran the Berlin marathon, danke schön", "en"),
        ("Мое колено распухло", "other"),
        ("膝が痛いです", "other"),
        ("hola, me duele la rodilla cuando corro", "es"),
    ],
)
def test_language_detection(triage: Triage, text: str, language: str) -> None:
    assert triage.screener.detect_language(text) == language


@pytest.mark.parametrize("text", ["Мое колено распухло", "膝が痛いです", "ركبتي تؤلمني"])
def test_other_scripts_give_tokens(triage: Triage, text: str) -> None:
    assert triage.screener.tokens(text)


# ---------------------------------------------------------------------------- explaining


def test_triage_json_explains_each_finding_with_its_modifiers() -> None:
    output, code = run_triage("calf isn't swollen but my mum had knee surgery",
                              True, shipped_bundle())
    assert code == 0
    payload = json.loads(output)
    assert payload["outcome"] == "unclear"
    assert payload["language"] == "en"
    by_signal = {f["signal"]: f for f in payload["findings"]}
    calf = by_signal["calf_clot"]
    assert calf["counted"] is False and calf["words"] == "calf isnt swollen"
    assert calf["modifiers"][0]["modifier"] == "negated"
    assert calf["modifiers"][0]["rule"] == "inside"
    assert calf["modifiers"][0]["trigger"] == "isnt"
    assert calf["modifiers"][0]["why"].endswith(".")
    surgery = by_signal["recent_surgery"]["modifiers"][0]
    assert (surgery["modifier"], surgery["trigger"]) == ("other", "my mum had")


def test_every_context_rule_and_modifier_has_words_for_a_clinician(triage: Triage) -> None:
    words = triage.words
    assert set(triage.screener.context_rules) | {"negator", "inside", "resolved", "answer"} \
        == set(words.rules)
    assert set(words.modifiers) == {"negated", "historical", "other", "hypothetical",
                                    "uncertain"}


# ---------------------------------------------------------------------------- rule data


def rules() -> dict[str, Any]:
    return copy.deepcopy(dict(shipped_bundle().rules))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["context"]["rules"][0].update(modifier="sideways"),
         "context rule 'long_ago': field 'modifier'"),
        (lambda d: d["context"]["rules"][0].update(direction="up"),
         "context rule 'long_ago': field 'direction'"),
        (lambda d: d["context"]["rules"][0].update(phrases=["{years ago"]),
         "context rule 'long_ago': field 'phrases[1]'"),
        (lambda d: d["context"]["rules"][1].update(id="long_ago"),
         "context rule 'long_ago': field 'id' is used twice"),
        (lambda d: d["context"]["rules"][0].update(signals=["nonsense"]),
         "context rule 'long_ago': field 'signals'"),
        (lambda d: d["context"]["rules"][0].update(overrides=["nonsense"]),
         "context rule 'long_ago': field 'overrides'"),
        (lambda d: d["derive"][0].update(signal="nonsense"), "derive[1]: field 'signal'"),
        (lambda d: d["languages"]["es"]["signals"].update(nonsense=["x"]),
         "languages.es.signals: 'nonsense'"),
        (lambda d: d["signals"]["systemic"].update(keep=["uncertain"]), "signals.systemic.keep"),
        (lambda d: d["signals"]["recent_surgery"].update(keep_unless=["nonsense"]),
         "signals.recent_surgery.keep_unless"),
        (lambda d: d["signals"]["child_age"]["phrases"].append("<num:9-2> years"),
         "empty range"),
    ],
)
def test_bad_context_and_language_data_is_named(mutate: Any, message: str) -> None:
    data = rules()
    mutate(data)
    with pytest.raises(TriageDataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Screener(data)


def test_a_broken_context_rule_fails_check_and_stops_run(tmp_path: Path) -> None:
    copy_dir = copy_content(tmp_path)
    edit(copy_dir / "triage.yaml", "      modifier: hypothetical\n", "      modifier: maybe\n")
    problems = run_check(copy_dir, default_dialogs_root())
    assert len(problems) == 1 and problems[0].startswith(
        "content/triage.yaml: context rule 'what_if': field 'modifier'"), problems
    for args in (["check"], ["run"]):
        result = kneecoach(tmp_path, *args, content=copy_dir)
        assert result.returncode != 0, (args, result.stdout)
        assert "content/triage.yaml" in result.stderr and "what_if" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_context_rule_without_words_is_named(tmp_path: Path) -> None:
    copy_dir = copy_content(tmp_path)
    edit(copy_dir / "locales" / "en" / "triage.yaml", "  hedged: A hedge", "  hedgehog: A hedge")
    problems = run_check(copy_dir, default_dialogs_root())
    assert any("content/locales/en/triage.yaml" in p and "rule 'hedged'" in p
               for p in problems), problems


def test_a_language_reply_without_its_disclaimer_is_named(tmp_path: Path) -> None:
    copy_dir = copy_content(tmp_path)
    edit(copy_dir / "languages.yaml", "Esto no es un diagnóstico.\n  urgent:",
         "Hasta luego.\n  urgent:")
    problems = run_check(copy_dir, default_dialogs_root())
    assert any("content/languages.yaml" in p and "language 'es'" in p
               and "english_only" in p for p in problems), problems


# ---------------------------------------------------------------------------- more wordings

MORE = Path(__file__).with_name("triage_cases_safety_net.yaml")


def more_cases() -> list[dict[str, str]]:
    import yaml

    data = yaml.safe_load(MORE.read_text(encoding="utf-8"))
    return list(data["cases"])


@pytest.mark.parametrize("case", more_cases(), ids=lambda c: c["text"][:50])
def test_more_wordings(triage: Triage, case: dict[str, str]) -> None:
    got = outcome(triage, case["text"])
    expected = case["expected"]
    if expected == "alarm":
        assert got in {"urgent", "see_clinician"}, (case, got)
    elif expected == "noalarm":
        assert got not in {"urgent", "see_clinician"}, (case, got)
    else:
        assert got == expected, (case, got)


# ---------------------------------------------------------------------------- each language's "not"


def test_a_languages_negation_reaches_only_its_own_findings(triage: Triage) -> None:
    # Spanish "ni" and German "kein" negate the words screened in those languages ...
    assert outcome(triage, "no tengo fiebre ni escalofríos, me duele la rótula") not in {
        "urgent", "see_clinician"}
    assert outcome(triage, "kein Fieber und keine Schwellung am Knie") not in {
        "urgent", "see_clinician"}
    # ... and never an English finding: "kein" is not an English negator
    assert outcome(triage, "kein swelling, my knee is swollen") == "see_clinician"
    result = triage.screen("Das Knie ist nicht geschwollen")
    (finding,) = [f for f in result.findings if f.signal == "swelling"]
    assert finding.lang == "de" and not finding.counted
    assert finding.modifiers[0].rule == "negator" and finding.modifiers[0].trigger == "nicht"


def test_negation_that_is_uncertainty_in_another_language_still_alarms(triage: Triage) -> None:
    for text in ["no sé si está hinchada", "non so se è gonfio", "não sei se está inchado",
                 "je ne sais pas si c'est gonflé", "ich weiß nicht ob es geschwollen ist"]:
        assert outcome(triage, text) in {"urgent", "see_clinician"}, text


def test_an_unknown_negation_field_is_named(tmp_path: Path) -> None:
    copy_dir = copy_content(tmp_path)
    edit(copy_dir / "triage.yaml", '      negators: ["pas",', '      negatorz: ["pas",')
    problems = run_check(copy_dir, default_dialogs_root())
    assert any("languages.fr.negation" in p and "negatorz" in p for p in problems), problems


def test_the_if_question_and_denial_rules_explain_themselves(triage: Triage) -> None:
    result = triage.screen("If my knee swelled up, would I have to stop? It hasn't.")
    (finding,) = [f for f in result.findings if f.signal == "swelling"]
    assert {m.rule for m in finding.modifiers} == {"if_question", "denied"}
    assert not finding.counted
    # a statement, not a question: the same words count
    assert triage.screen("If my knee swelled up I stopped.").level == "see_clinician"

"""No path around a referral, as golden transcripts: a teenager's /today, the intake done
again after an urgent outcome, and /start in the middle of the programme."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_transcripts import HERE, check_golden, keys, transcript


def script(name: str) -> str:
    return (HERE / "scripts" / f"{name}.txt").read_text(encoding="utf-8")


async def test_a_teenager_with_growth_related_pain_gets_no_programme(tmp_path: Path) -> None:
    records = await transcript(tmp_path, script("bypass_teen_today"))
    found = keys(records)
    assert "intake.say.teen_note" in found
    assert "safety.other_likely" in found
    assert "intake.ask.offer" not in found
    # "15" to the age question is 15 years; "5 weeks" and "20 km" are their values
    assert found[found.index("intake.ask.age") + 1] == "intake.say.teen_note"
    assert found[-2:] == ["gate.not_offered", "checkin.ask.pain"]
    assert not any(k in {"today.session", "daily.session"} for k in found)
    check_golden("bypass_teen_today", records)


async def test_the_intake_again_after_urgent_does_not_lift_the_hold(tmp_path: Path) -> None:
    records = await transcript(tmp_path, script("bypass_intake_after_urgent"))
    found = keys(records)
    assert found.count("safety.urgent") == 1
    assert "safety.pfp_program" in found  # the second intake's own answer
    assert "gate.hold_remains" in found
    assert "intake.ask.offer" not in found
    first_session = found.index("today.session")
    assert found.index("safety.hold_cleared") < first_session
    assert [k for k in found[:first_session] if k in {"safety.hold", "gate.hold_remains"}] == [
        "safety.hold", "safety.hold", "gate.hold_remains", "safety.hold"]
    assert not any(k.startswith("exercise.") for k in found)
    check_golden("bypass_intake_after_urgent", records)


async def test_start_mid_programme_asks_and_keeps_the_week_count(tmp_path: Path) -> None:
    records = await transcript(tmp_path, script("bypass_start_mid_programme"))
    found = keys(records)
    assert found.count("restart.ask.confirm") == 2
    assert "restart.end.kept" in found
    # the first enrolment starts it; answering again mid-programme carries it on, and says
    # so (not "your first session")
    assert found.count("programme.started") == 1
    assert found.count("programme.carried_on") == 1
    again = next(r for r in records if r["key"] == "programme.carried_on")
    assert "first session" not in str(again["text"])
    progress = records[-1]
    assert progress["key"] == "progress.chart"
    assert "week 2 of 6" in str(progress["text"]).lower(), progress["text"]
    check_golden("bypass_start_mid_programme", records)

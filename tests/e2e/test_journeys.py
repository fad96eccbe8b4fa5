"""Six weeks in seconds: whole programmes on a simulated clock, as golden transcripts.

Each journey is a script for `kneecoach chat --script --clock`: the runner enrols at 06:00
on a Monday with a 07:30 London reminder (strength on Mon, Wed, Fri), answers the equipment
questions and the function check, then every day the prompt arrives, they answer it at
about 08:00 (how the strength work felt, the check-in with their run, the weekly review and
at weeks 3 and 6 the function check) and the clock moves on (`@advance`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bot.store.progression import ProgressionStore
from bot.store.sqlite import SQLiteDatabase
from tests.e2e.test_transcripts import check_golden, keys, said, transcript
from tests.support.content import shipped_content
from tests.support.pdf import pdf_text

ENROL = """/start
I agree
18 or over
It aches around my kneecap, mostly going down stairs.
1
left
{duration}
yes
yes
yes
no
no
no
no
no
no
{weekly_km}
{race}
Yes, let's start
07:30
London
Mon, Wed, Fri
{band}
{weights}
{step}
{minutes}
"""
STRENGTH_WEEKDAYS = {0, 2, 4}  # day 0 is a Monday
SOME = ("Some difficulty",) * 5
EASY = "Too easy"
RIGHT = "About right"
HURT = "It hurt (over 5/10)"


@dataclass
class Runner:
    """What a runner answers, day by day (day 0: the Monday they enrol)."""

    pain: Callable[[int], int]
    weekly: Callable[[int], str]
    days: int = 43
    race: str = "none"
    weekly_km: str = "25"
    duration: str = "2 to 6 weeks"
    equipment: tuple[str, str, str] = ("yes", "no", "yes")  # band, weights, step
    minutes: str = "20"
    function: Callable[[int], Sequence[str]] = lambda week: SOME
    feel: Callable[[int], str] = lambda day: RIGHT
    which: Callable[[int], str] = lambda day: "All of them"
    worse: Callable[[int], bool] = lambda day: False
    ran: Callable[[int], int | None] = lambda day: None  # km run the day before
    short: Callable[[int], bool] = lambda day: False
    swelling_day: int | None = None
    seen_day: int | None = None

    def script(self) -> str:
        band, weights, step = self.equipment
        lines = [ENROL.format(race=self.race, weekly_km=self.weekly_km, duration=self.duration,
                              band=band, weights=weights, step=step,
                              minutes=self.minutes).strip(), *self.function(0)]
        held = False
        for day in range(self.days):
            lines.append("@advance 2h" if day == 0 else "@advance 24h")
            if self.seen_day is not None and day == self.seen_day:
                lines.append("A clinician has checked it")
                held = False
                continue  # reminders are back from tomorrow
            if held:
                continue
            if self.short(day):
                lines.append("Short version")
            lines.append("Done ✅" if day % 3 else "Did part of it")
            if day % 7 in STRENGTH_WEEKDAYS:
                feel = self.feel(day)
                lines.append(feel)
                if feel != RIGHT:
                    lines.append(self.which(day))
            lines.append(str(self.pain(day)))
            lines.append("yes" if self.worse(day) else "no")
            if self.swelling_day is not None and day == self.swelling_day:
                lines.append("yes")
                held = True
                continue
            lines.append("no")
            km = self.ran(day)
            lines.append("no" if km is None else "yes")
            if km is not None:
                lines.append(str(km))
            if day >= 7 and day % 7 == 0:
                lines.append(self.weekly(day))
                if day // 7 in (3, 6):
                    lines.extend(self.function(day // 7))
        lines.append("/progress")
        return "\n".join(lines) + "\n"


def days_of(records: list[dict[str, object]], key: str) -> list[str]:
    return [str(r["at"])[:10] for r in records if key in said(r)]


def day_of(date_text: str) -> int:
    """The programme day of a transcript date (2026-03-02 is day 0)."""
    return int(date_text[8:10]) - 2 if date_text[5:7] == "03" else int(date_text[8:10]) + 29


def sessions_text(records: list[dict[str, object]]) -> list[tuple[int, str]]:
    return [(day_of(str(r["at"])[:10]), str(r["text"])) for r in records
            if {"daily.session", "daily.short", "today.session"} & set(said(r))]


async def run(tmp_path: Path, runner: Runner) -> list[dict[str, object]]:
    records = await transcript(tmp_path, runner.script())
    found = keys(records)
    derailed = {"input.hint", "input.stale", "idle.text"} & set(found)
    assert not derailed, f"the script derailed: {derailed}"
    assert found.count("daily.ask.session") >= 1
    await check_every_session_is_hip_and_knee(tmp_path / "k.db")
    return records


async def workouts(db_path: Path) -> list[tuple[str, ...]]:
    db = await SQLiteDatabase.open(db_path)
    try:
        return [w.strength for w in await ProgressionStore(db).workouts(1)]
    finally:
        await db.close()


async def check_every_session_is_hip_and_knee(db_path: Path) -> None:
    """Every strength session the journey generated has a hip and a knee-loading move."""
    content = shipped_content()
    strength = [s for s in await workouts(db_path) if s]
    assert strength, "no strength session was generated"
    for moves in strength:
        ladders = [content.ladder_of(i) for i in moves]
        assert any(lad.region == "hip" for lad in ladders), moves
        assert any(lad.region == "knee" and lad.loads_knee for lad in ladders), moves


# --------------------------------------------------------------------------- the journeys


async def test_improving_runner_gets_no_escalation(tmp_path: Path) -> None:
    runner = Runner(
        pain=lambda d: max(1, 6 - d // 5),
        weekly=lambda d: "Better" if d < 28 else "Much better",
        ran=lambda d: 5 if d % 2 else None,
        function=lambda week: {0: SOME, 3: ("Slight difficulty",) * 5}.get(
            week, ("No difficulty",) * 5),
    )
    records = await run(tmp_path, runner)
    found = keys(records)
    assert not [k for k in found if k.startswith("escalate.")], "no escalation when improving"
    assert found.count("daily.ask.session") == 43
    assert found.count("weekly.ask.rating") == 6
    assert found.count("function.ask.stairs") == 3
    assert "advice.ease" in found and "advice.fine" in found
    assert "review.maintenance" in found
    # the weekly running suggestion: +10% exactly after the weeks whose runs were all 0-2
    adds = [day_of(d) for d in days_of(records, "running.week.add")]
    pain_free = [d for d in range(7, 43, 7)
                 if all(runner.pain(r) <= 2 for r in range(d - 6, d + 1) if runner.ran(r))]
    assert adds == pain_free == [28, 35, 42]
    review = next(r for r in records if "review.summary" in said(r))
    assert "10/20 at the start, 20/20 now" in str(review["text"])
    assert found[-1] == "progress.chart"
    chart = records[-1]
    # Week 7 (day 43) is week 7, not "week 6 of 6"; the chart says in words where pain went.
    assert "week 7: the 6-week programme is done" in str(chart["text"])
    assert "your worst pain has come down, from about 6/10" in str(chart["text"])
    assert "Function: 10/20 at the start, 20/20" in str(chart["text"])
    # The terminal saves the chart beside the database, readable by its owner only.
    saved = chart["file"]
    assert isinstance(saved, dict)
    assert saved["kind"] == "picture" and saved["name"] == "progress-2026-04-13.png"
    assert saved["path"] == "<tmp>/kneecoach-files/progress-2026-04-13.png"
    path = tmp_path / "kneecoach-files" / "progress-2026-04-13.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    # pain and sessions, then the function checks and the weekly running distance (280 px each)
    assert Image.open(path).size == (800, 840 + 280 + 280)
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "kneecoach-files").stat().st_mode & 0o777 == 0o700
    check_golden("journey_improving", records)


async def test_non_improving_runner_is_sent_to_a_clinician_at_three_and_six_weeks(
    tmp_path: Path,
) -> None:
    runner = Runner(pain=lambda d: 5 if d % 2 else 6, weekly=lambda d: "About the same")
    records = await run(tmp_path, runner)
    assert days_of(records, "escalate.week3") == ["2026-03-23"]  # day 21
    assert days_of(records, "escalate.week6") == ["2026-04-13"]  # day 42
    week6 = next(r for r in records if "escalate.week6" in said(r))
    assert week6["buttons"] == ["Pause the programme", "Keep going"]
    assert "function score was 10/20 at the start and is 10/20 now" in str(week6["text"])
    assert "review.maintenance" not in keys(records)
    check_golden("journey_not_improving", records)


async def test_the_week_three_and_six_referrals_follow_that_days_review_one_thing_at_a_time(
    tmp_path: Path,
) -> None:
    """Issue 16, item 12: the referral comes after that day's weekly question, its function
    check and their answers, and quotes this week's rating, not last week's."""
    runner = Runner(pain=lambda d: 5 if d % 2 else 6,
                    weekly=lambda d: "About the same" if d in (21, 42) else "A little worse")
    records = await run(tmp_path, runner)
    for day, key in (("2026-03-23", "escalate.week3"), ("2026-04-13", "escalate.week6")):
        found = [k for r in records if str(r["at"]).startswith(day) for k in said(r)]
        assert (found.index("weekly.ask.rating") < found.index("function.ask.kneeling_jumping")
                < found.index("function.result") < found.index(key)), found
        referral = next(r for r in records if key in said(r))
        assert "you said the knee was about the same" in str(referral["text"])
        assert "a little worse" not in str(referral["text"])
    week6 = found.index("escalate.week6")
    assert not [k for k in found[week6 + 1:] if k.startswith(("weekly.ask", "function.ask"))]


async def test_swelling_on_day_ten_pauses_until_a_clinician_has_seen_it(tmp_path: Path) -> None:
    runner = Runner(pain=lambda d: 4, weekly=lambda d: "A little better", days=20,
                    swelling_day=10, seen_day=14)
    records = await run(tmp_path, runner)
    assert days_of(records, "safety.swelling_pause") == ["2026-03-12"]
    prompts = days_of(records, "daily.ask.session")
    held = {"2026-03-13", "2026-03-14", "2026-03-15"}
    assert not held & set(prompts), "no sessions while waiting for a clinician"
    assert "2026-03-17" in prompts, "back after the clinician has seen it"
    check_golden("journey_swelling", records)


async def test_race_soon_suggests_a_clinician_early(tmp_path: Path) -> None:
    records = await transcript(
        tmp_path, Runner(pain=lambda d: 3, weekly=lambda d: "Better", race="soon",
                         days=2).script())
    # said once, at the triage (issue 16, item 12); recorded for the clinician's page
    assert days_of(records, "safety.race_soon") == ["2026-03-02"]
    assert days_of(records, "escalate.race") == []


async def test_a_race_within_eight_weeks_adds_no_distance(tmp_path: Path) -> None:
    runner = Runner(pain=lambda d: 1, weekly=lambda d: "Better", race="soon", days=15,
                    ran=lambda d: 6 if d % 2 else None)
    records = await run(tmp_path, runner)
    weekly = [r for r in records if any(k.startswith("running.week.") for k in said(r))]
    assert [k for r in weekly for k in said(r) if k.startswith("running.week.")] == [
        "running.week.hold", "running.week.hold"]
    assert all("With your race this close, add nothing now" in str(r["text"]) for r in weekly)
    assert days_of(records, "safety.race_soon") == ["2026-03-02"]


async def test_too_easy_climbs_the_squat_and_step_ladders(tmp_path: Path) -> None:
    runner = Runner(pain=lambda d: 2, weekly=lambda d: "Better", feel=lambda d: EASY,
                    equipment=("yes", "yes", "yes"), minutes="30")
    records = await run(tmp_path, runner)
    shown = " ".join(text for _, text in sessions_text(records))
    squat = ["Sit-to-stand", "Box squat", "Bodyweight squat", "Split squat"]
    step = ["Step-up", "Lateral step-down", "Forward step-down"]
    assert sum(name in shown for name in squat) >= 3, "three levels of the squat ladder"
    assert sum(name in shown for name in step) >= 3, "three levels of the step ladder"
    # each change is explained in one sentence at the top of the next session
    assert "Sit-to-stand felt too easy, so today it is **Box squat**." in shown
    assert "Step-up felt too easy, so today it is **Lateral step-down**." in shown
    # at the top of a ladder: make it harder within the move
    assert "Split squat felt too easy and it is the top of its ladder" in shown
    check_golden("journey_too_easy", records)


async def test_it_hurt_twice_steps_back_with_the_pain_advice(tmp_path: Path) -> None:
    hurts = {7, 9}
    runner = Runner(pain=lambda d: 6 if d - 1 in hurts else 3, weekly=lambda d: "Better",
                    feel=lambda d: HURT if d in hurts else EASY if d < 7 else RIGHT)
    records = await run(tmp_path, runner)
    # the ease-off advice straight after each "it hurt"
    feedback = [(day_of(str(r["at"])[:10]), k) for r in records for k in said(r)
                if k.startswith(("feedback.", "advice.ease"))]
    for day in hurts:
        assert (day, "feedback.thanks.hurt") in feedback and (day, "advice.ease") in feedback
    sessions = dict(sessions_text(records))
    # up three levels from "too easy", then back one level after each "it hurt"
    assert "so today it is **Split squat**" in sessions[7]
    assert "Split squat hurt, so today it is the easier **Bodyweight squat**." in sessions[9]
    assert "Bodyweight squat hurt, so today it is the easier **Box squat**." in sessions[11]
    check_golden("journey_it_hurt", records)


async def test_no_equipment_never_gets_a_band_or_a_step(tmp_path: Path) -> None:
    runner = Runner(pain=lambda d: 2, weekly=lambda d: "Better", feel=lambda d: EASY,
                    equipment=("no", "no", "no"), minutes="30",
                    short=lambda d: d % 7 == 4)
    records = await run(tmp_path, runner)
    content = shipped_content()
    moves = {i for session in await workouts(tmp_path / "k.db") for i in session}
    needs = {e for i in moves for e in [*content.exercises[i].equipment,
                                        *content.exercises[i].any_of]}
    assert not needs & {"band", "step", "weights"}, needs
    shown = " ".join(text for _, text in sessions_text(records))
    assert "Banded clamshell" not in shown and "Step-up" not in shown
    assert "Clamshell felt too easy, so today it is **Side-lying leg raise**." in shown
    assert "daily.short" in keys(records)
    check_golden("journey_no_equipment", records)


async def test_a_runner_who_stopped_gets_walk_run_and_steps_up_after_a_pain_free_week(
    tmp_path: Path,
) -> None:
    # week 1: runs at 3/10; week 2 pain-free; week 3 at 4/10; week 4 a run at 7/10;
    # weeks 5 and 6 pain-free
    def pain(day: int) -> int:
        week = (day - 1) // 7 + 1 if day else 1
        return {1: 3, 2: 1, 3: 4, 4: 7 if day == 25 else 3}.get(week, 1)

    runner = Runner(pain=pain, weekly=lambda d: "A little better", weekly_km="0",
                    duration="Over 3 months", ran=lambda d: 2 if d % 2 else None)
    records = await run(tmp_path, runner)
    assert days_of(records, "running.start.walk_run") == ["2026-03-02"]
    suggestions = [(day_of(str(r["at"])[:10]), k) for r in records for k in said(r)
                   if k.startswith("running.week.")]
    assert suggestions == [
        (7, "running.week.walk_run_hold"),  # runs at 3/10: acceptable, hold
        (14, "running.week.walk_run_next"),  # a pain-free week: the next stage
        (21, "running.week.walk_run_hold"),
        (28, "running.week.walk_run_back"),  # 7/10: back a stage
        (35, "running.week.walk_run_next"),
        (42, "running.week.walk_run_next"),
    ]
    check_golden("journey_walk_run", records)


async def test_function_gain_with_unchanged_pain_is_not_escalated_at_six_weeks(
    tmp_path: Path,
) -> None:
    runner = Runner(
        pain=lambda d: 4, weekly=lambda d: "About the same",
        function=lambda week: {6: ("Slight difficulty",) * 5}.get(week, SOME),
    )
    records = await run(tmp_path, runner)
    found = keys(records)
    assert "escalate.week6" not in found
    assert "review.maintenance" in found
    review = next(r for r in records if "review.summary" in said(r))
    assert "**What worked:** what the knee lets you do went up by 5 points." in str(
        review["text"])
    check_golden("journey_function_gain", records)


async def test_the_summary_for_a_clinician_holds_the_programmes_records(
    tmp_path: Path,
) -> None:
    # three weeks: the strength work too easy in week 1, a 4 km run every other day (days
    # 0, 2, ... 20), pain 2/10, the function check at the start and at week 3
    runner = Runner(pain=lambda d: 2, weekly=lambda d: "Better", days=22,
                    feel=lambda d: EASY if d < 7 else RIGHT,
                    ran=lambda d: 4 if d % 2 else None,
                    function=lambda week: {3: ("Slight difficulty",) * 5}.get(week, SOME))
    records = await transcript(tmp_path, runner.script() + "/summary\n")
    summary = records[-1]
    assert summary["key"] == "summary.pdf"
    saved = summary["file"]
    assert isinstance(saved, dict) and saved["kind"] == "document"
    text = pdf_text((tmp_path / "kneecoach-files" / str(saved["name"])).read_bytes())
    # the function checks, their change, and what the score is
    assert "At the start: 10/20" in text
    assert "Week 3: 15/20, 5 points better than at the start" in text
    assert "0-20, higher is better. Not a validated scale" in text
    # each ladder the sessions held, at its level now: the squat and side hip ladders are in
    # every session, so week 1's three "too easy" took each up three levels
    assert "Squat ladder: Split squat (level 4 of 4)" in text
    assert "Side hip ladder: Side plank (level 4 of 4)" in text
    assert "Wall sit: Wall sit" in text  # a ladder of one level has no "level 1 of 1"
    assert "Equipment beyond a chair, a wall and the floor: a resistance band, a step" in text
    # the running log by programme week, and the latest weekly suggestion
    assert ("Distance logged by programme week: week 1: 16 km; week 2: 12 km; week 3: 16 km"
            in text)
    assert ("Running suggestion after week 3: add about 10%, to about 17.5 km a week (that "
            "week: 16 km; pain 0-2/10 and settled by the next morning)") in text
    assert "not recorded yet" not in text

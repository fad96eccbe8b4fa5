"""Six weeks in seconds: whole programmes on a simulated clock, as golden transcripts.

Each journey is a script for `kneecoach chat --script --clock`: the runner enrols at 06:00
on a Monday with a 07:30 London reminder; every day the prompt arrives, they answer it at
about 08:00 and the clock moves on (`@advance`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.e2e.test_transcripts import check_golden, keys, transcript

ENROL = """/start
I agree
18 or over
It aches around my kneecap, mostly going down stairs.
1
left
2 to 6 weeks
yes
yes
yes
no
no
no
no
no
no
25
{race}
Yes, let's start
07:30
London
Mon, Wed, Fri
"""


def journey(
    days: int,
    pain: Callable[[int], int],
    weekly: Callable[[int], str],
    swelling_day: int | None = None,
    seen_day: int | None = None,
    race: str = "none",
) -> str:
    lines = [ENROL.format(race=race).strip()]
    held = False
    for day in range(days):
        lines.append("@advance 2h" if day == 0 else "@advance 24h")
        if seen_day is not None and day == seen_day:
            lines.append("A clinician has checked it")
            held = False
        if held:
            continue
        lines.append("Done ✅" if day % 3 else "Did part of it")
        lines.append(str(pain(day)))
        lines.append("no")
        if swelling_day is not None and day == swelling_day:
            lines.append("yes")
            held = True
            continue
        lines.append("no")
        if day >= 7 and day % 7 == 0:
            lines.append(weekly(day))
    lines.append("/progress")
    return "\n".join(lines) + "\n"


def days_of(records: list[dict[str, object]], key: str) -> list[str]:
    return [str(r["at"])[:10] for r in records if r["key"] == key]


async def test_improving_runner_gets_no_escalation(tmp_path: Path) -> None:
    script = journey(
        43,
        pain=lambda d: max(1, 6 - d // 5),
        weekly=lambda d: "Better" if d < 28 else "Much better",
    )
    records = await transcript(tmp_path, script)
    found = keys(records)
    assert not [k for k in found if k.startswith("escalate.")], "no escalation when improving"
    assert found.count("daily.ask.session") == 43
    assert found.count("weekly.ask.rating") == 6
    assert "advice.ease" in found and "advice.fine" in found
    assert found[-1] == "progress.chart"
    chart = records[-1]
    # Week 7 (day 43) is week 7, not "week 6 of 6"; the chart says in words where pain went.
    assert "week 7: the 6-week programme is done" in str(chart["text"])
    assert "your worst pain has come down, from about 6/10" in str(chart["text"])
    # The terminal saves the chart beside the database, readable by its owner only.
    saved = chart["file"]
    assert isinstance(saved, dict)
    assert saved["kind"] == "picture" and saved["name"] == "progress-2026-04-13.png"
    assert saved["path"] == "<tmp>/kneecoach-files/progress-2026-04-13.png"
    path = tmp_path / "kneecoach-files" / "progress-2026-04-13.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "kneecoach-files").stat().st_mode & 0o777 == 0o700
    check_golden("journey_improving", records)


async def test_non_improving_runner_is_sent_to_a_clinician_at_three_and_six_weeks(
    tmp_path: Path,
) -> None:
    script = journey(43, pain=lambda d: 5 if d % 2 else 6, weekly=lambda d: "About the same")
    records = await transcript(tmp_path, script)
    assert days_of(records, "escalate.week3") == ["2026-03-23"]  # day 21
    assert days_of(records, "escalate.week6") == ["2026-04-13"]  # day 42
    week6 = next(r for r in records if r["key"] == "escalate.week6")
    assert week6["buttons"] == ["Pause the programme", "Keep going"]
    check_golden("journey_not_improving", records)


async def test_swelling_on_day_ten_pauses_until_a_clinician_has_seen_it(tmp_path: Path) -> None:
    script = journey(
        20, pain=lambda d: 4, weekly=lambda d: "A little better", swelling_day=10, seen_day=14
    )
    records = await transcript(tmp_path, script)
    assert days_of(records, "safety.swelling_pause") == ["2026-03-12"]
    prompts = days_of(records, "daily.ask.session")
    held = {"2026-03-13", "2026-03-14", "2026-03-15"}
    assert not held & set(prompts), "no sessions while waiting for a clinician"
    assert "2026-03-17" in prompts, "back after the clinician has seen it"
    check_golden("journey_swelling", records)


async def test_race_soon_suggests_a_clinician_early(tmp_path: Path) -> None:
    records = await transcript(
        tmp_path, journey(2, pain=lambda d: 3, weekly=lambda d: "Better", race="soon")
    )
    assert days_of(records, "escalate.race") == ["2026-03-02"]

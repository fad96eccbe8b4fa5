"""The programme as a runner lives it: sessions built from their equipment and minutes, the
feedback question and what it changes, the short version, the daily card, the knee named
in the steps, and the settings that change the sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.events import Press
from tests.support.client import CoachClient, enrol
from tests.support.world import World

# The conversations run on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends


def strength_lines(text: str) -> list[str]:
    """The strength moves of a session message, by name."""
    part = text.split("**Strength**", 1)[1].split("\n\n", 1)[0]
    return [line[2:].split(":", 1)[0] for line in part.splitlines() if line.startswith("- ")]


async def test_the_first_session_is_built_from_the_runners_equipment_and_minutes(
    client: CoachClient,
) -> None:
    await enrol(client, equipment=("No", "No", "No"), minutes="About 20 minutes")
    session = client.last[-1]
    assert session.key == "today.session"
    assert strength_lines(session.text) == ["Sit-to-stand", "Clamshell",
                                            "Seated knee extension"]
    assert "(week 1): about 34 minutes" in session.text  # 17 strength + 17 stretch and roll
    assert "**Strength**, hip and knee: about 17 minutes" in session.text
    assert "- Sit-to-stand: 3 x 10 (2s down, 1s pause, 2s up)" in session.text
    assert "**Day 1:** Welcome." in session.text
    assert [b.label for row in session.buttons for b in row][:3] == [
        "How: Sit-to-stand", "How: Clamshell", "How: Seated knee extension"]


async def test_the_intake_says_which_knee_in_the_steps(client: CoachClient) -> None:
    await client.send("/exercise split squat")
    assert "watch your knee: it should" in client.text  # before the intake
    await enrol(client)  # the left knee
    await client.send("/exercise split squat")
    assert client.keys == ["exercise.split_squat", "exercise.split_squat.details"]
    assert "5. Use a mirror to watch your left knee: it should stay" in client.text
    await client.press("How: Sit-to-stand")
    assert client.keys == ["exercise.sit_to_stand", "exercise.sit_to_stand.details"]


async def test_the_daily_card_comes_once_a_day_for_two_weeks(world: World) -> None:
    client = await world.enrol("r1")
    assert "**Day 1:**" in client.last[-1].text
    await client.send("/today")
    assert "**Day 1:**" not in client.text, "never twice a day"
    await world.advance(timedelta(days=1, hours=2))  # Tuesday's prompt, day 2
    prompt = next(r for r in reversed(client.history) if "daily.session" in r.keys)
    assert "**Day 2:** Your pain guide" in prompt.text
    assert "/learn pain_monitoring" in prompt.text
    await world.advance(timedelta(days=13))
    prompt = next(r for r in reversed(client.history) if "daily.session" in r.keys)
    assert "**Day" not in prompt.text, "no cards after the first two weeks"


async def test_one_exercise_too_easy_moves_only_its_ladder(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))  # Monday's prompt
    await client.press("Done ✅")
    assert client.keys == ["daily.recorded.done", "daily.ask.feel"]
    await client.press("Too easy")
    assert client.labels() == ["Sit-to-stand", "Clamshell", "Seated knee extension",
                               "All of them"]
    await client.press("Clamshell")
    assert client.keys == ["feedback.thanks.too_easy", "checkin.ask.pain"]
    await world.advance(timedelta(days=2))  # Wednesday
    prompt = next(r for r in reversed(client.history) if "daily.session" in r.keys)
    # no band: the clamshell goes straight to the side-lying leg raise
    assert "Clamshell felt too easy, so today it is **Side-lying leg raise**." in prompt.text
    assert "Sit-to-stand" in strength_lines(prompt.text)
    assert "felt too easy" not in prompt.text.replace("Clamshell felt too easy", "")


async def test_a_worse_morning_steps_the_last_sessions_moves_back(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))  # Monday
    for answer in ["Done ✅", "Too easy", "All of them", "3", "No", "No", "No"]:
        await client.press(answer)
    await world.advance(timedelta(days=2))  # Wednesday: one level up
    prompt = next(r for r in reversed(client.history) if "daily.session" in r.keys)
    assert "Sit-to-stand felt too easy, so today it is **Box squat**." in prompt.text
    for answer in ["Done ✅", "About right", "3", "No", "No", "No"]:
        await client.press(answer)
    await world.advance(timedelta(days=1))  # Thursday: worse this morning
    for answer in ["Done ✅", "3", "Yes", "No", "No"]:
        await client.press(answer)
    assert client.keys == ["advice.ease"]
    await world.advance(timedelta(days=1))  # Friday
    prompt = next(r for r in reversed(client.history) if "daily.session" in r.keys)
    assert ("Your knee was worse the morning after Box squat, so today it is "
            "**Sit-to-stand**.") in prompt.text
    assert strength_lines(prompt.text)[0] == "Sit-to-stand"


async def test_the_short_version_is_one_knee_one_hip_one_stretch(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))
    await client.press("Short version")
    (short,) = client.last  # one message: the short session carries the question's buttons
    assert short.keys == ("daily.short", "daily.ask.session")
    assert "Done ✅" in client.labels() and short.joins_pressed
    assert short.text.startswith("**Short version** (week 1): about 14 minutes")
    assert strength_lines(short.text) == ["Sit-to-stand", "Clamshell"]
    assert "- Standing hamstring stretch:" in short.text
    assert "Foam roller" not in short.text
    await client.press("Done ✅")
    await client.press("Too hard")
    assert client.labels() == ["Sit-to-stand", "Clamshell", "All of them"]


async def test_settings_change_equipment_and_minutes_and_rebuild_today(
    client: CoachClient,
) -> None:
    await enrol(client)  # no equipment, 20 minutes
    await client.send("/settings")
    await client.press("Equipment I have")
    assert client.keys == ["settings.ask.has_band"]
    for answer in ["Yes", "No", "Yes"]:
        await client.press(answer)
    assert client.keys == ["equipment.set"]
    assert "plus: a resistance band, a step or stairs" in client.text
    await client.send("/today")
    assert strength_lines(client.text) == ["Sit-to-stand", "Clamshell", "Step-up"]
    await client.send("/settings")
    await client.press("Minutes for strength work")
    await client.send("45")
    assert client.keys == ["equipment.minutes_set"]
    await client.send("/today")
    assert len(strength_lines(client.text)) >= 6
    await client.send("/settings")
    await client.press("Minutes for strength work")
    await client.send("two hours")
    assert client.keys == ["input.hint", "settings.ask.minutes"]


async def test_the_maintenance_choice(client: CoachClient) -> None:
    await enrol(client)
    await client.handle(Press("a:plan:two"))
    assert client.keys == ["review.two_set"]
    assert "Mon, Fri" in client.text
    user = await client.coach.users.find("console", client.user_id)
    assert user is not None
    plan = await client.coach.stores.programme.plan(user.id)
    assert plan is not None and plan.strength_days == [0, 4]
    await client.handle(Press("a:plan:three"))
    assert client.keys == ["review.three_kept"]
    await client.handle(Press("a:plan:nonsense"))
    assert client.keys[0] == "input.stale"


async def test_the_run_distance_must_be_a_number(world: World) -> None:
    client = await world.enrol("r1")
    await client.send("/checkin")
    for answer in ["2", "No", "No", "Yes"]:
        await client.press(answer)
    assert client.keys == ["checkin.ask.km"]
    await client.send("a long way")
    assert client.keys == ["input.hint", "checkin.ask.km"]
    assert "in kilometres" in client.text
    await client.send("about 3 miles")  # a typed distance in miles is converted
    assert client.keys == ["advice.fine"]
    await client.send("/progress")
    assert "Running: 1 run, 5 km in the last 7 days." in client.text

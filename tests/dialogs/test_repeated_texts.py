"""Texts that fit the moment and do not repeat themselves (issue 16, items 12 and 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from tests.support.client import CoachClient, enrol
from tests.support.world import World

# The conversations run on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends

ACCEPTABLE_FULL = "Hold your running where it is rather than adding more"
EASED = "go easier today"


async def checkin(client: CoachClient, pain: int, worse: str = "No") -> None:
    await client.send("/checkin")
    await client.press(str(pain))
    await client.press(worse)  # worse this morning
    await client.press("No")  # swelling
    await client.press("No")  # ran yesterday
    assert client.keys[0].startswith("advice."), client.keys


async def test_the_pain_advice_is_said_in_full_once_a_week_and_briefly_in_between(
    client: CoachClient, clock: FakeClock,
) -> None:
    await enrol(client)
    full: list[bool] = []
    for _ in range(9):
        await checkin(client, 4)
        advice = client.last[0]
        assert advice.keys[0] == "advice.acceptable"  # (a question may follow in its message)
        assert "3-5" in advice.text and "next morning" in advice.text, advice.text
        full.append(ACCEPTABLE_FULL in advice.text)
        clock.advance(timedelta(days=1))
    assert full == [True, False, False, False, False, False, False, True, False]


async def test_another_band_gets_its_own_full_advice(
    client: CoachClient, clock: FakeClock,
) -> None:
    await enrol(client)
    await checkin(client, 4)
    clock.advance(timedelta(days=1))
    await checkin(client, 7)
    assert client.last[0].key == "advice.ease"
    assert "swap a run for cross-training" in client.text  # the whole list, the first time
    clock.advance(timedelta(days=1))
    await checkin(client, 7)
    assert "swap a run for cross-training" not in client.text
    assert "ease off" in client.text.lower() and "5/10" in client.text


async def test_an_evening_checkin_does_not_ask_about_this_morning_as_if_it_were_now(
    client: CoachClient, clock: FakeClock,
) -> None:
    await enrol(client, at="18:30")
    clock.advance(timedelta(hours=12, minutes=30))  # 18:30 in London
    await client.send("/checkin")
    await client.press("3")
    assert client.keys == ["checkin.ask.morning"]
    assert "Is the knee worse this morning" not in client.text
    assert "when you got up this morning" in client.text


async def test_no_eased_note_on_a_stretch_only_day_or_for_pain_before_the_programme(
    world: World,
) -> None:
    client = await world.enrol("r1")  # Monday: strength on Mon, Wed, Fri
    await checkin(client, 7)  # day 1: about yesterday, before the programme began
    world.clock.advance(timedelta(days=1))  # Tuesday: stretching only
    await client.send("/today")
    assert "**Strength**" not in client.text
    assert EASED not in client.text
    await checkin(client, 7)  # about Monday, a programme day
    await client.send("/today")
    assert EASED not in client.text, "no sets to take away on a stretch-only day"
    world.clock.advance(timedelta(days=1))  # Wednesday: strength
    await client.send("/today")
    assert "**Strength**" in client.text
    assert EASED in client.text, "a tough programme day eases the next strength session"


async def test_no_eased_note_in_the_first_strength_session_after_intake_pain(
    world: World,
) -> None:
    client = await world.enrol("r1")
    await checkin(client, 8)  # Monday, day 1: pain from before the programme
    world.clock.advance(timedelta(days=2))  # Wednesday, a strength day
    await client.send("/today")
    assert "**Strength**" in client.text
    assert EASED not in client.text


async def test_help_lists_every_command_people_can_type(client: CoachClient) -> None:
    await client.send("/help")
    for name in client.coach.registry.commands:
        if name != "help":  # the answer to /help itself
            assert f"/{name}" in client.text, name


async def test_a_race_soon_is_mentioned_once_during_enrolment(client: CoachClient) -> None:
    await enrol(client, race="Yes, within 8 weeks")
    mentions = [r.keys for r in client.history
                if "race" in r.text.lower() and r.key != "intake.ask.race"]
    # one message (the offer's, into which the triage's answer is folded) says it, once
    assert len(mentions) == 1 and "safety.race_soon" in mentions[0], mentions
    race = client.coach.books[client.coach.bundle.default_locale].safety_text("race_soon")
    assert sum(r.text.count(race) for r in client.history) == 1
    user = await client.coach.users.find("console", client.user_id)
    assert user is not None
    recorded = await client.coach.stores.programme.recommendation_history(user.id)
    assert [r.key for r in recorded] == ["escalate.race"]  # still on the clinician's page


async def test_the_intake_answers_shape_the_programme(client: CoachClient) -> None:
    """Item 13: which knee, how long and the weekly distance are all used."""
    await enrol(client)  # left knee, 2 to 6 weeks, about 25 km
    start = next(r for r in client.history if r.key == "running.start.hold")
    assert "about 25 km a week" in start.text
    assert "started recently" in start.text  # 2 to 6 weeks
    await client.send("/exercise split squat")
    assert "your left knee" in client.text

"""No path around a referral on the programme's own paths: the short version, the feedback
question, the function check, /settings changes that rebuild a session, /resume and the
end-of-block maintenance offer all wait while the knee is held for a clinician; and the
mild-case rule holds at the end-of-block review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.events import Press
from bot.engine.coach import Coach
from bot.engine.features.programme import Programme
from bot.engine.features.programme.checkins import Checkins
from bot.engine.session import Session
from tests.dialogs.test_safety_net import checkins
from tests.support.client import RUNNERS_KNEE, CoachClient, enrol
from tests.support.world import World

# The conversations run on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends


async def user_session(client: CoachClient) -> Session:
    coach = client.coach
    user = await coach.users.find(client.platform, client.user_id)
    assert user is not None
    return coach.session(user, await coach.users.dialog_state(user.id))


async def hold(client: CoachClient) -> None:
    """A hold for a clinician that arrives while a question is open (as the swelling
    check-in's does): the dialog under way is not ended by it."""
    session = await user_session(client)
    await client.coach.users.add_safety_event(
        session.user.id, "see_clinician", ["swelling"], "test", session.now)


def programme(coach: Coach) -> Programme:
    return next(f for f in coach.features if isinstance(f, Programme))


async def levels(client: CoachClient) -> dict[str, str]:
    session = await user_session(client)
    return dict(await programme(client.coach).progression.store.levels(session.user.id))


async def test_the_short_version_waits_while_held(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))  # Monday's prompt
    await hold(client)
    await client.press("Short version")
    assert client.keys == ["safety.hold"]


async def test_no_feedback_question_and_no_level_move_while_held(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))
    await hold(client)
    await client.press("Done ✅")
    assert "daily.ask.feel" not in client.keys, client.keys
    assert client.keys[0] == "daily.recorded.done"


async def test_feedback_given_after_a_hold_moves_no_level(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))
    await client.press("Done ✅")
    assert client.keys[-1] == "daily.ask.feel"
    before = await levels(client)
    await hold(client)
    await client.press("Too easy")
    await client.press("All of them")
    assert client.keys[0] == "safety.hold", client.keys
    assert "feedback.thanks.too_easy" not in client.keys
    assert await levels(client) == before


async def test_the_function_check_at_the_start_ends_without_a_session_when_held(
    client: CoachClient,
) -> None:
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("skip")
    for label in [*RUNNERS_KNEE, "No race planned", "Yes, let's start"]:
        await client.press(label)
    await client.send("07:30")
    await client.send("London")
    for label in ["Mon, Wed, Fri", "No", "No", "No", "About 20 minutes"]:
        await client.press(label)
    assert client.keys[-1] == "function.ask.stairs"
    await hold(client)
    for _ in range(5):
        await client.press("Some difficulty")
    assert client.keys[0] == "function.baseline"
    assert "today.session" not in client.keys
    assert client.keys[-1] == "safety.hold", client.keys


async def test_settings_changes_are_saved_but_build_no_session_while_held(
    client: CoachClient,
) -> None:
    await enrol(client)
    await client.send("my knee gives way on the stairs now")
    assert client.keys[0] == "safety.see_clinician"
    await client.send("/settings")
    await client.press("Equipment I have")
    for answer in ["Yes", "No", "Yes"]:
        await client.press(answer)
    assert client.keys == ["safety.hold", "held.equipment_saved"], client.keys
    assert "a resistance band, a step or stairs" in client.text
    await client.send("/settings")
    await client.press("Minutes for strength work")
    await client.send("half an hour")
    assert client.keys == ["safety.hold", "held.minutes_saved"], client.keys
    assert "about 30 minutes" in client.text
    await client.send("/today")
    assert client.keys == ["safety.hold"]
    await client.send("/resume")
    assert client.keys == ["safety.hold"]
    await client.press("A clinician has checked it")
    await client.send("/today")
    session = client.last[-1]
    assert session.key == "today.session"
    # the saved minutes count once cleared: 30 minutes hold more strength work than 20
    assert "**Strength**, hip and knee: about 17 minutes" not in session.text


async def test_the_maintenance_offer_and_its_buttons_wait_while_held(
    client: CoachClient,
) -> None:
    await enrol(client)
    await client.send("my knee gives way on the stairs now")
    await client.handle(Press("a:plan:two"))
    assert client.keys == ["safety.hold"]
    session = await user_session(client)
    feature = programme(client.coach)
    plan = await feature.settings.store.plan(session.user.id)
    assert plan is not None
    # six weeks of pain that came down from 6 to 2: it worked, but the knee is held
    for i, pain in enumerate([6, 6, 6] + [2] * 39):
        await feature.settings.store.record_checkin(
            session.user.id, plan.started_on + timedelta(days=i), pain, False, False,
            session.now)
    today = plan.started_on + timedelta(days=42)
    await feature.review.end_of_block(session, plan, today)
    keys = [r.key for r in session.replies]
    assert "review.summary" in keys and "safety.hold" in keys
    assert "review.maintenance" not in keys


# ---------------------------------------------------------------------------- mild cases


async def test_a_mild_knee_is_not_firmly_referred_at_six_weeks(client: CoachClient) -> None:
    await enrol(client)
    session = await user_session(client)
    today = date(2026, 4, 13)
    mild = checkins([1, 2, 1] + [1] * 39, date(2026, 3, 2))
    sore = checkins([5] * 42, date(2026, 3, 2))
    assert not Checkins.nothing_improved(session, mild, {6: 0}, today)  # "same", 0-2
    assert Checkins.nothing_improved(session, sore, {6: 0}, today)
    assert not Checkins.nothing_improved(session, sore, {6: 2}, today)  # rated "better"


async def test_the_week_six_review_of_a_mild_knee_offers_maintenance(
    client: CoachClient,
) -> None:
    await enrol(client)
    session = await user_session(client)
    feature = programme(client.coach)
    plan = await feature.settings.store.plan(session.user.id)
    assert plan is not None
    for i, pain in enumerate([2, 1, 2] + [2] * 39):
        await feature.settings.store.record_checkin(
            session.user.id, plan.started_on + timedelta(days=i), pain, False, False,
            session.now)
    await feature.review.end_of_block(session, plan, plan.started_on + timedelta(days=42))
    keys = [r.key for r in session.replies]
    assert "review.maintenance" in keys and "escalate.week6" not in keys, keys
    summary = next(r for r in session.replies if r.key == "review.summary")
    assert "safe band (worst 2/10 lately)" in summary.text

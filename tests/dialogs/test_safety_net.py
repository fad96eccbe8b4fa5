"""The safety net as a runner meets it: other languages, who may have the programme, and
escalation that fits mild cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.records import Checkin
from bot.engine.coach import Coach
from bot.engine.features.programme.checkins import Checkins
from tests.support.client import CoachClient, enrol
from tests.support.world import World

# The conversations run on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends

# ---------------------------------------------------------------------------- other languages


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Tengo la rodilla muy hinchada y fiebre, no puedo apoyar el pie", "urgencias"),
        ("Mein Knie ist blockiert und ich kann es nicht strecken", "Notaufnahme"),
        ("J'ai de la fièvre et le genou est tout rouge et gonflé", "urgences"),
        ("Ho la febbre e il ginocchio gonfio, non riesco a camminare", "pronto soccorso"),
        ("Estou com febre e o joelho está inchado e quente", "pronto-socorro"),
    ],
)
async def test_an_urgent_message_in_another_language_gets_help_in_that_language(
    client: CoachClient, text: str, words: str
) -> None:
    await client.send(text)
    assert client.keys[:2] == ["language.urgent", "safety.urgent"], client.keys
    assert words in client.last[0].text
    assert "input.hint" not in client.keys and "idle.text" not in client.keys


async def test_a_message_in_another_language_is_never_answered_with_didnt_catch_that(
    client: CoachClient,
) -> None:
    await client.send("/start")
    await client.press("I agree")
    await client.send("hola, me duele la rodilla cuando corro por la montaña")
    assert client.keys == ["language.english_only", "intake.ask.age"], client.keys
    assert "solo entiendo inglés" in client.last[0].text
    await client.send("Мое колено болит")
    assert client.keys == ["language.english_only", "intake.ask.age"]
    assert "English only" in client.last[0].text


async def test_an_urgent_message_in_another_language_stops_the_questions(
    client: CoachClient,
) -> None:
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("Se me ha hinchado la pantorrilla y está caliente, y me falta el aire")
    assert client.keys[:2] == ["language.urgent", "safety.urgent"]
    assert "safety.dialog_stopped" in client.keys
    await client.send("/today")
    assert client.keys == ["safety.hold"]


# ---------------------------------------------------------------------------- who may have it


async def test_no_consent_no_session(client: CoachClient) -> None:
    await client.send("/today")
    assert client.keys == ["programme.needs_start"]
    await client.send("/start")
    await client.press("No thanks")
    await client.send("/today")
    assert client.keys == ["programme.needs_start"]


async def test_under_13_is_erased_and_gets_no_session(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    await client.send("11")
    assert client.keys[0] == "safety.age_under13"
    await client.send("/today")
    assert client.keys == ["programme.needs_start"]


async def test_other_likely_and_unclear_get_no_session(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("Sharp pain on the outside of my knee above the joint, worse downhill")
    for typed in ["outer", "left", "3 weeks", "no", "yes", "no", "no", "no", "no", "no", "no",
                  "no", "30", "none"]:
        await client.send(typed)
    assert "safety.other_likely" in client.keys
    await client.send("/today")
    assert client.keys == ["gate.not_offered"]
    assert "may not be runner's knee" in client.last[0].text
    await client.send("/exercise clamshell")
    assert client.keys == ["exercise.clamshell", "exercise.clamshell.details"]  # not a hold


async def test_a_red_flag_mid_programme_holds_the_daily_prompt(world: World) -> None:
    client = await world.enrol("r1")
    await client.send("my knee gives way on the stairs now")
    assert client.keys[0] == "safety.see_clinician"
    before = len(world.platform.to("r1"))
    await world.advance(timedelta(days=2))
    assert len(world.platform.to("r1")) == before  # no daily prompt while held
    await client.send("/exercise clamshell")
    assert client.keys == ["safety.hold"]
    await client.press("A clinician has checked it")
    await client.send("/exercise clamshell")
    assert client.keys == ["exercise.clamshell", "exercise.clamshell.details"]


async def test_an_intake_redone_to_another_cause_stops_the_daily_prompt(
    world: World, coach: Coach
) -> None:
    client = await world.enrol("r2")
    await client.send("/start")
    await client.press("Yes, ask them again")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("skip")
    for typed in ["outer", "left", "3 weeks", "no", "yes", "no", "no", "no", "no", "no", "no",
                  "no", "30", "none"]:
        await client.send(typed)
    assert "safety.other_likely" in client.keys
    user = await coach.users.find("console", "r2")
    assert user is not None
    session = coach.session(user, await coach.users.dialog_state(user.id))
    composer = coach.registry.person_reminders["daily"]
    assert await composer(session, date(2026, 3, 3)) is False


# ---------------------------------------------------------------------------- escalation


def checkins(pains: list[int], start: date) -> list[Checkin]:
    return [Checkin(start + timedelta(days=i), p, False, False) for i, p in enumerate(pains)]


async def test_mild_and_better_is_not_told_it_is_not_improving(
    client: CoachClient, clock: FakeClock
) -> None:
    await enrol(client)
    user = await client.coach.users.find("console", client.user_id)
    assert user is not None
    session = client.coach.session(user, await client.coach.users.dialog_state(user.id))
    today = date(2026, 3, 23)
    mild = checkins([1, 2, 1] + [1] * 18, date(2026, 3, 2))
    assert Checkins.not_improving(session, mild, {3: 2}, today) == []  # 0-2 and "better"
    same = Checkins.not_improving(session, mild, {3: 0}, today)
    assert len(same) == 1 and "same" in same[0].lower()  # the rating still counts
    sore = checkins([5, 5, 5] + [5] * 18, date(2026, 3, 2))
    assert len(Checkins.not_improving(session, sore, {3: 2}, today)) == 1  # pain 5 stays

"""Old buttons and repeated taps (issue 16, item 9), and a "No thanks" from someone who
agreed long ago."""

from __future__ import annotations

from bot.domain.events import Press
from tests.dialogs.test_intake import PFP_ANSWERS, consent_and_age
from tests.support.client import CoachClient, enrol


async def test_a_double_tap_on_i_agree_is_answered_once(client: CoachClient) -> None:
    await client.send("/start")
    agree = client.button("I agree")
    first = await client.handle(Press(agree))
    assert [r.key for r in first] == ["intake.ask.age"]
    second = await client.handle(Press(agree))  # the same button again, at once
    assert second == [], [r.key for r in second]
    await client.press("18 or over")  # the conversation carries on from the age question
    assert client.keys == ["intake.ask.story"]


async def test_an_old_button_pressed_later_is_still_stale(client: CoachClient) -> None:
    await client.send("/start")
    agree = client.button("I agree")
    await client.press("I agree")
    await client.press("18 or over")
    await client.handle(Press(agree))  # not the last answer: say it has moved on
    assert client.keys == ["input.stale", "intake.ask.story"]


async def test_start_mid_intake_retires_the_old_copy_of_the_question(
    client: CoachClient,
) -> None:
    await consent_and_age(client)
    await client.send("skip")
    await client.press("Behind or around the kneecap")
    old_left = client.button("Left")
    await client.send("/start")
    assert client.keys == ["start.resume", "intake.ask.side"]
    new_left = client.button("Left")
    assert new_left != old_left
    await client.handle(Press(old_left))
    assert client.keys == ["input.stale", "intake.ask.side"]
    await client.handle(Press(new_left))
    assert client.keys == ["intake.ask.duration"]


async def test_no_thanks_from_someone_who_agreed_before_keeps_their_answers_and_says_so(
    client: CoachClient,
) -> None:
    await consent_and_age(client)
    await client.send("skip")
    for label, _ in PFP_ANSWERS:
        await client.press(label)
    await client.press("Not now")  # answers stored, no programme
    await client.send("/start")
    assert client.keys == ["start.welcome", "intake.ask.consent"]
    await client.press("No thanks")
    assert client.keys == ["intake.end.declined_kept"]
    assert "not stored" not in client.text
    assert "/forget" in client.text
    user = await client.coach.users.find("console", client.user_id)
    assert user is not None and user.consent_at is not None
    assert (await client.coach.users.answers(user.id)).get("side") == "left"


async def test_no_thanks_mid_programme_keeps_the_programme_and_says_so(
    client: CoachClient,
) -> None:
    await enrol(client)
    await client.send("/start")
    await client.press("Yes, ask them again")
    await client.press("No thanks")
    assert client.keys == ["intake.end.declined_kept"]
    await client.send("/today")
    assert client.keys == ["today.session"]

"""The intake, as a runner goes through it: buttons, typing, /back, /cancel, resuming."""

from __future__ import annotations

from pathlib import Path

from bot.domain.clock import FakeClock
from tests.support.client import CoachClient
from tests.support.content import open_test_coach

PFP_ANSWERS = [
    ("Behind or around the kneecap", "location"),
    ("Left", "side"),
    ("2 to 6 weeks", "duration"),
    ("Yes", "stairs_down"),
    ("Yes", "downhill"),
    ("Yes", "squat_sit"),
    ("No", "swelling"),
    ("No", "mechanical"),
    ("No", "injury"),
    ("No", "surgery"),
    ("No", "night_pain"),
    ("No", "hot_red"),
    ("about 25", "weekly_km"),
    ("No race planned", "race"),
]


async def consent_and_age(client: CoachClient, age: str = "18 or over") -> None:
    await client.send("/start")
    assert client.keys == ["start.welcome", "intake.ask.consent"]
    await client.press("I agree")
    assert client.keys == ["intake.ask.age"]
    await client.press(age)


async def test_runners_knee_by_buttons_reaches_the_programme_offer(client: CoachClient) -> None:
    await consent_and_age(client)
    assert client.keys == ["intake.ask.story"]
    await client.send("skip")
    for label, step in PFP_ANSWERS:
        assert client.last[-1].key == f"intake.ask.{step}", (step, client.keys)
        await client.press(label)
    assert client.keys == ["safety.pfp_program", "intake.ask.offer"]
    assert "not a diagnosis" in client.last[0].text.lower()


async def test_every_question_accepts_typed_answers(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("skip")
    typed = [
        "knee cap",
        "left",
        "3 weeks",
        "y",
        "yep",
        "yeah",
        "nope",
        "n",
        "no",
        "No",
        "nah",
        "no",
        "25",
        "none",
    ]
    for answer in typed:
        await client.send(answer)
        assert client.keys[0] != "input.hint", (answer, client.text)
    assert client.keys == ["safety.pfp_program", "intake.ask.offer"]


async def test_numbers_in_words_and_fractions(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("skip")
    for label, _ in PFP_ANSWERS[:12]:
        await client.press(label)
    assert client.keys == ["intake.ask.weekly_km"]
    await client.send("seven")
    assert client.keys == ["intake.ask.race"]
    await client.send("/back")
    await client.send("7/10")
    assert client.keys == ["intake.ask.race"]
    await client.send("/back")
    await client.send("400")  # over the 300 km a week the question allows
    assert client.keys == ["input.hint", "intake.ask.weekly_km"]


async def test_wrong_answer_gets_a_hint_and_the_same_question(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("skip")
    await client.send("banana")
    assert client.keys == ["input.hint", "intake.ask.location"]
    await client.send("left")  # "left" is not a location answer
    assert client.keys == ["input.hint", "intake.ask.location"]


async def test_back_goes_one_question_back_and_cancel_leaves(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("skip")
    await client.press("Behind or around the kneecap")
    assert client.keys == ["intake.ask.side"]
    await client.send("/back")
    assert client.keys == ["intake.ask.location"]
    await client.press("Just below the kneecap")
    assert client.keys == ["intake.ask.side"]
    await client.send("/cancel")
    assert client.keys == ["cancel.done"]
    await client.send("left")
    assert client.keys == ["idle.text"]


async def test_story_prefills_answers_that_the_runner_confirms(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("It aches behind my kneecap, worst going down stairs and running downhill.")
    assert client.keys == ["intake.prefill_note", "intake.ask.location"]
    assert "✓ Behind or around the kneecap" in client.labels()
    await client.press("Behind or around the kneecap")
    await client.press("Right")
    await client.press("Over 3 months")
    assert client.keys == ["intake.ask.stairs_down"]
    assert "✓ Yes" in client.labels()


async def test_stale_button_changes_nothing(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("skip")
    old = client.button("Behind or around the kneecap")
    await client.press("Behind or around the kneecap")
    assert client.keys == ["intake.ask.side"]
    from bot.domain.events import Press

    await client.handle(Press(old))
    assert client.keys == []  # the answer just given, tapped again: nothing happens
    await client.handle(Press(old.replace(":kneecap", ":outer")))
    assert client.keys == ["input.stale", "intake.ask.side"]
    await client.handle(Press("d:intake:side:99999:left"))
    assert client.keys == ["input.stale", "intake.ask.side"]


async def test_double_tap_applies_once(client: CoachClient) -> None:
    import asyncio

    from bot.domain.events import Press

    await consent_and_age(client)
    await client.send("skip")
    data = client.button("Behind or around the kneecap")
    first, second = await asyncio.gather(
        client.coach.handle(client.ref, Press(data)), client.coach.handle(client.ref, Press(data))
    )
    # the second tap is a no-op: no "moved on", no second copy of the next question
    assert sorted([[r.key for r in first], [r.key for r in second]]) == [
        [], ["intake.ask.side"]]


async def test_restart_in_the_middle_resumes_at_the_same_question(
    db_path: Path, clock: FakeClock
) -> None:
    coach = await open_test_coach(db_path, clock=clock)
    client = CoachClient(coach)
    await consent_and_age(client)
    await client.send("skip")
    await client.press("Behind or around the kneecap")
    await coach.close()

    coach = await open_test_coach(db_path, clock=clock)
    try:
        client = CoachClient(coach)
        await client.send("/start")
        assert client.keys == ["start.resume", "intake.ask.side"]
        await client.press("Both")
        assert client.keys == ["intake.ask.duration"]
    finally:
        await coach.close()


async def test_start_again_before_agreeing_begins_afresh_with_the_welcome(
    client: CoachClient,
) -> None:
    await client.send("/start")
    assert client.keys == ["start.welcome", "intake.ask.consent"]
    old_question = client.button("I agree")
    await client.send("/start")  # the first welcome may never have reached them
    assert client.keys == ["start.welcome", "intake.ask.consent"]
    assert client.button("I agree") != old_question  # a fresh question
    await client.press("I agree")
    await client.send("/start")  # once agreed, /start carries on
    assert client.keys == ["start.resume", "intake.ask.age"]


async def test_declining_consent_stores_no_answers(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("No thanks")
    assert client.keys == ["intake.end.declined"]
    exported = await client.coach.users.export(
        (await client.coach.users.find("console", client.user_id)).id  # type: ignore[union-attr]
    )
    assert exported["profiles"] == []
    assert exported["users"][0]["consent_at"] is None


async def exported(client: CoachClient) -> dict[str, list[dict[str, object]]]:
    user = await client.coach.users.find("console", client.user_id)
    assert user is not None
    return await client.coach.users.export(user.id)


async def test_no_after_agreeing_takes_the_consent_back(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    assert (await exported(client))["users"][0]["consent_at"] is not None
    await client.send("/back")
    assert client.keys == ["intake.ask.consent"]
    await client.press("No thanks")
    assert client.keys == ["intake.end.declined"]
    assert "not stored" in client.text
    assert (await exported(client))["users"][0]["consent_at"] is None


async def test_no_after_the_whole_intake_leaves_the_person_as_new(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("skip")
    for label, _ in PFP_ANSWERS:
        await client.press(label)
    assert client.keys == ["safety.pfp_program", "intake.ask.offer"]
    await client.send("my knee keeps giving way")  # a red flag, kept under the consent
    stored = await exported(client)
    for table in ("profiles", "triage_results", "safety_events"):
        assert stored[table], table
    assert stored["users"][0]["age_band"] == "adult"
    for _ in range(len(PFP_ANSWERS) + 3):
        if client.keys[-1] == "intake.ask.consent":
            break
        await client.send("/back")
    assert client.keys == ["intake.ask.consent"]
    await client.press("No thanks")
    assert client.keys == ["intake.end.declined"]
    after = await exported(client)
    assert after["users"][0]["consent_at"] is None
    assert after["users"][0]["age_band"] is None
    for table in ("profiles", "triage_results", "safety_events"):
        assert after[table] == [], table
    await client.send("/start")
    assert client.keys == ["start.welcome", "intake.ask.consent"]


async def test_under_13_is_a_kind_stop_and_nothing_is_kept(client: CoachClient) -> None:
    await consent_and_age(client, age="Under 13")
    assert client.keys == ["safety.age_under13"]
    assert "parent" in client.text.lower()
    assert await client.coach.users.find("console", client.user_id) is None


async def test_teenagers_get_the_adolescent_path(client: CoachClient) -> None:
    await consent_and_age(client, age="13 to 17")
    assert client.keys == ["intake.say.teen_note", "intake.ask.story"]
    assert "parent" in client.last[0].text.lower() or "coach" in client.last[0].text.lower()


async def test_red_flag_in_the_story_is_answered_at_once(client: CoachClient) -> None:
    await consent_and_age(client)
    await client.send("I heard a pop when I twisted it and it swelled up straight away")
    assert client.keys[0] == "safety.urgent"
    assert "not a diagnosis" in client.last[0].text.lower()
    assert client.keys[-1] == "safety.dialog_stopped"
    await client.send("no")
    assert client.keys == ["idle.text"]


async def test_a_pressed_answer_names_the_choice_for_the_adapter(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    assert client.last[0].chosen == "I agree"
    await client.send("13 to 17")  # typed: nothing to edit
    assert all(r.chosen is None for r in client.last)

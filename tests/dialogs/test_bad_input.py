"""Bad input gets a kind reply and changes nothing it should not; never a traceback."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.events import Command, Document, Press, Text
from tests.support.client import CoachClient

NASTY = [
    "",
    "   \n\t ",
    "x" * 10_000,
    "🦵🏃‍♀️🔥" * 50,
    "مرحبا، ركبتي تؤلمني",  # right-to-left
    "\u202eevil\u202c text",
    "\x00\x01\x02\x1b[31m",
    "'; DROP TABLE users; --",
    "Robert'); DELETE FROM profiles WHERE ('1'='1",
    "/definitely-not-a-command",
    "/",
]


async def _at_location(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("skip")
    assert client.keys == ["intake.ask.location"]


async def test_nasty_text_in_the_middle_of_a_question(client: CoachClient) -> None:
    await _at_location(client)
    for text in NASTY:
        replies = await client.type(text)
        assert replies, repr(text[:20])
        assert all(r.text.strip() for r in replies)
        assert "Traceback" not in client.text
        # still on the same question, nothing answered
        state = await client.coach.users.dialog_state(
            (await client.coach.users.find("console", client.user_id)).id  # type: ignore[union-attr]
        )
        assert (state.dialog, state.step) == ("intake", "location"), repr(text[:20])
    # and the tables are all still there
    assert "users" in await client.coach.stores.db.tables()


async def test_nasty_text_outside_any_dialog(client: CoachClient) -> None:
    for text in NASTY:
        replies = await client.type(text)
        assert replies and all(r.text.strip() for r in replies), repr(text[:20])


async def test_unknown_command_is_explained(client: CoachClient) -> None:
    await client.send("/frobnicate")
    assert client.keys == ["command.unknown"]
    await _at_location(client)
    await client.send("/frobnicate")
    assert client.keys == ["command.unknown", "intake.ask.location"]


async def test_unknown_exercise_and_topic_offer_menus(client: CoachClient) -> None:
    await client.send("/exercise moonwalk")
    assert client.keys == ["menus.exercises_unknown"]
    await client.press("Clamshell")
    assert client.keys == ["exercise.clamshell", "exercise.clamshell.details"]
    await client.send("/exercise clams")
    assert client.keys == ["exercise.clamshell", "exercise.clamshell.details"]
    await client.send("/learn")
    assert client.keys == ["menus.topics"]
    await client.send("/learn flat feet")
    assert client.keys == ["learn.shoes"]


async def test_export_is_valid_json(client: CoachClient) -> None:
    await client.send("/export")
    (reply,) = client.last
    assert isinstance(reply.attachment, Document)
    assert json.loads(reply.attachment.data)["users"][0]["platform"] == "console"


async def test_garbage_button_data_is_stale(client: CoachClient) -> None:
    for data in [
        "",
        "x",
        "d:",
        "d:intake:consent:1",
        "a:ex:nope",
        "a:",
        "a:zzz:1",
        "d:intake:consent:abc:yes",
        "d:nope:nope:1:x",
    ]:
        replies = await client.handle(Press(data))
        assert replies[0].key == "input.stale", data


LAST_ANSWERED: dict[int, str] = {}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.one_of(
            st.builds(Text, st.text(max_size=300)),
            st.builds(Press, st.text(max_size=70)),
            st.builds(
                Command,
                st.sampled_from(
                    [
                        "start",
                        "help",
                        "back",
                        "cancel",
                        "today",
                        "learn",
                        "exercise",
                        "checkin",
                        "settings",
                        "progress",
                        "stop",
                        "resume",
                        "export",
                        "xyz",
                    ]
                ),
                st.text(max_size=30),
            ),
            st.sampled_from(["press-first", "press-last"]),
        ),
        max_size=25,
    )
)
async def test_any_input_in_any_state_gets_a_reply_and_valid_state(
    client: CoachClient, steps: list[object]
) -> None:
    # The dialog button answered last. Hypothesis runs every example on the same client (the
    # fixture is the function's), so it carries over from the examples before.
    answered = LAST_ANSWERED.get(id(client))
    for step in steps:
        if isinstance(step, str):
            labels = [b for r in client.history[-4:] for row in r.buttons for b in row]
            if not labels:
                continue
            button = labels[0] if step == "press-first" else labels[-1]
            inbound: Text | Press | Command = Press(button.data)
        else:
            inbound = step  # type: ignore[assignment]
        replies = await client.handle(inbound)
        if isinstance(inbound, Press) and inbound.data.startswith("d:"):
            if not replies:  # only the button just answered, tapped again, gets no reply
                assert inbound.data == answered, inbound
                continue
            if replies[0].key != "input.stale":
                answered = LAST_ANSWERED[id(client)] = inbound.data
        assert replies, inbound
        assert all(r.key and r.text.strip() for r in replies)
        assert all(r.key != "error.internal" for r in replies), inbound
        user = await client.coach.users.find("console", client.user_id)
        if user is None:  # erased (under 13 or /forget): a clean slate
            continue
        state = await client.coach.users.dialog_state(user.id)
        if state.dialog is not None:
            dialog = client.coach.bundle.content().dialogs[state.dialog]
            assert state.step in dialog.steps
            assert dialog.steps[state.step].kind not in {"action", "end", "say"}

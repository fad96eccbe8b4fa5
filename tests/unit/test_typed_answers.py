"""Natural answers: a typed number means its value wherever the question asks for one, words
around it are fine, and "not sure" or "it isn't swollen" are understood."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.console import ConsoleChat
from bot.domain.events import Button, ConversationRef, Press, Reply, Text
from bot.engine.parsing import UNSURE, Vocabulary
from tests.support.client import RUNNERS_KNEE, CoachClient
from tests.support.content import shipped_texts
from tests.support.world import World


def vocabulary() -> Vocabulary:
    return Vocabulary.from_mapping(shipped_texts().parsing)


VOCAB = vocabulary()


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("28", None, 28), ("20 km", "km", 20), ("about 20 a week", "km", 20),
        ("20km", "km", 20), ("12 miles", "km", 19), ("fifteen", None, 15), ("3", "km", 3),
        ("7/10", None, 7), ("7 out of 10", None, 7), ("2 - no swelling", None, 2),
        ("2, no swelling", None, 2), ("none", "km", 0), ("I'm 28", "years", 28),
    ],
)
def test_numbers_with_words_around_them(text: str, unit: str | None, value: int) -> None:
    assert VOCAB.number(text, 0, 300, unit) == value


@pytest.mark.parametrize(
    ("text", "weeks"),
    [("5 weeks", 5), ("a month", 4.35), ("10 days", 1.43), ("three months", 13.05),
     ("a year", 52), ("a few weeks", 3), ("6 wks", 6)],
)
def test_durations(text: str, weeks: float) -> None:
    assert VOCAB.quantity(text, "weeks", need_unit=True) == pytest.approx(weeks, abs=0.01)


def test_a_duration_needs_its_unit() -> None:
    assert VOCAB.quantity("5", "weeks", need_unit=True) is None


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", "yes"), ("nope", "no"), ("it isn't swollen", "no"), ("it doesn't", "no"),
        ("never", "no"), ("not sure", UNSURE), ("dunno", UNSURE), ("I'm not sure", UNSURE),
        ("don't know", UNSURE), ("yes it swells a bit", "yes"), ("banana", None),
    ],
)
def test_yes_no_and_not_sure(text: str, answer: str | None) -> None:
    assert VOCAB.yes_no(text) == answer


@settings(max_examples=200, deadline=None)
@given(
    value=st.integers(min_value=0, max_value=300),
    before=st.sampled_from(["", "about ", "around ", "roughly ", "~", "I run "]),
    after=st.sampled_from(["", " km", "km", " k", " a week", " km a week", " per week", "  "]),
)
def test_any_typed_distance_is_its_value(value: int, before: str, after: str) -> None:
    assert VOCAB.number(f"{before}{value}{after}", 0, 300, "km") == value


@settings(max_examples=200, deadline=None)
@given(value=st.integers(min_value=0, max_value=10),
       rest=st.sampled_from(["", "/10", " out of 10", " - no swelling", ", fine", " today"]))
def test_any_typed_pain_score_is_its_value(value: int, rest: str) -> None:
    assert VOCAB.number(f"{value}{rest}", 0, 10) == value


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_an_answer_in_range_or_none(text: str) -> None:
    value = VOCAB.number(text, 0, 10)
    assert value is None or 0 <= value <= 10
    assert VOCAB.yes_no(text) in {None, "yes", "no", UNSURE}
    amount = VOCAB.quantity(text, "weeks", need_unit=True)
    assert amount is None or amount >= 0


# ---------------------------------------------------------------------------- in the intake


async def to_age(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    assert client.last[-1].asks == "value"  # the age question takes a number as its value


@pytest.mark.parametrize(("typed", "band"), [("28", "adult"), ("12", "u13"), ("15", "teen"),
                                            ("2", "hint"), ("fifteen", "teen"),
                                            ("I'm 34", "adult")])
async def test_a_typed_age_is_years_never_a_button(
    client: CoachClient, typed: str, band: str
) -> None:
    await to_age(client)
    await client.send(typed)
    expected = {"adult": "intake.ask.story", "teen": "intake.say.teen_note",
                "u13": "safety.age_under13", "hint": "input.hint"}[band]
    assert client.keys[0] == expected, client.keys


async def test_typed_answers_through_the_intake(client: CoachClient) -> None:
    await to_age(client)
    await client.send("28")
    await client.send("skip")
    for typed, step in [("kneecap", "side"), ("left", "duration"), ("5 weeks", "stairs_down"),
                        ("yes", "downhill"), ("yep", "squat_sit"), ("yes", "swelling"),
                        ("it isn't swollen", "mechanical"), ("never", "injury"),
                        ("no", "surgery"), ("no", "night_pain"), ("no", "hot_red"),
                        ("nope", "weekly_km"), ("3", "race")]:
        replies = await client.send(typed)
        assert replies[-1].key == f"intake.ask.{step}", (typed, client.keys)
        assert replies[0].typed_answer, (typed, replies[0])
    answers = client.coach.triage["en"]  # the rules, for the label check below
    assert answers is not None
    await client.send("none")
    assert client.keys == ["safety.pfp_program", "intake.ask.offer"], client.keys


async def test_not_sure_about_swelling_is_a_reason_to_check(client: CoachClient) -> None:
    await to_age(client)
    await client.send("28")
    await client.send("skip")
    for typed in ["kneecap", "left", "3 weeks", "yes", "yes", "yes", "not sure", "no", "no",
                  "no", "no", "no", "20 km", "none"]:
        await client.send(typed)
    assert client.keys[0] == "safety.see_clinician", client.keys
    assert "not sure about one of the warning signs" in client.last[0].text


# ---------------------------------------------------------------------------- the terminal


class _Quiet:
    async def handle(self, ref: ConversationRef, inbound: object) -> list[Reply]:
        return []


def console() -> ConsoleChat:
    import io

    return ConsoleChat(_Quiet(), ConversationRef("console", "u", "c"), io.StringIO())  # type: ignore[arg-type]


def test_the_terminal_maps_a_number_to_a_button_only_without_a_numeric_meaning() -> None:
    chat = console()
    row = (Button("Left", "d:intake:side:1:left"), Button("Right", "d:intake:side:1:right"))
    chat.show([Reply("intake.ask.side", "Which knee?", buttons=(row,), asks="choice")])
    assert chat.inbound_for("2") == Press("d:intake:side:1:right")
    km = tuple(Button(str(n), f"d:intake:weekly_km:2:{n}") for n in (0, 10, 25))
    chat.show([Reply("intake.ask.weekly_km", "How far?", buttons=(km,), asks="value")])
    assert chat.inbound_for("3") == Text("3")
    assert chat.inbound_for("10") == Press("d:intake:weekly_km:2:10")  # a label still presses


# ---------------------------------------------------------------------------- the programme


@pytest.mark.parametrize(("text", "minutes"), [("half an hour", 30), ("25 mins", 25),
                                               ("20 minutes", 20), ("an hour", 60),
                                               ("about 15", 15)])
def test_typed_minutes(text: str, minutes: int) -> None:
    assert VOCAB.number(text, 5, 90, "minutes") == minutes


async def test_typed_answers_through_the_programmes_questions(world: World) -> None:
    client = world.client("typist")
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("skip")
    for label in [*RUNNERS_KNEE, "No race planned", "Yes, let's start"]:
        await client.press(label)
    for typed in ["07:30", "London", "mon wed fri"]:
        await client.send(typed)
    # equipment yes/no, then the minutes: typed, each drops its question's buttons
    for typed, step in [("yep", "has_weights"), ("no I don't", "has_step"),
                        ("nope", "minutes")]:
        replies = await client.send(typed)
        assert replies[-1].key == f"intake.ask.{step}", (typed, client.keys)
        assert replies[0].typed_answer in {"Yes", "No"}, replies[0]
    assert client.last[-1].asks == "value"
    replies = await client.send("half an hour")
    assert replies[0].keys[0] == "programme.started" and replies[0].typed_answer == "30"
    # the function check: 0-4 typed as numbers or words, never a button's position
    assert client.last[-1].key == "function.ask.stairs"
    assert client.last[-1].asks == "value"
    for typed, label in [("3", "Slight difficulty"), ("a bit", "Slight difficulty"),
                         ("0", "Can't, or severe difficulty"), ("no problem", "No difficulty")]:
        replies = await client.send(typed)
        assert replies[0].typed_answer == label, (typed, replies[0])
    await client.send("some")
    assert client.keys[0] == "function.baseline"
    assert "12/20" in client.last[0].text  # 3 + 3 + 0 + 4 + 2
    # the daily prompt, then how it felt and which exercise, typed
    await world.advance(timedelta(hours=2))
    await client.send("done")
    assert client.keys[-1] == "daily.ask.feel"
    replies = await client.send("too easy")
    assert replies[0].typed_answer == "Too easy" and client.keys == ["daily.ask.which"]
    replies = await client.send("the clamshells")
    assert replies[0].typed_answer == "Clamshell", replies[0]
    assert client.keys == ["feedback.thanks.too_easy", "checkin.ask.pain"]
    for typed in ["2", "no", "no", "yes"]:
        await client.send(typed)
    assert client.keys == ["checkin.ask.km"]
    await client.send("5k")
    assert client.keys[0].startswith("advice."), client.keys


async def test_which_exercise_needs_a_word_only_one_of_them_has(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))
    await client.send("done")
    await client.send("too hard")
    assert client.labels() == ["Sit-to-stand", "Clamshell", "Seated knee extension",
                               "All of them"]
    await client.send("my leg")  # no exercise's word
    assert client.keys == ["input.hint", "daily.ask.which"]
    replies = await client.send("knee extension")
    assert replies[0].typed_answer == "Seated knee extension"
    assert client.keys == ["feedback.thanks.too_hard", "checkin.ask.pain"]

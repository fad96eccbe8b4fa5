"""Fewer messages per turn (issue 12 item 3): what folds into a question's message, what
never does, and the conversations where it shows (bot/engine/folding.py)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.assembly import layout
from bot.domain.events import Button, Document, Picture, Reply
from bot.engine.folding import fold, join_pressed
from bot.engine.layout import Layout
from bot.store.codec import replies_of, replies_text
from tests.support.client import CoachClient, enrol

NARROW = Layout(row_limit=5, max_text=200, max_rows=5)
QUESTION = Reply("intake.ask.side", "Which knee is it?", asks="choice",
                 buttons=((Button("Left", "d:intake:side:3:left"),
                           Button("Right", "d:intake:side:3:right")),))
SAID = Reply("intake.prefill_note", "Thanks.")
PNG = Picture(b"\x89PNG\r\n\x1a\n", "a picture")


def keys(replies: list[Reply]) -> list[tuple[str, ...]]:
    return [r.keys for r in replies]


def test_a_text_right_before_a_question_goes_in_its_message() -> None:
    (one,) = fold([SAID, QUESTION], NARROW)
    assert one.key == "intake.ask.side" and one.parts == ("intake.prefill_note",)
    assert one.text == "Thanks.\n\nWhich knee is it?"
    assert one.buttons == QUESTION.buttons and one.asks == "choice"


def test_several_texts_fold_while_they_fit_and_a_text_after_the_question_does_not() -> None:
    after = Reply("after", "Later.")
    folded = fold([Reply("a", "One."), Reply("b", "Two."), QUESTION, after], NARROW)
    assert keys(folded) == [("a", "b", "intake.ask.side"), ("after",)]
    assert folded[0].text == "One.\n\nTwo.\n\nWhich knee is it?"


def test_a_card_with_buttons_carries_the_questions_buttons_when_the_rows_fit() -> None:
    how = tuple((Button(f"How: {n}", f"a:ex:{n}"),) for n in range(4))
    card = Reply("daily.session", "Today's session", buttons=how)
    (one,) = fold([card, QUESTION], NARROW)
    assert one.keys == ("daily.session", "intake.ask.side")
    assert one.buttons == how + QUESTION.buttons  # the question's buttons last
    five = tuple((Button(f"How: {n}", f"a:ex:{n}"),) for n in range(5))  # 5 + 1 rows > 5
    assert keys(fold([dataclasses.replace(card, buttons=five), QUESTION], NARROW)) == [
        ("daily.session",), ("intake.ask.side",)]


def test_the_choice_and_the_typed_answer_go_with_the_fold() -> None:
    (one,) = fold([dataclasses.replace(SAID, chosen="Yes", typed_answer="yes"), QUESTION],
                  NARROW)
    assert (one.chosen, one.typed_answer) == ("Yes", "yes")


@pytest.mark.parametrize("before, question", [
    (dataclasses.replace(SAID, attachment=PNG), QUESTION),  # a file has its own message
    (SAID, dataclasses.replace(QUESTION, attachment=Document(b"%PDF", "a.pdf", "x", "a"))),
    (dataclasses.replace(SAID, private=False), QUESTION),  # public and private never share
    (dataclasses.replace(SAID, replaces_pressed=True), QUESTION),
    (dataclasses.replace(SAID, ephemeral=True), QUESTION),
    (SAID, dataclasses.replace(QUESTION, ephemeral=True)),
    (dataclasses.replace(SAID, alone=True), QUESTION),  # a red flag's answer stands alone
    (Reply("intake.ask.age", "How old?", asks="choice"), QUESTION),  # a question
    (Reply("blank", "  "), QUESTION),
    (Reply("long", "x" * 190), QUESTION),  # over the narrowest platform's message
])
def test_what_never_folds(before: Reply, question: Reply) -> None:
    assert len(fold([before, question], NARROW)) == 2


def test_only_a_question_takes_a_fold() -> None:
    menu = Reply("help.menu", "Menu", buttons=((Button("Learn", "a:learn:what_is"),),))
    assert len(fold([SAID, menu], NARROW)) == 2


def test_the_limits_are_the_narrowest_platforms() -> None:
    shown = layout()
    assert (shown.max_text, shown.max_rows) == (2000, 5)  # Discord's message and rows


def test_the_only_answer_to_a_press_may_take_the_pressed_messages_place() -> None:
    asked = dataclasses.replace(QUESTION, chosen="Yes")
    (joined,) = join_pressed([asked])
    assert joined.joins_pressed
    assert not join_pressed([QUESTION])[0].joins_pressed  # not an answer to the press
    assert not any(r.joins_pressed for r in join_pressed([asked, SAID]))  # not alone
    assert not join_pressed([dataclasses.replace(asked, attachment=PNG)])[0].joins_pressed
    assert not join_pressed([dataclasses.replace(SAID, chosen="Yes")])[0].joins_pressed


def test_folded_replies_round_trip_through_the_durable_rows() -> None:
    (one,) = join_pressed(fold([dataclasses.replace(SAID, chosen="Yes"), QUESTION], NARROW))
    alone = dataclasses.replace(SAID, alone=True)
    assert replies_of(replies_text([one, alone])) == [one, alone]


# ----- in conversation -------------------------------------------------------------------


async def test_a_hint_and_the_question_again_are_one_message(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    (reply,) = await client.send("a hundred and twelve")  # not an age band
    assert reply.keys == ("input.hint", "intake.ask.age")
    assert reply.text.startswith("Sorry") or "tap" in reply.text.lower()
    assert [b.label for row in reply.buttons for b in row] == [
        "Under 13", "13 to 17", "18 or over"]


async def test_a_red_flag_stands_on_its_own_message(client: CoachClient) -> None:
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("my knee gives way and swelled up")  # the story: see a clinician
    safety = next(r for r in client.last if r.key.startswith("safety."))
    assert safety.alone and safety.parts == ()
    assert client.last[-1].key.startswith("intake.ask.")


async def test_the_daily_prompt_is_one_message_with_its_buttons(client: CoachClient) -> None:
    await enrol(client)
    user = await client.coach.users.find(client.platform, client.user_id)
    assert user is not None
    delivery = await client.coach.compose(f"u:{user.id}", "daily", client.coach.clock.now()
                                          .date())
    assert delivery is not None
    (prompt,) = delivery.replies
    assert prompt.keys == ("daily.session", "daily.ask.session")
    labels = [b.label for row in prompt.buttons for b in row]
    assert labels[0].startswith("How: ") and labels[-5:] == [
        "Done ✅", "Did part of it", "Short version", "Skip today", "Snooze 1 hour"]

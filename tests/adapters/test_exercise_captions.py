"""Every exercise's caption fits under its picture on Telegram (1024 characters), with the
longest wording of the runner's knee; what does not belong in the caption follows it as a
message of its own, and nothing is cut or lost on the way."""

from __future__ import annotations

import pytest

from bot.adapters.telegram import render as r
from bot.adapters.telegram.capabilities import MAX_CAPTION
from bot.content.render import KNEE_KEYS, render_exercise
from bot.domain.events import Animation
from bot.engine.layout import Layout
from bot.engine.textbook import TextBook
from bot.pictures.library import ExercisePictures
from tests.fakes.telegram_api import tiny_png
from tests.support.content import shipped_bundle, shipped_content

CONTENT = shipped_content()
SIDES = {"knee.left": "left", "knee.right": "right", "knee.both": "both", "knee.unknown": None}


def book() -> TextBook:
    bundle = shipped_bundle()
    return TextBook(bundle.content(), bundle.prefill, Layout(row_limit=2))


def test_the_knee_wordings_are_the_ones_the_size_check_allows_for() -> None:
    assert set(SIDES) == set(KNEE_KEYS)


@pytest.mark.parametrize("knee", sorted(SIDES))
def test_every_caption_fits_and_the_rest_follows_uncut(knee: str) -> None:
    assert len(CONTENT.exercises) == 26
    texts = CONTENT.texts
    for ex in CONTENT.exercises.values():
        pictures = ExercisePictures(ex.id, tiny_png(), b"GIF89a")
        picture, details = book().exercise_replies(ex.id, pictures, SIDES[knee])
        assert isinstance(picture.attachment, Animation), ex.id
        # heading, steps and dose under the picture; the rest in the message after it
        assert picture.text.startswith(f"**{ex.name}**"), ex.id
        assert all(step.replace("{knee}", texts.get(knee)) in picture.text
                   for step in ex.steps), ex.id
        assert "**Dose:**" in picture.text and ex.why not in picture.text, ex.id
        assert ex.why in details.text and ex.cue in details.text, ex.id
        assert all(item in details.text for item in (*ex.avoid, *ex.stop_if)), ex.id
        # the two together are the whole exercise, as sent where no picture goes
        whole = render_exercise(ex, texts, CONTENT.ladder_of(ex.id), texts.get(knee))
        assert f"{picture.text}\n\n{details.text}" == whole, ex.id
        # Telegram: the caption is the text itself (not the alt text), within its limit
        (part,) = r.render_reply(picture, None)
        assert isinstance(part, r.AnimationPart), ex.id
        assert part.caption_html == r.markup_to_html(picture.text), ex.id
        assert r.visible_length(picture.text) <= len(picture.text) <= MAX_CAPTION, ex.id

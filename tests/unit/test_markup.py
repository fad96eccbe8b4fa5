"""The reply markup is parsed once; every platform shows the same words and styles."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.console import plain as console_plain
from bot.adapters.discord import render as discord_render
from bot.adapters.telegram import render as telegram_render
from bot.domain.markup import Run, plain, runs


def test_runs_nest_and_ignore_snake_case() -> None:
    assert runs("**a _b_ c** and snake_case") == [
        Run("a ", bold=True), Run("b", bold=True, italic=True), Run(" c", bold=True),
        Run(" and snake_case"),
    ]
    assert runs("**not closed") == [Run("**not closed")]


markup_text = st.lists(
    st.sampled_from(["**", "_", " ", "word", "snake_case", "<b>", "&", "\n", "é", "x"]),
    max_size=14,
).map("".join)


@given(markup_text)
def test_every_renderer_shows_the_same_words(text: str) -> None:
    expected = plain(text)
    assert console_plain(text) == expected
    assert telegram_render.markup_to_plain(text) == expected
    shown = html.unescape(re.sub(r"</?[bi]>", "", telegram_render.markup_to_html(text)))
    assert shown == expected
    assert discord_render.plain_text(text) == expected

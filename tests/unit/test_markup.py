"""The reply markup is parsed once; every platform shows the same words and styles."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.console import CAPABILITIES as CONSOLE
from bot.adapters.console import ConsoleChat
from bot.adapters.console import plain as console_plain
from bot.adapters.discord import render as discord_render
from bot.adapters.discord.capabilities import CAPABILITIES as DISCORD
from bot.adapters.telegram import render as telegram_render
from bot.adapters.telegram.capabilities import CAPABILITIES as TELEGRAM
from bot.domain.events import ConversationRef, Reply
from bot.domain.markup import Run, plain, runs
from tests.fakes.telegram_api import ScriptedCoach, parse_html


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


# --------------------------------------------------------------------------- commands


def test_a_command_named_in_content_is_a_run_of_its_own() -> None:
    assert runs("Send **/start** or try /exercise clamshell.") == [
        Run("Send "), Run("/start", bold=True, command="start"), Run(" or try "),
        Run("/exercise", command="exercise"), Run(" clamshell."),
    ]
    assert runs("(/export first) and /learn.") == [
        Run("("), Run("/export", command="export"), Run(" first) and "),
        Run("/learn", command="learn"), Run("."),
    ]


def test_slashes_that_are_not_commands() -> None:
    for text in [
        "https://t.me/kneecoach?start=knee and http://x.io/start",
        "pain 7/10, Europe/London, and/or",
        "/usr/bin and ~/notes and /etc.conf",
        "/Start, /start@otherbot, /knee-pain, /2fast",
        "content/messages.yaml",
    ]:
        assert all(run.command is None for run in runs(text)), text


def test_each_door_calls_a_command_its_own_way() -> None:
    text = "Send /start, or try /exercise clamshell. Pain 7/10 in Europe/London."
    assert telegram_render.markup_to_html(text) == text
    assert console_plain(text, CONSOLE.command_prefix) == text
    assert discord_render.render_markup(text) == (
        "Send /knee start, or try /knee exercise clamshell. Pain 7/10 in Europe/London."
    )
    assert discord_render.render_markup("**/back** and _/cancel_") == (
        "**/knee back** and _/knee cancel_"
    )


def test_the_terminal_shows_commands_with_its_prefix() -> None:
    import io

    out = io.StringIO()
    chat = ConsoleChat(ScriptedCoach(), ConversationRef("console", "me", "me"), out)
    chat.show([Reply("help.text", "Send **/start** to begin.")])
    assert out.getvalue().splitlines()[0] == "Send /start to begin."


def discord_visible(rendered: str) -> str:
    """What Discord shows for content the renderer made: escapes undone, markers gone (the
    renderer escapes every literal * and _, so an unescaped one is a marker)."""
    out: list[str] = []
    pos = 0
    while pos < len(rendered):
        char = rendered[pos]
        if char == "\\" and pos + 1 < len(rendered):
            out.append(rendered[pos + 1])
            pos += 2
            continue
        if char not in "*_":
            out.append(char)
        pos += 1
    return "".join(out)


with_commands = st.lists(
    st.sampled_from([
        "**", "_", " ", "word", "snake_case", "<b>", "&", "\n", "é", "x", "(", ".",
        "/start", "/exercise", "/", "7/10", "/Start", "a/b", "/usr/bin", "-", "@", "\\",
        "https://x.io/start ",
    ]),
    max_size=16,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(with_commands)
def test_every_door_shows_the_same_words_apart_from_the_command_prefix(text: str) -> None:
    written = plain(text)  # the words as content writes them: commands as "/start"
    assert console_plain(text, CONSOLE.command_prefix) == written
    shown, _ = parse_html(telegram_render.markup_to_html(text))  # as Telegram reads it
    assert shown == plain(text, TELEGRAM.command_prefix) == written
    # Discord, its escapes undone (the renderer drops spaces at line ends)
    on_discord = discord_visible(discord_render.render_markup(text))
    assert on_discord == "\n".join(
        line.rstrip() for line in plain(text, DISCORD.command_prefix).split("\n")
    )
    assert on_discord.replace(DISCORD.command_prefix, "/") == "\n".join(
        line.rstrip() for line in written.split("\n")
    )
    assert discord_render.plain_text(text) == plain(text, DISCORD.command_prefix)

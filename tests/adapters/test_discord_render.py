"""Unit tests for bot.adapters.discord.render and the pure parts of the commands (no
Discord, no network)."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from discord import app_commands
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord import build_command_group, parse_typed, render
from bot.adapters.discord.render import (
    CONTINUATION,
    MAX_BUTTONS_PER_ROW,
    MAX_CONTENT,
    MAX_CUSTOM_ID,
    MAX_LABEL,
    MAX_ROWS,
    RenderedFile,
    button_rows,
    custom_id_for,
    data_from_custom_id,
    escape_text,
    make_nonce,
    render_chosen,
    render_markup,
    render_replies,
    render_reply,
    split_content,
)
from bot.domain.events import (
    OPEN_PRIVATE,
    Animation,
    Button,
    Command,
    Document,
    Picture,
    Reply,
    Text,
)
from bot.engine.coach import Coach
from tests.adapters.discord_conftest import DC_MENU, dc_messages


def alnum(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


# --------------------------------------------------------------------------- markup


def test_bold_and_italic_pass_through() -> None:
    assert render_markup("**Hello** and _welcome_") == "**Hello** and _welcome_"


def test_nested_markup() -> None:
    assert render_markup("**_both_**") == "**_both_**"


def test_other_markdown_is_escaped() -> None:
    out = render_markup("a*b ~~strike~~ `code` ||spoiler|| snake_case \\ <@123> [x](y)")
    assert out == (
        "a\\*b \\~\\~strike\\~\\~ \\`code\\` \\|\\|spoiler\\|\\| "
        "snake\\_case \\\\ \\<@123> \\[x](y)"
    )


def test_italic_only_at_word_boundaries() -> None:
    assert render_markup("file_name_here") == "file\\_name\\_here"
    assert render_markup("an _italic_ word") == "an _italic_ word"


def test_unbalanced_markers_are_literal() -> None:
    assert render_markup("**not closed") == "\\*\\*not closed"
    assert render_markup("** spaced **") == "\\*\\* spaced \\*\\*"


def test_line_starts_cannot_become_quotes_or_headers() -> None:
    out = render_markup("> quoted\n# header\n-# subtext\n>>> block")
    assert out.split("\n") == ["\\> quoted", "\\# header", "\\-# subtext", "\\>>> block"]


def test_list_lines_stay_lists() -> None:
    assert render_markup("- one\n1. two") == "- one\n1. two"


def test_urls_are_not_escaped() -> None:
    url = "https://www.nhs.uk/conditions/knee_pain/?a=b*c"
    assert render_markup(f"Read {url} now") == f"Read {url} now"
    assert escape_text("x_y") == "x\\_y"


# --------------------------------------------------------------------------- splitting


def test_short_text_is_one_message() -> None:
    assert split_content("One.\n\nTwo.") == ["One.\n\nTwo."]


def test_splits_at_paragraph_boundaries() -> None:
    para = ("word " * 150).strip()  # 749 characters
    text = "\n\n".join([para] * 4)
    chunks = split_content(text)
    assert [len(c) for c in chunks] == [len(para) * 2 + 2] * 2
    assert all(c == f"{para}\n\n{para}" for c in chunks)


def test_long_paragraph_splits_at_lines_then_words() -> None:
    line = ("step " * 100).strip()
    text = "\n".join([line] * 10)  # one paragraph of ~5000 characters
    chunks = split_content(text)
    assert all(len(c) <= MAX_CONTENT for c in chunks)
    assert all(not c.startswith("\n") and not c.endswith("\n") for c in chunks)
    assert alnum("".join(chunks)) == alnum(text)
    # lines are kept whole when they fit
    assert all(set(c.split("\n")) == {line} for c in chunks)


def test_markup_is_closed_and_reopened_across_a_split() -> None:
    text = "**" + " ".join(f"w{i}" for i in range(900)) + "**"
    chunks = split_content(text)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= MAX_CONTENT
        assert chunk.startswith("**") and chunk.endswith("**")


def test_a_word_longer_than_a_message_is_cut() -> None:
    chunks = split_content("x" * 4500)
    assert [len(c) for c in chunks] == [1993, 1993, 514]
    underscores = split_content("_" * 3000)  # each one escaped: 2 characters
    assert all(len(c) <= MAX_CONTENT for c in underscores)
    assert sum(c.count("_") for c in underscores) == 3000


def test_empty_text_gives_no_chunks() -> None:
    assert split_content("") == []
    assert split_content("\n\n  \n") == []


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab_*> #\n-`"), max_size=400),
    st.integers(min_value=20, max_value=120),
)
def test_split_property_limits_and_content_kept(text: str, limit: int) -> None:
    chunks = split_content(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert alnum("".join(chunks)) == alnum(text)


# --------------------------------------------------------------------------- buttons


def test_custom_id_round_trip_and_limits() -> None:
    assert custom_id_for("d:intake:consent:3:yes") == "kc|d:intake:consent:3:yes"
    assert data_from_custom_id("kc|a:ex:clamshell") == "a:ex:clamshell"
    assert data_from_custom_id("other") is None
    assert data_from_custom_id("kc|") is None
    assert custom_id_for("x" * (MAX_CUSTOM_ID - 3)) is not None
    assert custom_id_for("x" * (MAX_CUSTOM_ID - 2)) is None
    assert custom_id_for("") is None


def test_rows_of_at_most_five_and_open_private_dropped() -> None:
    buttons = tuple(Button(f"B{i}", f"a:b:{i}") for i in range(12))
    rows = button_rows([buttons, (Button("Open DM", OPEN_PRIVATE),)])
    assert [len(r) for r in rows] == [5, 5, 2]
    assert all(b.custom_id.startswith("kc|") for r in rows for b in r)


def test_duplicate_and_invalid_buttons_dropped() -> None:
    rows = button_rows(
        [(Button("A", "a:x:1"), Button("A again", "a:x:1"), Button("Bad", "y" * 200))]
    )
    assert [[b.label for b in r] for r in rows] == [["A"]]


def test_labels_are_plain_and_at_most_80() -> None:
    rows = button_rows([(Button("**Bold** " + "l" * 200, "a:l:1"), Button("", "a:l:2"))])
    label, empty = rows[0]
    assert len(label.label) == MAX_LABEL and label.label.startswith("Bold ll")
    assert label.label.endswith("\u2026")
    assert empty.label == "\u2026"


def test_six_rows_of_one_share_five_rows_in_one_message() -> None:
    rows = tuple((Button(f"Option {i}", f"d:intake:location:3:o{i}"),) for i in range(6))
    (message,) = render_reply(Reply("intake.ask.location", "Where?", buttons=rows))
    assert [[b.label for b in row] for row in message.rows] == [
        ["Option 0", "Option 1"],
        ["Option 2", "Option 3"],
        ["Option 4", "Option 5"],
    ]
    many = tuple((Button(f"B{i}", f"a:b:{i}"),) for i in range(25))
    assert [len(r) for r in button_rows(many)] == [5, 5, 5, 5, 5]
    assert [len(r) for r in button_rows(many[:5])] == [1, 1, 1, 1, 1]  # 5 rows stay as they are


def test_many_rows_go_to_more_messages() -> None:
    rows = tuple(tuple(Button(f"{r}.{c}", f"a:g:{r}-{c}") for c in range(4)) for r in range(8))
    messages = render_reply(Reply("k", "Pick one", buttons=rows))
    assert len(messages) == 2
    assert messages[0].content == "Pick one"
    assert messages[1].content == CONTINUATION
    assert [len(m.rows) for m in messages] == [5, 3]
    for message in messages:
        assert len(message.rows) <= MAX_ROWS
        assert all(len(r) <= MAX_BUTTONS_PER_ROW for r in message.rows)
    ids = [b.custom_id for m in messages for r in m.rows for b in r]
    assert len(ids) == len(set(ids)) == 32


def test_buttons_and_the_file_ride_on_the_last_chunk() -> None:
    text = "\n\n".join(["p" * 1500] * 3)
    image = Picture(b"\x89PNG fake", alt="Pain fell from 6 to 3 this week", filename="week.png")
    reply = Reply("progress", text, buttons=((Button("More", "a:progress:more"),),),
                  attachment=image)
    messages = render_reply(reply)
    assert len(messages) == 3
    assert all(not m.rows and not m.files for m in messages[:-1])
    last = messages[-1]
    assert last.rows
    assert last.files == (RenderedFile(image.png, "week.png", "image/png", image.alt),)


def test_the_alt_text_is_the_file_description_not_added_to_the_content() -> None:
    # /knee progress: the chart's alt text is its summary; it showed twice in the message.
    summary = "week 3 of 6\nWorst pain: 6/10 at your first check-in, 3/10 at your latest."
    chart = Picture(b"\x89PNG fake", alt=summary, filename="progress.png")
    (message,) = render_reply(Reply("progress.chart", summary, attachment=chart))
    assert message.content == render_markup(summary)
    assert message.content.count("Worst pain") == 1
    (attached,) = message.files
    assert attached.description == summary


def test_an_animation_goes_as_its_gif_and_a_document_as_itself() -> None:
    still = Picture(b"\x89PNG still", alt="Clamshell: knees open", filename="clamshell.png")
    gif = Animation(b"GIF89a...", still, filename="clamshell.gif", width=480, height=360)
    (moving,) = render_reply(Reply("exercise.clamshell", "Steps", attachment=gif))
    assert moving.files == (RenderedFile(b"GIF89a...", "clamshell.gif", "image/gif",
                                         "Clamshell: knees open"),)
    doc = Document(b"{}", "kneecoach-export-2026-03-02.json", "application/json", "Your data")
    (kept,) = render_reply(Reply("export.data", "Here it is.", attachment=doc))
    assert kept.files == (RenderedFile(b"{}", doc.filename, "application/json", "Your data"),)
    preview = Picture(b"\x89PNG page", "Page 1 of your summary", "summary.png", 827, 1169)
    pdf = Document(b"%PDF-1.4", "summary.pdf", "application/pdf", "Your summary", preview)
    (both,) = render_reply(Reply("summary.pdf", "For your physio.", attachment=pdf))
    assert [f.filename for f in both.files] == ["summary.png", "summary.pdf"]


def test_a_file_without_text_gets_placeholder_content() -> None:
    (message,) = render_reply(Reply("chart", "", attachment=Picture(b"png", alt="A chart")))
    assert message.content == "\u2026"
    (attached,) = message.files
    assert attached.description == "A chart"


def test_empty_reply_renders_nothing_and_button_only_reply_gets_content() -> None:
    assert render_reply(Reply("k", "")) == []
    (message,) = render_reply(Reply("k", "", buttons=((Button("Go", "a:go:1"),),)))
    assert message.content == CONTINUATION and message.rows


def test_render_replies_keeps_order_and_privacy() -> None:
    messages = render_replies([Reply("a", "one"), Reply("b", "two", private=False)])
    assert [(m.key, m.content, m.private) for m in messages] == [
        ("a", "one", True),
        ("b", "two", False),
    ]


def test_render_chosen_appends_choice_within_limit() -> None:
    assert render_chosen("Shall we?", "Yes") == "Shall we?\n\n\u2192 **Yes**"
    long = render_chosen("q" * 2000, "c" * 3000)
    assert len(long) <= MAX_CONTENT


def test_nonce_is_short_stable_and_per_index() -> None:
    a0, a1 = make_nonce("outbox:42", 0), make_nonce("outbox:42", 1)
    assert len(a0) <= 25 and a0 == make_nonce("outbox:42", 0) and a0 != a1
    assert make_nonce("outbox:43", 0) != a0


# --------------------------------------------------------------------------- adapter's pure parts


def test_parse_typed() -> None:
    assert parse_typed("/start", DC_MENU) == Command("start")
    assert parse_typed("/knee learn stairs", DC_MENU) == Command("learn", "stairs")
    assert parse_typed("/Today", DC_MENU) == Command("today")
    assert parse_typed("/exercise clamshell", DC_MENU) == Command("exercise", "clamshell")
    assert parse_typed("/help", DC_MENU) == Command("help")
    assert parse_typed("/dance", DC_MENU) == Text("/dance")
    assert parse_typed("my knee hurts", DC_MENU) == Text("my knee hurts")


def test_typed_commands_are_the_coachs() -> None:
    assert parse_typed("/dance", ("dance",)) == Command("dance")
    assert parse_typed("/knee dance fast", ("dance",)) == Command("dance", "fast")
    assert parse_typed("/start", ("dance",)) == Text("/start")


def test_command_group_shape() -> None:
    texts = {"discord.group": "The coach", "discord.option.time": "When " * 40}
    menu = [("start", "Begin here"), ("/today", "x" * 300), *((n, "") for n in DC_MENU[2:])]
    group = build_command_group(lambda key: texts.get(key, ""), menu)
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    payload = group.to_dict(tree)
    assert payload["name"] == "knee"
    assert payload["description"] == "The coach"
    options = {o["name"]: o for o in payload["options"]}
    assert list(options) == [*DC_MENU, "club"]
    assert options["start"]["description"] == "Begin here"
    assert len(options["today"]["description"]) == 100
    # without content (or a menu line) a description falls back to the command's own name
    assert options["checkin"]["description"] == "checkin"
    assert [o["name"] for o in options["learn"]["options"]] == ["topic"]
    assert options["learn"]["options"][0]["required"] is False
    assert [o["name"] for o in options["exercise"]["options"]] == ["name"]
    club = {o["name"]: o for o in options["club"]["options"]}
    assert list(club) == ["setup", "off", "leaderboard"]
    assert [o["name"] for o in club["setup"]["options"]] == ["channel", "time", "timezone"]
    time_option = club["setup"]["options"][1]
    assert time_option["description"].startswith("When ") and len(time_option["description"]) <= 100
    assert all(re.fullmatch(r"[-_a-z0-9]{1,32}", name) for name in options)


def test_the_personal_commands_are_the_coachs_menu_in_its_order() -> None:
    menu = [("help", "Help"), ("/Start", "Begin"), ("Bad Name", "x"), ("club", "x"), ("help", "")]
    group = build_command_group(lambda key: "", menu)
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    names = [o["name"] for o in group.to_dict(tree)["options"]]
    assert names == ["help", "start", "club"]  # invalid names, "club" and repeats skipped


async def test_the_real_content_describes_every_command(coach: Coach) -> None:
    messages = dc_messages()
    menu = coach.command_menu()
    group = build_command_group(lambda key: messages.get(key) if key in messages else "", menu)
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))

    def descriptions(node: dict[str, Any]) -> list[str]:
        found = [node["description"]]
        for option in node.get("options", []):
            found.extend(descriptions(option))
        return found

    payload = group.to_dict(tree)
    assert [o["name"] for o in payload["options"]] == [*(name for name, _ in menu), "club"]
    found = descriptions(payload)
    assert all(1 <= len(d) <= 100 for d in found)
    assert "…" not in found  # discord.py's placeholder for an undescribed option
    assert set(found) - {messages.get(key) for key in messages.keys()} == set()


def test_an_image_over_the_upload_limit_goes_as_its_alt_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = Picture(b"\x89PNG\r\n\x1a\n big", alt="Pain 6 then 3")
    monkeypatch.setattr(render, "MAX_UPLOAD_BYTES", len(image.png) - 1)
    (message,) = render_reply(Reply("chart", "Your week", attachment=image))
    assert message.files == ()
    assert message.content == "Your week\n\nPain 6 then 3"


def test_an_animation_over_the_upload_limit_goes_as_its_still(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    still = Picture(b"\x89PNG small", alt="Squat", filename="squat.png")
    gif = Animation(b"GIF89a" + b"x" * 100, still, filename="squat.gif")
    monkeypatch.setattr(render, "MAX_UPLOAD_BYTES", 50)
    (message,) = render_reply(Reply("exercise.squat", "Steps", attachment=gif))
    (attached,) = message.files
    assert attached.filename == "squat.png"

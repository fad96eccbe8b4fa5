"""Pure rendering: markup -> Telegram HTML, splitting, keyboards, inbound text parsing."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.telegram import render as r
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
from tests.fakes.telegram_api import parse_html, tiny_png

# -- markup -> HTML ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "html"),
    [
        ("plain", "plain"),
        ("<b>x</b> & 5<6", "&lt;b&gt;x&lt;/b&gt; &amp; 5&lt;6"),
        ("**bold** and _it_", "<b>bold</b> and <i>it</i>"),
        ("**_both_**", "<b><i>both</i></b>"),
        ("_a **b** c_", "<i>a <b>b</b> c</i>"),
        ("snake_case_name and file_1_", "snake_case_name and file_1_"),
        ("**unclosed and _lonely", "**unclosed and _lonely"),
        # one parser for every platform: bold is found first, the stray _ stays text
        ("**a _b** c_", "<b>a _b</b> c_"),
        ("** spaced **", "** spaced **"),
        ("say \"hi\" & 'bye'", "say \"hi\" &amp; 'bye'"),
        ("**<script>**", "<b>&lt;script&gt;</b>"),
    ],
)
def test_markup_to_html(markup: str, html: str) -> None:
    assert r.markup_to_html(markup) == html
    plain, _ = parse_html(html)  # Telegram (the fake's parser) accepts it
    assert plain == r.markup_to_plain(markup)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab _*<>&;#x\n é😀")), max_size=80))
def test_any_text_renders_to_valid_telegram_html(text: str) -> None:
    html = r.markup_to_html(text)
    plain, _ = parse_html(html)
    assert plain == r.markup_to_plain(text)
    assert len(plain) <= len(text)
    assert r.visible_length(text) == len(plain)


# -- splitting ---------------------------------------------------------------------------------


def test_short_text_is_one_chunk() -> None:
    assert r.split_markup("  hello\n\nworld  ") == ["hello\n\nworld"]
    assert r.split_markup(" \n ") == []


def test_split_prefers_paragraphs() -> None:
    paragraphs = [f"p{i} " + "x" * 40 for i in range(5)]
    chunks = r.split_markup("\n\n".join(paragraphs), limit=100)
    assert chunks == [
        "\n\n".join(paragraphs[0:2]),
        "\n\n".join(paragraphs[2:4]),
        paragraphs[4],
    ]


def test_split_falls_back_to_lines_then_words_then_hard() -> None:
    lines = "\n".join(f"line {i} " + "y" * 20 for i in range(10))  # one paragraph, 10 lines
    chunks = r.split_markup(lines, limit=60)
    assert all(len(c) <= 60 for c in chunks)
    assert all(c.startswith("line ") for c in chunks)
    assert "\n".join(chunks) == lines

    words = " ".join(["word"] * 50)
    chunks = r.split_markup(words, limit=32)
    assert all(len(c) <= 32 and not c.startswith(" ") for c in chunks)
    assert " ".join(chunks) == words

    assert r.split_markup("z" * 250, limit=100) == ["z" * 100, "z" * 100, "z" * 50]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab \n*_")), max_size=400),
    st.integers(min_value=5, max_value=80),
)
def test_split_keeps_every_character_and_respects_the_limit(text: str, limit: int) -> None:
    chunks = r.split_markup(text, limit=limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_real_limit_comes_from_telegram_constants() -> None:
    assert r.MAX_TEXT == 4096
    assert r.MAX_CAPTION == 1024
    assert (r.MIN_CALLBACK_BYTES, r.MAX_CALLBACK_BYTES) == (1, 64)


# -- keyboards ---------------------------------------------------------------------------------


def test_keyboard_with_callback_and_deep_link() -> None:
    markup = r.build_keyboard(
        [[Button("Yes", "d:intake:consent:1:yes"), Button("Open chat", OPEN_PRIVATE)]],
        "kneecoach_bot",
    )
    assert markup == InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="d:intake:consent:1:yes"),
                InlineKeyboardButton("Open chat", url="https://t.me/kneecoach_bot?start=knee"),
            ]
        ]
    )


def test_keyboard_is_serialised_once_as_telegram_wants_it() -> None:
    built = r.keyboard(
        [[Button("Done ✅", "d:daily:session:3:done"), Button("Open chat", OPEN_PRIVATE)]],
        "kneecoach_bot",
    )
    assert built is not None
    assert json.loads(built.json) == {
        "inline_keyboard": [
            [
                {"text": "Done ✅", "callback_data": "d:daily:session:3:done"},
                {"text": "Open chat", "url": "https://t.me/kneecoach_bot?start=knee"},
            ]
        ]
    }
    assert json.loads(built.json) == built.markup().to_dict()
    assert r.keyboard([], "kneecoach_bot") is None


def test_overlong_callback_data_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ok = Button("ok", "a" * 64)
    too_long = Button("long", "é" * 33)  # 66 bytes
    empty = Button("empty", "")
    with caplog.at_level(logging.WARNING):
        markup = r.build_keyboard([[ok, too_long, empty]], "bot")
    assert markup is not None
    assert [b.text for b in markup.inline_keyboard[0]] == ["ok"]
    assert caplog.text.count("callback data") == 2
    assert r.build_keyboard([[too_long]], "bot") is None


def test_keyboard_rows_are_wrapped_and_total_is_capped() -> None:
    row = [Button(str(n), f"a:n:{n}") for n in range(20)]
    markup = r.build_keyboard([row], "bot")
    assert markup is not None
    assert [len(x) for x in markup.inline_keyboard] == [8, 8, 4]
    many = [[Button(str(n), f"a:n:{n}")] for n in range(130)]
    capped = r.build_keyboard(many, "bot")
    assert capped is not None
    assert sum(len(x) for x in capped.inline_keyboard) == 100


def test_deep_link_needs_the_username() -> None:
    assert r.build_keyboard([[Button("Open", OPEN_PRIVATE)]], None) is None


def test_label_for_and_with_choice() -> None:
    markup = r.build_keyboard([[Button("A <1>", "d:x:1:1:a"), Button("B", "d:x:1:1:b")]], "bot")
    assert r.label_for(markup, "d:x:1:1:a") == "A <1>"
    assert r.label_for(markup, "nope") is None
    assert r.label_for(None, "d:x:1:1:a") is None
    assert r.with_choice("Pick <b>one</b>\n", "A <1>") == "Pick <b>one</b>\n\n✓ A &lt;1&gt;"
    assert r.choice_suffix_length("A <1>") == len("\n\n✓ A <1>")


# -- replies -> parts --------------------------------------------------------------------------


def test_text_reply_keyboard_rides_on_the_last_chunk() -> None:
    text = "\n\n".join(["x" * 3000, "y" * 3000])
    parts = r.render_reply(Reply("k", text, buttons=((Button("Go", "a:go:1"),),)), "bot")
    assert [type(p) for p in parts] == [r.TextPart, r.TextPart]
    assert parts[0].keyboard is None
    assert parts[1].keyboard is not None


def test_image_reply_caption_or_following_text() -> None:
    png = tiny_png()
    short = r.render_reply(
        Reply("c", "Your **week**", attachment=Picture(png, "Pain chart", "chart.png")), None)
    assert short == [r.PhotoPart(png, "chart.png", "Your <b>week</b>", None)]

    no_text = r.render_reply(
        Reply("c", "", attachment=Picture(png, "Pain <chart>", "chart.png")), None)
    assert no_text == [r.PhotoPart(png, "chart.png", "Pain &lt;chart&gt;", None)]

    buttons = ((Button("More", "a:more:1"),),)
    long = r.render_reply(
        Reply("c", "w" * 1500, buttons=buttons, attachment=Picture(png, "Alt")), None)
    assert isinstance(long[0], r.PhotoPart) and long[0].caption_html == "Alt"
    assert long[0].keyboard is None
    assert isinstance(long[1], r.TextPart) and long[1].keyboard is not None


def test_an_animation_and_a_document_with_their_captions() -> None:
    still = Picture(tiny_png(), "Squat: down and up", "squat.png", 1, 1)
    gif = Animation(b"GIF89a", still, "squat.gif", 480, 360)
    parts = r.render_reply(Reply("exercise.squat", "**Squat**\n1. Stand", attachment=gif), None)
    assert parts == [r.AnimationPart(b"GIF89a", "squat.gif", 480, 360,
                                     "<b>Squat</b>\n1. Stand", None)]
    doc = Document(b"%PDF-1.4", "summary.pdf", "application/pdf", "Your summary")
    (part,) = r.render_reply(Reply("summary.pdf", "For your physio.", attachment=doc), None)
    assert part == r.DocumentPart(b"%PDF-1.4", "summary.pdf", "application/pdf",
                                  "For your physio.", None)
    preview = Picture(tiny_png(), "Page 1", "summary.png", 827, 1169)
    with_preview = Document(b"%PDF-1.4", "summary.pdf", "application/pdf", "Summary", preview)
    photo, document = r.render_reply(Reply("summary.pdf", "For you.", attachment=with_preview),
                                     None)
    assert photo == r.PhotoPart(preview.png, "summary.png")
    assert isinstance(document, r.DocumentPart) and document.caption_html == "For you."


def test_empty_reply_gives_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert r.render_reply(Reply("k", "  "), "bot") == []
    assert r.render_reply(Reply("k", "", buttons=((Button("x", "a:x:1"),),)), "bot") == []
    assert "no text" in caplog.text


# -- inbound -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", Command("start")),
        ("/start knee", Command("start", "knee")),
        ("/START@KneeBot  a  b ", Command("start", "a  b")),
        ("/start@other_bot", None),
        ("/checkin\n7", Command("checkin", "7")),
        ("hello /start", Text("hello /start")),
        ("/", Text("/")),
        ("/" + "x" * 33, Text("/" + "x" * 33)),
        ("", Text("")),
    ],
)
def test_parse_text(text: str, expected: Command | Text | None) -> None:
    assert r.parse_text(text, "kneebot") == expected


def test_menu_commands_keep_only_valid_ones(caplog: pytest.LogCaptureFixture) -> None:
    menu = [("/Start", "Begin"), ("check-in", "bad name"), ("help", ""), ("stop", "Stop")]
    assert r.menu_commands(menu) == [("start", "Begin"), ("stop", "Stop")]
    assert caplog.text.count("not a valid Telegram command") == 2


def test_a_picture_over_the_photo_limit_goes_as_a_document(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    png = tiny_png()
    monkeypatch.setattr(r, "MAX_PHOTO_BYTES", len(png) - 1)
    parts = r.render_reply(
        Reply("c", "Your **week**", attachment=Picture(png, "Pain 6 then 3", "week.png")), None)
    assert parts == [r.DocumentPart(png, "week.png", "image/png", "Your <b>week</b>", None)]
    assert "goes as a document" in caplog.text


def test_a_picture_too_large_or_too_narrow_for_a_photo_goes_as_a_document() -> None:
    png = tiny_png()
    for width, height in ((6000, 4001), (2100, 100)):  # over 10000 in total; ratio over 20
        picture = Picture(png, "Alt", "wide.png", width, height)
        (part,) = r.render_reply(Reply("c", "Text", attachment=picture), None)
        assert isinstance(part, r.DocumentPart)
    fine = Picture(png, "Alt", "fine.png", 800, 1000)
    (part,) = r.render_reply(Reply("c", "Text", attachment=fine), None)
    assert isinstance(part, r.PhotoPart)


def test_a_file_over_the_upload_limit_goes_as_its_alt_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(r, "MAX_UPLOAD_BYTES", 3)
    doc = Document(b"%PDF-1.4", "summary.pdf", "application/pdf", "Your summary")
    parts = r.render_reply(Reply("c", "Your **week**", attachment=doc), None)
    assert parts == [r.TextPart("Your <b>week</b>\n\nYour summary")]
    assert "over Telegram's" in caplog.text

"""The real discord.py client + DiscordAdapter against the loopback fake Discord."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord import (
    CONTENT_KEYS,
    DiscordAdapter,
    DiscordSettings,
    MemoryDMChannelStore,
    club_display_name,
)
from bot.adapters.discord.capabilities import MAX_BUTTONS_PER_ROW, MAX_CONTENT, MAX_ROWS
from bot.domain.events import (
    Animation,
    Button,
    ClubCommand,
    Command,
    ConversationRef,
    Document,
    Inbound,
    Picture,
    Press,
    Reply,
    Text,
)
from bot.domain.results import Blocked, Failed, NotPermitted, RetryAfter, Sent, Unreachable
from tests.adapters.discord_conftest import (
    DcCoach,
    DcWorld,
    dc_adapter,
    dc_coach,
    dc_fake,
    dc_messages,
    dc_settings,
    dc_start_adapter,
    dc_world,
)
from tests.fakes.discord_api import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILDS,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeDiscord,
    FakeUser,
)

__all__ = ["dc_adapter", "dc_coach", "dc_fake", "dc_settings", "dc_world"]  # fixtures

PNG = b"\x89PNG\r\n\x1a\n fake chart"


def dm_ref(fake: FakeDiscord, user: FakeUser) -> ConversationRef:
    return ConversationRef("discord", user.id, fake.dm_channel(user).id)


def creates_in(fake: FakeDiscord, channel_id: str) -> int:
    return sum(
        1
        for method, path, status in fake.requests
        if method == "POST" and path == f"/channels/{channel_id}/messages" and status == 200
    )


# --------------------------------------------------------------------------- connecting


async def test_connects_with_minimal_intents_and_syncs_one_group(
    dc_fake: FakeDiscord, dc_adapter: DiscordAdapter
) -> None:
    (identify,) = dc_fake.identifies
    assert identify["intents"] == INTENT_GUILDS | INTENT_DIRECT_MESSAGES
    assert dc_fake.requests[:2] == [
        ("GET", "/users/@me", 200),
        ("GET", "/oauth2/applications/@me", 200),
    ]
    assert ("GET", "/gateway/bot", 200) in dc_fake.requests  # the URL came from the fake
    assert dc_fake._sessions[0].compress in ("zlib-stream", "zstd-stream")

    (sync,) = dc_fake.command_syncs
    guild_id, commands = sync
    assert guild_id is None
    assert [c["name"] for c in commands] == ["knee"]
    options = {o["name"]: o for o in commands[0]["options"]}
    names = "start today checkin progress settings exercise learn export forget stop help club"
    assert set(options) == set(names.split())
    assert all(o["type"] == 1 for name, o in options.items() if name != "club")
    assert options["club"]["type"] == 2
    assert {o["name"] for o in options["club"]["options"]} == {"setup", "off", "leaderboard"}

    # every description is content: the coach's menu, else messages.yaml
    messages = dc_messages()
    assert options["start"]["description"] == "Begin (or restart) your knee coach"  # coach's menu
    assert options["checkin"]["description"] == messages.get("commands.checkin")
    assert commands[0]["description"] == messages.get("discord.group")
    assert options["club"]["description"] == messages.get("discord.command.club")
    club = {o["name"]: o for o in options["club"]["options"]}
    for name in ("setup", "off", "leaderboard"):
        assert club[name]["description"] == messages.get(f"discord.command.club_{name}")
    setup_options = {o["name"]: o["description"] for o in club["setup"]["options"]}
    assert setup_options == {
        "channel": messages.get("discord.option.channel"),
        "time": messages.get("discord.option.time"),
        "timezone": messages.get("discord.option.timezone"),
    }
    (topic,) = options["learn"]["options"]
    assert topic["description"] == messages.get("discord.option.topic")
    (name,) = options["exercise"]["options"]
    assert name["name"] == "name" and not name.get("required")
    assert name["description"] == messages.get("discord.option.exercise")


async def test_starting_logs_no_voice_warnings_and_other_warnings_still_show(
    dc_fake: FakeDiscord,
    dc_world: DcWorld,
    dc_coach: DcCoach,
    dc_settings: DiscordSettings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a fresh process without PyNaCl and davey (an earlier client in this test run has
    # already used discord.py's once-only switches).
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    caplog.set_level(logging.WARNING)
    adapter = await dc_start_adapter(dc_settings, dc_coach)
    try:
        logging.getLogger("discord.client").warning("a warning that must still show")
    finally:
        await adapter.stop()
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if "voice will NOT be supported" in m], said
    assert "a warning that must still show" in said


async def test_explicit_gateway_url(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach
) -> None:
    settings = DiscordSettings(
        token=dc_fake.token,
        api_base=dc_fake.api_base,
        gateway_url=dc_fake.gateway_url,
        guild_ready_timeout=0.05,
    )
    adapter = await dc_start_adapter(settings, dc_coach)
    try:
        assert ("GET", "/gateway/bot", 200) not in dc_fake.requests
        assert adapter.client is not None and adapter.client.is_ready()
    finally:
        await adapter.stop()
    assert adapter.client is None
    assert Route.BASE == "https://discord.com/api/v10"  # the test endpoints are undone
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


async def test_a_bad_token_fails_start_cleanly(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach
) -> None:
    settings = DiscordSettings(token="not-the-token", api_base=dc_fake.api_base)
    adapter = DiscordAdapter(settings, dc_coach)
    with pytest.raises(discord.LoginFailure):
        await adapter.start()
    assert adapter.client is None
    assert Route.BASE == "https://discord.com/api/v10"


async def test_resumes_after_the_gateway_drops(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    await dc_fake.drop_connections(code=4000)
    await dc_fake.wait_for(lambda: bool(dc_fake.resumes) and bool(dc_fake._ready_sessions()))
    assert len(dc_fake.identifies) == 1
    await dc_fake.dm(dc_world.alice, "still there?")
    (message,) = await dc_fake.wait_dm(dc_world.alice, 1)
    assert message.content == "You said: still there?"


# --------------------------------------------------------------------------- slash commands


async def test_start_in_a_server_answers_ephemerally_and_continues_in_dm(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    alice, guild = dc_world.alice, dc_world.guild
    interaction = await dc_fake.slash(alice, guild, "start")

    original = await dc_fake.wait_original(interaction)
    assert interaction.response_type == 5  # deferred first: the 3 s rule
    assert interaction.acknowledged_after is not None and interaction.acknowledged_after < 3
    assert original.channel_id == guild.channel("general").id
    assert original.ephemeral
    dm = dc_fake.dm_channel(alice).id
    # the note links the DM (Discord's jump link for a channel outside any server)
    link = f"https://discord.com/channels/@me/{dm}"
    assert original.content == f"I've sent you a DM: see you there. {link}"

    welcome, question = await dc_fake.wait_dm(alice, 2)
    assert welcome.content.startswith("**Welcome to Kneecoach.**")
    assert question.custom_ids == ["kc|d:intake:consent:1:yes", "kc|d:intake:consent:1:no"]

    (ref, inbound), *_ = dc_coach.calls
    assert inbound == Command("start", "")
    assert ref == ConversationRef("discord", alice.id, dc_fake.dm_channel(alice).id, shared=False)
    assert dc_fake.public_guild_messages() == []


async def test_dm_channel_is_opened_once_and_kept_in_the_store(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_settings: DiscordSettings
) -> None:
    store = MemoryDMChannelStore()
    adapter = DiscordAdapter(dc_settings, dc_coach, dm_channel_store=store)
    await adapter.start()
    try:
        for command in ("start", "today", "progress"):
            interaction = await dc_fake.slash(dc_world.alice, dc_world.guild, command)
            await dc_fake.wait_original(interaction)
    finally:
        await adapter.stop()
    opens = [r for r in dc_fake.requests if r[:2] == ("POST", "/users/@me/channels")]
    assert len(opens) == 1
    assert await store.get(dc_world.alice.id) == dc_fake.dm_channel(dc_world.alice).id

    # a new process with a persistent store does not reopen it either
    adapter = DiscordAdapter(dc_settings, dc_coach, dm_channel_store=store)
    await adapter.start()
    try:
        interaction = await dc_fake.slash(dc_world.alice, dc_world.guild, "today")
        await dc_fake.wait_original(interaction)
    finally:
        await adapter.stop()
    assert len([r for r in dc_fake.requests if r[:2] == ("POST", "/users/@me/channels")]) == 1


async def test_slash_in_dm_answers_in_place(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    alice = dc_world.alice
    interaction = await dc_fake.slash(alice, None, "learn", {"topic": "stairs"})
    original = await dc_fake.wait_original(interaction)
    assert not original.ephemeral
    assert original.channel_id == dc_fake.dm_channel(alice).id
    assert original.content == "You asked for learn stairs"
    ref, inbound = dc_coach.calls[0]
    assert inbound == Command("learn", "stairs")
    assert ref.chat_id == dc_fake.dm_channel(alice).id and not ref.shared

    interaction = await dc_fake.slash(alice, None, "learn")
    await dc_fake.wait_original(interaction)
    assert dc_coach.calls[1][1] == Command("learn", "")


async def test_dm_reply_with_buttons_and_several_messages(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    dc_coach.script = lambda ref, inbound: [
        Reply("a", "First."),
        Reply("b", "Second?", buttons=((Button("Go", "a:go:1"),),)),
    ]
    interaction = await dc_fake.slash(dc_world.alice, None, "today")
    original = await dc_fake.wait_original(interaction)
    assert original.content == "First."
    await dc_fake.wait_for(lambda: len(interaction.followup_ids) == 1)
    (followup,) = dc_fake.interaction_messages(interaction)[1:]
    assert followup.content == "Second?" and followup.custom_ids == ["kc|a:go:1"]


async def test_dms_closed_gives_a_note_instead(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    carol = dc_world.carol
    interaction = await dc_fake.slash(carol, dc_world.guild, "start")
    original = await dc_fake.wait_original(interaction)
    assert original.ephemeral
    assert "couldn't send you a direct message" in original.content
    assert dc_fake.dm_messages(carol) == []
    assert dc_fake.public_guild_messages() == []


# --------------------------------------------------------------------------- typed text


async def test_dm_text_reaches_the_coach_as_text(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    alice = dc_world.alice
    await dc_fake.dm(alice, "it hurts going **down** stairs")
    (reply,) = await dc_fake.wait_dm(alice, 1)
    assert reply.content == "You said: it hurts going **down** stairs"
    await dc_fake.dm(alice, "/today")
    await dc_fake.wait_dm(alice, 2)
    # the bot's own messages (echoed by the gateway) never reach the coach
    assert [inbound for _, inbound in dc_coach.calls] == [
        Text("it hurts going **down** stairs"),
        Command("today", ""),
    ]
    assert all(ref.chat_id == dc_fake.dm_channel(alice).id for ref, _ in dc_coach.calls)


# --------------------------------------------------------------------------- buttons


async def test_press_reaches_the_coach_and_the_message_loses_its_buttons(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    alice = dc_world.alice
    await dc_fake.wait_original(await dc_fake.slash(alice, dc_world.guild, "start"))
    _, question = await dc_fake.wait_dm(alice, 2)

    press = await dc_fake.press(
        alice, question.channel_id, question.id, "kc|d:intake:consent:1:yes"
    )
    ack = await dc_fake.wait_dm(alice, 3)
    assert ack[-1].content == "Noted."
    assert press.response_type == 6 and (press.acknowledged_after or 9) < 3
    assert dc_coach.calls[-1][1] == Press("d:intake:consent:1:yes")
    assert dc_coach.calls[-1][0].chat_id == question.channel_id

    edited = dc_fake.messages[question.id]
    assert edited.components == []
    assert (
        edited.content
        == "Shall we start with a few questions? _It takes two minutes._\n\n\u2192 **Yes**"
    )


async def test_button_pressed_after_a_restart_still_works(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_settings: DiscordSettings
) -> None:
    alice = dc_world.alice
    first_coach = DcCoach()
    first = await dc_start_adapter(dc_settings, first_coach)
    try:
        await dc_fake.wait_original(await dc_fake.slash(alice, dc_world.guild, "start"))
        _, question = await dc_fake.wait_dm(alice, 2)
    finally:
        await first.stop()
    assert not dc_fake._ready_sessions()

    second_coach = DcCoach()
    second = await dc_start_adapter(dc_settings, second_coach)
    try:
        await dc_fake.press(alice, question.channel_id, question.id, "kc|d:intake:consent:1:no")
        await second_coach.wait_calls(1)
        await dc_fake.wait_dm(alice, 3)
    finally:
        await second.stop()
    assert second_coach.calls[0][1] == Press("d:intake:consent:1:no")
    assert dc_fake.messages[question.id].components == []
    assert len(first_coach.calls) == 1


async def test_a_club_post_press_edits_the_post_and_thanks_ephemerally(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    club = dc_world.guild.channel("club")
    done = Button("Done ✅", "a:club:1:2026-03-02")
    counts: list[str] = []

    def script(ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        assert ref.shared and ref.chat_id == club.id
        counts.append(ref.user_id)
        return [
            Reply(
                "club.daily",
                f"**Today's club prehab**\n\n{len(counts)} runners done today",
                buttons=((done,),),
                private=False,
                replaces_pressed=True,
            ),
            Reply("club.thanks", "Nice one!", private=False, ephemeral=True),
        ]

    dc_coach.script = script
    sent = await dc_adapter.send(
        ConversationRef("discord", "club", club.id, shared=True),
        [
            Reply(
                "club.daily",
                "**Today's club prehab**\n\n0 runners done today",
                buttons=((done,),),
                private=False,
            )
        ],
        "kc-ob-1",
    )
    assert isinstance(sent, Sent)
    (post_id,) = sent.message_ids
    for user in (dc_world.alice, dc_world.bob):
        press = await dc_fake.press(user, club.id, post_id, "kc|a:club:1:2026-03-02")
        await dc_fake.wait_for(lambda: len(press.followup_ids) == 1)  # noqa: B023
        (thanks,) = dc_fake.interaction_messages(press)
        assert thanks.ephemeral and thanks.content == "Nice one!"
        assert press.response_type == 6  # a deferred update of the pressed message
    assert dc_coach.calls[-1][1] == Press("a:club:1:2026-03-02")
    post = dc_fake.messages[post_id]
    assert post.content == "**Today's club prehab**\n\n2 runners done today"
    assert post.custom_ids == ["kc|a:club:1:2026-03-02"] and not post.ephemeral
    assert [m.id for m in dc_fake.public_guild_messages()] == [post_id]


async def test_a_private_replacement_never_lands_on_a_server_post(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    club = dc_world.guild.channel("club")
    dc_coach.script = lambda ref, inbound: [
        Reply("x", "SECRET: pain 6/10", replaces_pressed=True),  # private (the default)
        Reply("y", "Noted.", private=False, ephemeral=True),
    ]
    sent = await dc_adapter.send(
        ConversationRef("discord", "club", club.id, shared=True),
        [
            Reply(
                "club.daily", "Club post", buttons=((Button("Done", "a:club:1:d"),),), private=False
            )
        ],
        "kc-ob-2",
    )
    assert isinstance(sent, Sent)
    press = await dc_fake.press(dc_world.alice, club.id, sent.message_ids[0], "kc|a:club:1:d")
    await dc_fake.wait_for(lambda: len(press.followup_ids) == 2)  # "Noted." + the DM note
    assert all(m.ephemeral for m in dc_fake.interaction_messages(press))
    note = dc_fake.messages[press.followup_ids[1]]
    dm = dc_fake.dm_channel(dc_world.alice).id
    assert note.content.endswith(f" https://discord.com/channels/@me/{dm}")
    post = dc_fake.messages[sent.message_ids[0]]
    assert post.content == "Club post" and post.edits == []
    (secret,) = await dc_fake.wait_dm(dc_world.alice, 1)
    assert secret.content == "SECRET: pain 6/10"
    assert all("SECRET" not in m.content for m in dc_fake.guild_messages())


async def test_in_a_dm_a_replacement_edits_the_pressed_message(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    alice = dc_world.alice
    dc_coach.script = lambda ref, inbound: (
        [Reply("q", "Pick", buttons=((Button("A", "a:pick:a"), Button("B", "a:pick:b")),))]
        if isinstance(inbound, Text)
        else [
            Reply(
                "q",
                "Picked B",
                buttons=((Button("Undo", "a:pick:undo"),),),
                replaces_pressed=True,
            ),
            Reply("n", "Saved.", ephemeral=True),
            Reply("m", "Next thing."),
        ]
    )
    await dc_fake.dm(alice, "go")
    (question,) = await dc_fake.wait_dm(alice, 1)
    press = await dc_fake.press(alice, question.channel_id, question.id, "kc|a:pick:b")
    await dc_fake.wait_for(lambda: len(press.followup_ids) == 1)
    messages = await dc_fake.wait_dm(alice, 3)
    edited = dc_fake.messages[question.id]
    assert edited.content == "Picked B" and edited.custom_ids == ["kc|a:pick:undo"]
    assert [(m.content, m.ephemeral) for m in messages[1:]] == [
        ("Next thing.", False),
        ("Saved.", True),
    ]


# --------------------------------------------------------------------------- limits


async def test_long_content_is_split_within_2000(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    paragraphs = [f"Paragraph {i}: " + "knee " * 180 for i in range(8)]  # ~7300 characters
    dc_coach.script = lambda ref, inbound: [Reply("long", "\n\n".join(paragraphs))]
    await dc_fake.dm(dc_world.alice, "tell me everything")
    await dc_fake.wait_for(lambda: len(dc_coach.calls) == 1)
    await dc_fake.wait_dm(dc_world.alice, 4)
    messages = dc_fake.dm_messages(dc_world.alice)
    assert all(len(m.content) <= MAX_CONTENT for m in messages)
    joined = "\n\n".join(m.content for m in messages)
    assert joined == "\n\n".join(p.strip() for p in paragraphs)


async def test_many_buttons_are_split_into_rows_and_messages(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    rows = (
        tuple(Button(f"Day {d}", f"a:day:{d}") for d in range(12)),
        *(tuple(Button(f"Option {r}.{c}", f"a:opt:{r}.{c}") for c in range(4)) for r in range(5)),
    )
    dc_coach.script = lambda ref, inbound: (
        [Reply("pick", "Pick any.", buttons=rows)]
        if isinstance(inbound, Text)
        else [Reply("picked", f"Picked {inbound}")]
    )
    await dc_fake.dm(dc_world.alice, "options please")
    await dc_fake.wait_dm(dc_world.alice, 2)
    messages = dc_fake.dm_messages(dc_world.alice)
    assert len(messages) == 2
    for message in messages:
        assert len(message.rows) <= MAX_ROWS
        assert all(len(row) <= MAX_BUTTONS_PER_ROW for row in message.rows)
    custom_ids = [cid for m in messages for cid in m.custom_ids]
    assert len(custom_ids) == len(set(custom_ids)) == 32

    last = messages[-1]
    await dc_fake.press(dc_world.alice, last.channel_id, last.id, last.custom_ids[-1])
    await dc_coach.wait_calls(2)
    assert dc_coach.calls[-1][1] == Press("a:opt:4.3")


async def test_image_goes_as_an_attachment_with_alt_text(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    image = Picture(PNG, alt="Knee pain: 6 on Monday, 3 on Sunday", filename="week.png")
    dc_coach.script = lambda ref, inbound: [
        Reply("progress.chart", "Your week:", attachment=image)]
    await dc_fake.dm(dc_world.alice, "progress")
    (message,) = await dc_fake.wait_dm(dc_world.alice, 1)
    (attachment,) = message.attachments
    assert attachment.data == PNG and attachment.filename == "week.png"
    assert attachment.description == image.alt
    assert message.content == "Your week:"  # the alt text is the file's description


async def test_an_animation_and_a_document_go_as_attachments(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    still = Picture(PNG, alt="Squat: down and up", filename="squat.png")
    moving = Animation(b"GIF89a-frames", still, filename="squat.gif", width=480, height=360)
    doc = Document(b"%PDF-1.4 summary", "kneecoach-summary-2026-03-02.pdf", "application/pdf",
                   "A one-page summary for a clinician")
    dc_coach.script = lambda ref, inbound: [
        Reply("exercise.squat", "**Squat**", attachment=moving),
        Reply("summary.pdf", "Your summary for a physiotherapist.", attachment=doc),
    ]
    await dc_fake.dm(dc_world.alice, "summary")
    first, second = await dc_fake.wait_dm(dc_world.alice, 2)
    (gif,) = first.attachments
    assert (gif.data, gif.filename, gif.description) == (
        b"GIF89a-frames", "squat.gif", "Squat: down and up")
    assert first.content == "**Squat**"
    (pdf,) = second.attachments
    assert pdf.filename == "kneecoach-summary-2026-03-02.pdf" and pdf.data == doc.data
    assert pdf.description == "A one-page summary for a clinician"


# --------------------------------------------------------------------------- club commands


async def test_club_setup_needs_manage_server(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    club = dc_world.guild.channel("club")
    options = {"channel": club, "time": "07:30", "timezone": "Europe/London"}
    allowed = await dc_fake.slash(dc_world.alice, dc_world.guild, "club setup", options)
    denied = await dc_fake.slash(dc_world.bob, dc_world.guild, "club setup", options)
    opted = await dc_fake.slash(dc_world.bob, dc_world.guild, "club leaderboard", {"optin": True})
    for interaction in (allowed, denied, opted):
        original = await dc_fake.wait_original(interaction)
        assert original.ephemeral
    calls = {(ref.user_id, inbound): ref for ref, inbound in dc_coach.calls}
    general = dc_world.guild.channel("general").id
    guild = dc_world.guild.id
    setup = ClubCommand("setup", guild_id=guild, channel_id=club.id, channel_name="club",
                        time="07:30", timezone="Europe/London", bot_can_view=True,
                        bot_can_send=True)
    assert calls[(dc_world.alice.id, setup)] == ConversationRef(
        "discord", dc_world.alice.id, general, shared=True
    )
    assert (dc_world.bob.id, ClubCommand("denied")) in calls
    joined = ClubCommand("leaderboard", guild_id=guild, join=True, display_name="Bob")
    assert (dc_world.bob.id, joined) in calls
    assert dc_fake.messages[allowed.original_message_id or ""].content == (
        f"club: setup {guild}"
    )
    assert dc_fake.public_guild_messages() == []


async def test_club_commands_reach_the_engine_typed(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    alice, bob, guild = dc_world.alice, dc_world.bob, dc_world.guild
    club = guild.channel("club")
    spaced: dict[str, Any] = {"channel": club, "time": " 6 pm ", "timezone": " new  york "}
    offset: dict[str, Any] = {"channel": club, "time": "18 : 30", "timezone": "UTC + 5:30"}
    steps: list[tuple[FakeUser, str, dict[str, Any]]] = [
        (alice, "club setup", spaced),
        (alice, "club setup", offset),
        (alice, "club off", {}),
        (bob, "club off", {}),
        (bob, "club leaderboard", {"optin": False}),
    ]
    for user, command, options in steps:
        await dc_fake.wait_original(await dc_fake.slash(user, guild, command, options))
    commands = [(ref.user_id, inbound) for ref, inbound in dc_coach.calls]
    assert [(user, inbound) for user, inbound in commands] == [
        (alice.id, ClubCommand("setup", guild_id=guild.id, channel_id=club.id,
                               channel_name="club", time="6 pm", timezone="new  york",
                               bot_can_view=True, bot_can_send=True)),
        (alice.id, ClubCommand("setup", guild_id=guild.id, channel_id=club.id,
                               channel_name="club", time="18 : 30", timezone="UTC + 5:30",
                               bot_can_view=True, bot_can_send=True)),
        (alice.id, ClubCommand("off", guild_id=guild.id)),
        (bob.id, ClubCommand("denied")),
        (bob.id, ClubCommand("leaderboard", guild_id=guild.id)),
    ]
    general = guild.channel("general").id
    assert all(ref.shared and ref.chat_id == general for ref, _ in dc_coach.calls)


async def test_club_setup_reports_what_the_bot_may_do_in_the_channel(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_settings: DiscordSettings
) -> None:
    guild = dc_world.guild
    general, club = guild.channel("general"), guild.channel("club")
    extra = dc_fake.add_guild("Other", channels=("hidden",))
    dc_fake.restrict_bot(club, SEND_MESSAGES)  # an admin took Send Messages from the bot
    hidden = extra.channel("hidden")
    dc_fake.restrict_bot(hidden, VIEW_CHANNEL)  # ... or the whole channel
    dc_fake.set_permissions(extra, dc_world.alice, MEMBER_PERMISSIONS | MANAGE_GUILD)
    adapter = await dc_start_adapter(dc_settings, dc_coach)  # the server comes with it
    try:
        for where, channel in ((guild, club), (guild, general), (extra, hidden)):
            options = {"channel": channel, "time": "18:00", "timezone": "London"}
            slash = await dc_fake.slash(dc_world.alice, where, "club setup", options)
            await dc_fake.wait_original(slash)
    finally:
        await adapter.stop()
    facts = [
        (inbound.channel_name, inbound.bot_can_view, inbound.bot_can_send)
        for _, inbound in dc_coach.calls
        if isinstance(inbound, ClubCommand)
    ]
    assert facts == [("club", True, False), ("general", True, True), ("hidden", False, False)]


async def test_a_post_the_bot_may_not_make_is_not_permitted(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    club = dc_world.guild.channel("club")
    ref = ConversationRef("discord", "club", club.id, shared=True)
    post = [Reply("club.daily", "Today's club prehab", private=False)]
    dc_fake.restrict_bot(club, SEND_MESSAGES)
    refused = await dc_adapter.send(ref, post, "kc-ob-1")
    assert refused == NotPermitted("Discord 403 50013: Missing Permissions")
    dc_fake.restrict_bot(club, VIEW_CHANNEL)
    hidden = await dc_adapter.send(ref, post, "kc-ob-2")
    assert hidden == NotPermitted("Discord 403 50001: Missing Access")
    dc_fake.restrict_bot(club, 0)
    assert isinstance(await dc_adapter.send(ref, post, "kc-ob-3"), Sent)
    assert [m.content for m in dc_fake.bot_messages_in(club)] == ["Today's club prehab"]


async def test_a_note_to_someone_with_no_chat_id_goes_to_their_dm(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    alice = dc_world.alice
    ref = ConversationRef("discord", alice.id, "")  # a club admin, maybe never a runner
    result = await dc_adapter.send(ref, [Reply("club_admin.post_refused", "Heads up")], "n1")
    assert isinstance(result, Sent)
    assert [m.content for m in dc_fake.dm_messages(alice)] == ["Heads up"]
    assert dc_fake.public_guild_messages() == []


def test_display_names_are_kept_on_one_line() -> None:
    assert club_display_name("  Ann \n  R.  ") == "Ann R."
    assert len(club_display_name("x" * 90)) == 40


def test_every_piece_of_chrome_is_in_the_content() -> None:
    messages = dc_messages()
    for key in CONTENT_KEYS:
        assert key in messages, key
        assert messages.get(key).strip(), key
    for key in CONTENT_KEYS:
        if key.startswith(("commands.", "discord.command.", "discord.option.", "discord.group")):
            assert len(messages.get(key)) <= 100, key


async def test_club_command_in_a_dm_is_refused_without_the_coach(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    interaction = await dc_fake.slash(dc_world.alice, None, "club off")
    original = await dc_fake.wait_original(interaction)
    assert original.content == "Club commands work in a server channel."
    assert dc_coach.calls == []


async def test_nothing_private_is_ever_posted_in_a_server(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_adapter: DiscordAdapter
) -> None:
    def script(ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        if isinstance(inbound, ClubCommand):
            return [
                Reply(
                    "club.ok",
                    "Club post set.",
                    private=False,
                    buttons=((Button("Join", "a:join:1"),),),
                ),
                Reply("club.yours", "SECRET: your pain score is 6", private=True),
            ]
        if isinstance(inbound, Press):
            return [
                Reply("club.pressed", "Thanks!", private=False, chosen="Joined"),
                Reply("club.private", "SECRET: your streak is 4 days"),
            ]
        return [
            Reply("x", "SECRET: health talk", buttons=((Button("Ok", "a:ok:1"),),)),
            Reply("y", "Public-safe text", private=False),
        ]

    dc_coach.script = script
    alice, guild = dc_world.alice, dc_world.guild
    await dc_fake.wait_original(await dc_fake.slash(alice, guild, "start"))
    await dc_fake.wait_original(await dc_fake.slash(alice, guild, "today"))
    setup = await dc_fake.slash(
        alice,
        guild,
        "club setup",
        {"channel": guild.channel("club"), "time": "18:00", "timezone": "Europe/Paris"},
    )
    await dc_fake.wait_original(setup)
    await dc_fake.wait_for(lambda: len(dc_fake.interaction_messages(setup)) == 2)

    # proactive sends to the shared club channel drop private replies
    result = await dc_adapter.send(
        ConversationRef("discord", "club", guild.channel("club").id, shared=True),
        [
            Reply("club.daily", "Today's club session is up!", private=False),
            Reply("p", "SECRET: x"),
        ],
        "club:daily:1",
    )
    assert isinstance(result, Sent) and len(result.message_ids) == 1

    # a button on an ephemeral message in the server: private replies go to the DM
    join_message = next(m for m in dc_fake.guild_messages() if "kc|a:join:1" in m.custom_ids)
    assert join_message.ephemeral
    press = await dc_fake.press(alice, join_message.channel_id, join_message.id, "kc|a:join:1")
    await dc_fake.wait_for(lambda: any("streak" in m.content for m in dc_fake.dm_messages(alice)))
    await dc_fake.wait_for(lambda: len(press.followup_ids) == 2)  # "Thanks!" + the DM note
    thanks, note = (dc_fake.messages[i] for i in press.followup_ids)
    assert thanks.content == "Thanks!" and thanks.ephemeral and note.ephemeral
    assert dc_fake.messages[join_message.id].content.endswith("**Joined**")

    public = dc_fake.public_guild_messages()
    assert [m.content for m in public] == ["Today's club session is up!"]
    for message in dc_fake.guild_messages():
        assert "SECRET" not in message.content
    secrets_in_dm = [m.content for m in dc_fake.dm_messages(alice) if "SECRET" in m.content]
    assert len(secrets_in_dm) == 4


# --------------------------------------------------------------------------- Sender


async def test_send_delivers_to_the_stored_dm_channel(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    ref = dm_ref(dc_fake, dc_world.alice)
    result = await dc_adapter.send(
        ref,
        [
            Reply(
                "reminder", "Time for your **exercises**", buttons=((Button("Done", "a:done:1"),),)
            )
        ],
        "r1",
    )
    assert isinstance(result, Sent) and len(result.message_ids) == 1
    (message,) = dc_fake.dm_messages(dc_world.alice)
    assert message.id == result.message_ids[0]
    assert message.custom_ids == ["kc|a:done:1"]
    assert message.nonce is not None and len(str(message.nonce)) <= 25
    assert not any(r[:2] == ("POST", "/users/@me/channels") for r in dc_fake.requests)


async def test_private_replies_never_go_to_a_server_channel_even_if_the_ref_says_private(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_settings: DiscordSettings
) -> None:
    general = dc_world.guild.channel("general")
    store = MemoryDMChannelStore()
    await store.set(dc_world.alice.id, general.id)  # a corrupted store: a server channel
    adapter = DiscordAdapter(dc_settings, dc_coach, dm_channel_store=store)
    await adapter.start()
    try:
        wrong = ConversationRef("discord", dc_world.alice.id, general.id, shared=False)
        result = await adapter.send(wrong, [Reply("r", "SECRET: pain 7/10")], "k1")
        assert isinstance(result, Failed)
        mixed = await adapter.send(
            wrong, [Reply("p", "SECRET: pain 7/10"), Reply("q", "Club news", private=False)], "k2"
        )
        assert isinstance(mixed, Sent) and len(mixed.message_ids) == 1

        interaction = await dc_fake.slash(dc_world.alice, dc_world.guild, "start")
        await dc_fake.wait_original(interaction)
        await dc_fake.wait_dm(dc_world.alice, 2)  # the DM was reopened, not the server channel
        assert await store.get(dc_world.alice.id) == dc_fake.dm_channel(dc_world.alice).id
    finally:
        await adapter.stop()
    assert [m.content for m in dc_fake.public_guild_messages()] == ["Club news"]


async def test_send_to_closed_dms_is_blocked(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    result = await dc_adapter.send(dm_ref(dc_fake, dc_world.carol), [Reply("r", "hi")], "k")
    assert isinstance(result, Blocked)
    assert dc_fake.dm_messages(dc_world.carol) == []


async def test_a_short_429_is_waited_out(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    dc_fake.rate_limit_once(0.05)
    result = await dc_adapter.send(dm_ref(dc_fake, dc_world.alice), [Reply("r", "hello")], "k429")
    assert isinstance(result, Sent)
    assert len(dc_fake.rate_limited) == 1
    assert [m.content for m in dc_fake.dm_messages(dc_world.alice)] == ["hello"]


async def test_a_long_429_becomes_retry_after_and_nothing_is_lost_or_doubled(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    ref = dm_ref(dc_fake, dc_world.alice)
    replies = [Reply("a", "one"), Reply("b", "two")]
    dc_fake.rate_limit_once(120.0, after=1)  # the second message is limited
    first = await dc_adapter.send(ref, replies, "outbox:7")
    assert isinstance(first, RetryAfter) and first.seconds == 120.0
    assert [m.content for m in dc_fake.dm_messages(dc_world.alice)] == ["one"]

    retry = await dc_adapter.send(ref, replies, "outbox:7")  # the outbox retries the same row
    assert isinstance(retry, Sent) and len(retry.message_ids) == 2
    assert [m.content for m in dc_fake.dm_messages(dc_world.alice)] == ["one", "two"]


async def test_nonce_reuse_does_not_duplicate(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    ref = dm_ref(dc_fake, dc_world.alice)
    a = await dc_adapter.send(ref, [Reply("r", "same")], "outbox:1")
    b = await dc_adapter.send(ref, [Reply("r", "same")], "outbox:1")
    c = await dc_adapter.send(ref, [Reply("r", "same")], "outbox:2")
    assert isinstance(a, Sent) and isinstance(b, Sent) and isinstance(c, Sent)
    assert a.message_ids == b.message_ids != c.message_ids
    assert len(dc_fake.dm_messages(dc_world.alice)) == 2
    assert creates_in(dc_fake, ref.chat_id) == 3  # three requests, two messages


async def test_server_errors_retry_and_client_errors_fail(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_adapter: DiscordAdapter
) -> None:
    ref = dm_ref(dc_fake, dc_world.alice)
    dc_fake.fail_once(503)
    assert isinstance(await dc_adapter.send(ref, [Reply("r", "x")], "e1"), Unreachable)
    unknown = ConversationRef("discord", dc_world.alice.id, "123456789")
    assert isinstance(await dc_adapter.send(unknown, [Reply("r", "x")], "e2"), Failed)
    assert isinstance(
        await dc_adapter.send(ConversationRef("telegram", "1", "2"), [Reply("r", "x")], "e3"),
        Failed,
    )
    assert dc_fake.dm_messages(dc_world.alice) == []


async def test_send_when_not_running_asks_to_retry(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_settings: DiscordSettings
) -> None:
    adapter = DiscordAdapter(dc_settings, dc_coach)
    result = await adapter.send(dm_ref(dc_fake, dc_world.alice), [Reply("r", "x")], "k")
    assert isinstance(result, RetryAfter)


async def test_late_interactions_do_not_reach_the_coach(dc_coach: DcCoach) -> None:
    # A fake whose deadline has always passed: every acknowledgement answers 10062.
    fake = FakeDiscord(interaction_deadline_s=-1.0)
    async with fake:
        alice = fake.add_user("alice")
        guild = fake.add_guild("Late")
        settings = DiscordSettings(
            token=fake.token, api_base=fake.api_base, guild_ready_timeout=0.05
        )
        adapter = await dc_start_adapter(settings, dc_coach)
        try:
            interaction = await fake.slash(alice, guild, "start")
            await fake.wait_for(lambda: interaction.late)
            await fake.dm(alice, "sync point")  # handled after the slash command
            await dc_coach.wait_calls(1)
        finally:
            await adapter.stop()
    assert [inbound for _, inbound in dc_coach.calls] == [Text("sync point")]


async def test_stop_lets_a_handler_in_flight_finish(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_settings: DiscordSettings
) -> None:
    release = asyncio.Event()

    class SlowCoach(DcCoach):
        async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
            replies = await super().handle(ref, inbound)
            await release.wait()
            return replies

    coach = SlowCoach()
    adapter = await dc_start_adapter(dc_settings, coach)
    await dc_fake.dm(dc_world.alice, "slow one")
    await coach.wait_calls(1)
    stopping = asyncio.create_task(adapter.stop())
    await asyncio.sleep(0)  # let stop() start waiting on the handler
    assert not stopping.done()
    release.set()
    await stopping
    assert [m.content for m in dc_fake.dm_messages(dc_world.alice)] == ["You said: slow one"]

"""End to end on Discord: the REAL Coach, the real DiscordAdapter (real discord.py) and the
loopback fake Discord, with a FakeClock driving the real Ticker and DeliveryWorker.

Nothing sleeps on the wall clock: each step waits, with a timeout, for the coach to have
answered and for the fake to hold what the adapter sent. Time moves only when a test
advances the FakeClock (``bot.schedule.simulate.advance``: tick at each due instant).

Steps are small functions so each test plays the part of the story it is about; the last
test plays all of it and then audits every message the bot ever put in the server.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord import DiscordAdapter, DiscordSettings
from bot.adapters.discord.render import CONTINUATION, render_markup, render_replies
from bot.domain.clock import FakeClock
from bot.domain.events import ClubCommand, ConversationRef, Press, Reply
from bot.engine.coach import Coach
from bot.schedule.inbox import Dispatcher
from bot.schedule.simulate import advance
from bot.schedule.ticker import Ticker
from bot.schedule.worker import DeliveryWorker
from bot.store.dm_channels import StoredDMChannels
from tests.fakes.discord_api import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    SEND_MESSAGES,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
    FakeUser,
)
from tests.support.content import open_test_coach
from tests.support.recorder import Recorder

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 06:00 in London (GMT in March)
MONDAY = START.date()
CLUB_TIME = "12:00"
WITHIN = 10.0  # seconds any one wait may take before the test fails

PFP_ANSWERS = [
    "Behind or around the kneecap",
    "Left",
    "2 to 6 weeks",
    "Yes",  # worse down stairs
    "Yes",  # downhill
    "Yes",  # squatting or sitting
    "No",  # swelling
    "No",  # locking or giving way
    "No",  # injury
    "No",  # surgery
    "No",  # night pain
    "No",  # hot or red
    "about 25",
    "No race planned",
]


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    fake: FakeDiscord
    coach: Coach
    port: Recorder
    clock: FakeClock
    settings: DiscordSettings
    guild: FakeGuild
    alice: FakeUser  # Manage Server; a runner
    bob: FakeUser  # a plain member
    carol: FakeUser  # a plain member whose DMs are closed from the start
    dave: FakeUser  # a runner who closes his DMs later
    worker: DeliveryWorker
    ticker: Ticker
    adapter: DiscordAdapter = field(init=False)  # the running one (start_adapter)
    adapters: list[DiscordAdapter] = field(default_factory=list)
    inboxes: list[Dispatcher] = field(default_factory=list)

    # ----- the bot's side

    async def start_adapter(self) -> DiscordAdapter:
        """The adapter as ``kneecoach run`` wires it: what people type in a DM goes through
        the inbox (on the coach's store and clock)."""
        inbox = Dispatcher(self.coach.stores, self.port, self.clock)
        adapter = DiscordAdapter(
            self.settings, self.port, dm_channel_store=StoredDMChannels(self.coach.stores.db),
            inbox=inbox,
        )
        inbox.senders["discord"] = adapter
        self.inboxes.append(inbox)
        await adapter.start()
        self.adapters.append(adapter)
        self.adapter = adapter
        self.worker.senders["discord"] = adapter
        return adapter

    async def restart(self) -> None:
        """Stop the Discord client and start a brand-new adapter on the same coach/db."""
        await self.inboxes[-1].stop(2.0)
        await self.adapter.stop()
        await self.fake.wait_for(lambda: not self.fake._ready_sessions(), within=WITHIN)
        await self.start_adapter()

    async def settled(self) -> None:
        """Until the adapter's handlers in flight and the inbox are done."""
        for _ in range(int(WITHIN / 0.01)):
            await self.inboxes[-1].idle()
            if all(t.done() for t in self.adapter.inbound.inflight):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the adapter's handlers did not finish")

    async def advance(self, delta: timedelta) -> None:
        await advance(self.ticker, self.clock, delta)

    async def advance_to(self, when: datetime) -> None:
        await self.advance(when - self.clock.now())

    def text(self, key: str, **values: object) -> str:
        """A content string as the adapter renders it for Discord."""
        return render_markup(self.coach.text(key, **values))

    # ----- a person's side

    async def _turn(
        self, user: FakeUser, act: Callable[[], Awaitable[Any]]
    ) -> tuple[list[Reply], Any]:
        """Do something that reaches the coach in ``user``'s DM; wait until the adapter has
        delivered every reply there. Returns the replies and what ``act`` returned."""
        index = len(self.port.calls)
        before = len(self.fake.dm_messages(user))
        result = await act()
        call = (await self.port.wait_calls(index + 1))[index]
        assert call.ref.user_id == user.id
        # every reply is in the DM (as new messages, or in the pressed one: a question that
        # joins the pressed message is an edit of it)
        wanted = before + len(render_replies(r for r in call.replies if not r.joins_pressed))
        await self.fake.wait_dm(user, wanted, within=WITHIN)
        await self.settled()
        return call.replies, result

    async def slash_start(self, user: FakeUser) -> tuple[list[str], FakeMessage]:
        """``/knee start`` in the server: returns the keys sent to the DM and the ephemeral
        answer in the server."""

        async def act() -> FakeInteraction:
            return await self.fake.slash(user, self.guild, "start")

        replies, interaction = await self._turn(user, act)
        original = await self.fake.wait_original(interaction, within=WITHIN)
        return [k for r in replies for k in r.keys], original

    async def say(self, user: FakeUser, text: str) -> list[str]:
        """``user`` types ``text`` in their DM with the bot."""
        replies, _ = await self._turn(user, lambda: self.fake.dm(user, text))
        return [k for r in replies for k in r.keys]

    def newest_with_button(self, user: FakeUser, label: str) -> tuple[FakeMessage, str]:
        for message in reversed(self.fake.dm_messages(user)):
            for button in message.buttons:
                if button.get("label") == label:
                    return message, str(button["custom_id"])
        shown = [b.get("label") for m in self.fake.dm_messages(user)[-3:] for b in m.buttons]
        raise AssertionError(f"no button {label!r} in {user.username}'s DM; recent: {shown}")

    async def press(self, user: FakeUser, label: str) -> list[str]:
        """``user`` taps the newest button labelled ``label`` in their DM."""
        message, custom_id = self.newest_with_button(user, label)
        replies, _ = await self._turn(
            user, lambda: self.fake.press(user, message.channel_id, message.id, custom_id)
        )
        return [k for r in replies for k in r.keys]

    async def press_in_server(
        self, user: FakeUser, message: FakeMessage, custom_id: str
    ) -> list[FakeMessage]:
        """``user`` taps a button on a message in a server channel: the ephemeral answers."""
        index = len(self.port.calls)
        interaction = await self.fake.press(user, message.channel_id, message.id, custom_id)
        call = (await self.port.wait_calls(index + 1))[index]
        expected = len(render_replies(r for r in call.replies if not r.replaces_pressed))
        await self.fake.wait_for(
            lambda: len(interaction.followup_ids) >= expected, within=WITHIN, what="followups"
        )
        return [self.fake.messages[i] for i in interaction.followup_ids]

    async def club_command(
        self, user: FakeUser, command: str, options: dict[str, Any] | None = None
    ) -> FakeMessage:
        interaction = await self.fake.slash(user, self.guild, f"club {command}", options)
        return await self.fake.wait_original(interaction, within=WITHIN)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock(START)
    coach = await open_test_coach(tmp_path / "k.db", clock=clock)
    worker = DeliveryWorker(coach.stores, coach, {}, clock)  # the adapter joins in start_adapter
    ticker = Ticker(coach.stores.outbox, worker, clock)
    try:
        async with FakeDiscord() as fake:
            alice = fake.add_user("alice")
            bob = fake.add_user("bob")
            carol = fake.add_user("carol")
            dave = fake.add_user("dave")
            guild = fake.add_guild("Runners Club", channels=("general", "club"))
            fake.set_permissions(guild, alice, MEMBER_PERMISSIONS | MANAGE_GUILD)
            for member in (bob, carol, dave):
                fake.set_permissions(guild, member, MEMBER_PERMISSIONS)
            fake.close_dms(carol)
            settings = DiscordSettings(
                token=fake.token, api_base=fake.api_base, guild_ready_timeout=0.05
            )
            w = World(
                fake, coach, Recorder(coach), clock, settings, guild, alice, bob, carol, dave,
                worker=worker, ticker=ticker,
            )  # fmt: skip
            try:
                await w.start_adapter()
                yield w
            finally:
                for inbox in w.inboxes:
                    await inbox.stop(2.0)
                for adapter in w.adapters:
                    await adapter.stop()
    finally:
        await coach.close()


# --------------------------------------------------------------------------- the steps


async def enrol(w: World, user: FakeUser) -> None:
    """(a) ``/knee start`` in the server, then the whole intake in the DM: buttons pressed,
    answers typed, up to the programme starting at 07:30 London on Mon, Wed, Fri."""
    keys, note = await w.slash_start(user)
    assert keys == ["start.welcome", "intake.ask.consent"]
    assert note.ephemeral and note.channel_id == w.guild.channel("general").id
    dm = w.fake.dm_channel(user).id
    assert note.content == w.text(
        "discord.continued_in_dm", link=f"https://discord.com/channels/@me/{dm}"
    )
    assert note.content.endswith(f" https://discord.com/channels/@me/{dm}")  # a jump link

    assert await w.press(user, "I agree") == ["intake.ask.age"]
    consent = next(m for m in w.fake.dm_messages(user) if "→ **I agree**" in m.content)
    # Reply.chosen: the question shows the choice, and (joins_pressed) became the next one
    assert "how old" in consent.content.lower()
    assert consent.custom_ids and all(c.startswith("kc|d:intake:age:")
                                      for c in consent.custom_ids)
    assert await w.press(user, "18 or over") == ["intake.ask.story"]
    assert (await w.say(user, "skip"))[-1] == "intake.ask.location"
    for label in PFP_ANSWERS[:-1]:
        keys = await w.press(user, label)
        assert keys[-1].startswith("intake.ask."), (label, keys)
    assert await w.press(user, PFP_ANSWERS[-1]) == ["safety.pfp_program", "intake.ask.offer"]
    title = plain(w.coach.bundle.content().safety.messages()["pfp_program"].title)
    # the triage answer, in the DM
    assert any(title in plain(m.content) for m in w.fake.dm_messages(user))
    assert await w.press(user, "Yes, let's start") == ["intake.ask.reminder_time"]
    assert await w.say(user, "07:30") == ["intake.ask.timezone"]
    assert await w.say(user, "London") == ["intake.ask.strength_days"]
    assert await w.press(user, "Mon, Wed, Fri") == ["intake.ask.has_band"]
    for answer in ["No", "Yes", "Yes"]:
        await w.press(user, answer)
    keys = await w.press(user, "About 20 minutes")
    assert keys[0] == "programme.started", keys
    for answer in ["Some difficulty"] * 4:
        await w.press(user, answer)
    keys = await w.press(user, "Slight difficulty")
    assert keys == ["function.baseline", "running.start.hold", "today.session"], keys
    # each question fit one message: no option spilled into a follow-on "…" message
    assert all(m.content != render_markup(CONTINUATION) for m in w.fake.dm_messages(user))

    db_user = await w.coach.users.find("discord", user.id)
    assert db_user is not None and db_user.chat_id == w.fake.dm_channel(user).id
    reminder = await w.coach.stores.programme.reminder(db_user.id)
    assert reminder is not None
    assert (reminder.local_time, reminder.timezone) == ("07:30", "Europe/London")


def reminders_in(w: World, user: FakeUser) -> list[FakeMessage]:
    """The daily prompts (the message with Done / part / skip / snooze) in ``user``'s DM,
    answered ones included (they have lost their buttons to an edit)."""
    return [
        m
        for m in w.fake.dm_messages(user)
        if any(cid.startswith("kc|d:daily:session:") for cid in m.custom_ids)
        or any(e["content"] and "kc|d:daily:session:" in str(e["components"]) for e in m.edits)
    ]


async def daily_reminder_at_0730(w: World, user: FakeUser) -> FakeMessage:
    """(b) Monday's reminder: nothing at 07:29, everything at 07:30 London, through the
    ticker and the delivery worker into ``user``'s DM."""
    before = len(w.fake.dm_messages(user))
    await w.advance_to(datetime(2026, 3, 2, 7, 29, tzinfo=UTC))
    assert len(w.fake.dm_messages(user)) == before
    await w.advance(timedelta(minutes=1))
    new = w.fake.dm_messages(user)[before:]
    assert new, "no reminder at 07:30"
    assert new[0].content.startswith(w.text("daily.greeting"))
    prompt = new[-1]
    labels = [b["label"] for b in prompt.buttons]
    assert labels[-5:] == ["Done ✅", "Did part of it", "Short version", "Skip today",
                      "Snooze 1 hour"]
    db_user = await w.coach.users.find("discord", user.id)
    assert db_user is not None
    row = await w.coach.stores.db.fetchone(
        "SELECT status, due_at, sent_at FROM outbox WHERE user_id=? AND kind='daily'"
        " ORDER BY id DESC LIMIT 1",
        (db_user.id,),
    )
    assert row is not None and row["status"] == "sent"
    assert row["due_at"].startswith("2026-03-02T07:30") and row["sent_at"].startswith(
        "2026-03-02T07:30"
    )
    # proactive messages carry a nonce (the outbox row's idempotency key)
    assert all(m.nonce for m in new)
    return prompt


async def press_done_after_a_restart(w: World, user: FakeUser, prompt: FakeMessage) -> None:
    """(c) The client restarts; Done on the pre-restart reminder still reaches the coach."""
    old = w.adapter
    await w.restart()
    assert w.adapter is not old
    custom_id = next(cid for cid in prompt.custom_ids if cid.endswith(":done"))
    keys = await w.press(user, "Done ✅")
    assert keys and keys[0] == "daily.recorded.done", keys
    pressed = w.fake.messages[prompt.id]
    assert "→ **Done ✅**" in pressed.content  # and then the next question, or no buttons
    assert not any(c.startswith("kc|d:daily:session:") for c in pressed.custom_ids)
    assert w.port.calls[-1].inbound == Press(custom_id.removeprefix("kc|"))
    db_user = await w.coach.users.find("discord", user.id)
    assert db_user is not None
    assert await w.coach.stores.programme.sessions(db_user.id) == {MONDAY: "done"}


async def club_setup_admin_only(w: World) -> None:
    """(d) ``/knee club setup``: an admin is answered with setup_done; a member is refused."""
    club = w.guild.channel("club")
    options = {"channel": club, "time": f" {CLUB_TIME} ", "timezone": "London"}
    refused = await w.club_command(w.bob, "setup", options)
    assert refused.ephemeral and refused.content == w.text("club.denied")
    assert w.port.calls[-1].inbound == ClubCommand("denied")

    done = await w.club_command(w.alice, "setup", options)
    assert done.ephemeral
    assert done.content == w.text(
        "club.setup_done",
        channel="club",
        time=CLUB_TIME,
        zone="Europe/London",
        first="Mon 02 Mar 12:00",
    )
    assert "#club" in done.content  # the confirmation names the channel
    call = w.port.calls[-1]
    assert call.inbound == ClubCommand(
        "setup", guild_id=w.guild.id, channel_id=club.id, channel_name="club",
        time=CLUB_TIME, timezone="London", bot_can_view=True, bot_can_send=True,
    )
    assert call.ref == ConversationRef(
        "discord", w.alice.id, w.guild.channel("general").id, shared=True
    )
    assert w.fake.public_guild_messages() == []


async def club_post_and_three_dones(w: World) -> FakeMessage:
    """(e) The club post arrives in #club at 12:00 London through the ticker; three members
    press Done; the post itself now says "3 runners done today" and keeps its button."""
    club = w.guild.channel("club")
    await w.advance_to(datetime(2026, 3, 2, 11, 59, tzinfo=UTC))
    assert w.fake.bot_messages_in(club) == []
    await w.advance(timedelta(minutes=1))
    (post,) = w.fake.bot_messages_in(club)
    assert not post.ephemeral and post.guild_id == w.guild.id
    assert post.content.startswith(w.text("club.daily_title"))
    assert post.content.endswith(w.text("club.counter", count=0))
    done_id = f"kc|a:club:1:{MONDAY.isoformat()}"
    assert post.custom_ids == [done_id]

    for count, member in enumerate((w.alice, w.bob, w.carol), start=1):
        (thanks,) = await w.press_in_server(member, post, done_id)
        assert thanks.ephemeral and thanks.content == w.text("club.thanks")
        counter = "club.counter_one" if count == 1 else "club.counter"
        assert w.fake.messages[post.id].content.endswith(w.text(counter, count=count))
    (again,) = await w.press_in_server(w.alice, post, done_id)
    assert again.ephemeral and again.content == w.text("club.already_done")

    post = w.fake.messages[post.id]
    assert post.content.endswith("3 runners done today")
    assert post.custom_ids == [done_id] and not post.ephemeral  # same Done button, in place
    assert [m.id for m in w.fake.public_guild_messages()] == [post.id]  # edited, not reposted
    return post


async def closed_dms_block_one_runner(w: World) -> None:
    """(f) dave closes his DMs: his next reminder is Blocked, he is made inactive and gets
    nothing more; alice keeps getting hers."""
    monday_after_reminders = datetime(2026, 3, 2, 7, 31, tzinfo=UTC)
    if w.clock.now() < monday_after_reminders:
        await w.advance_to(monday_after_reminders)
    await enrol(w, w.dave)  # his first reminder is Tuesday's
    w.fake.close_dms(w.dave)
    dave_dm = w.fake.dm_channel(w.dave).id
    dave_before = len(w.fake.dm_messages(w.dave))
    alice_before = len(reminders_in(w, w.alice))
    closed_at = len(w.fake.requests)

    def tries() -> list[tuple[str, str, int]]:
        path = f"/channels/{dave_dm}/messages"
        return [r for r in w.fake.requests[closed_at:] if r[:2] == ("POST", path)]

    await w.advance_to(datetime(2026, 3, 3, 7, 31, tzinfo=UTC))  # Tuesday
    assert [status for _, _, status in tries()] == [403]  # 50007 -> Blocked, no more tries
    dave = await w.coach.users.find("discord", w.dave.id)
    assert dave is not None and not dave.active
    row = await w.coach.stores.db.fetchone(
        "SELECT status FROM outbox WHERE user_id=? AND kind='daily' ORDER BY id DESC LIMIT 1",
        (dave.id,),
    )
    assert row is not None and row["status"] == "blocked"
    assert len(reminders_in(w, w.alice)) == alice_before + 1

    await w.advance_to(datetime(2026, 3, 4, 7, 31, tzinfo=UTC))  # Wednesday
    assert len(tries()) == 1  # nothing more was even attempted
    assert len(w.fake.dm_messages(w.dave)) == dave_before
    assert len(reminders_in(w, w.alice)) == alice_before + 2


async def weekly_summary(w: World) -> None:
    """The club's weekly summary goes to #club on Sunday at the club's time."""
    club = w.guild.channel("club")
    await w.advance_to(datetime(2026, 3, 8, 12, 1, tzinfo=UTC))
    head = w.text("club.weekly").split("{")[0].rstrip()
    summaries = [m for m in w.fake.bot_messages_in(club) if m.content.startswith(head)]
    assert len(summaries) == 1
    assert "3 routines done by 3 runners" in summaries[0].content


def plain(text: str) -> str:
    """Discord text without markdown or escapes, lower case, on one line."""
    return " ".join(re.sub(r"[\\*_]", "", text).lower().split())


def audit_the_server(w: World) -> None:
    """(g) Over everything the fake recorded: no health content ever reached a server
    channel. Public there: club posts and weekly summaries only; everything else is an
    ephemeral note from a short, known list."""
    coach = w.coach
    forbidden = ["pain"]
    forbidden += [plain(m.title) for m in coach.bundle.content().safety.messages().values()]
    forbidden += [
        plain(step.text)[:40]
        for dialog in coach.bundle.content().dialogs.values()
        for step in dialog.steps.values()
        if step.text
    ]
    forbidden += [plain(coach.text(k)) for k in ("daily.greeting", "programme.needs_start")]
    forbidden += [plain(label) for label in PFP_ANSWERS if len(label) > 3]

    daily_title = w.text("club.daily_title")
    weekly_head = w.text("club.weekly").split("{")[0].rstrip()
    notes = {
        w.text(key)
        for key in (
            "discord.dms_closed",
            "club.denied",
            "club.thanks",
            "club.already_done",
            "club.post_closed",
        )
    }
    setup_head = w.text("club.setup_done").split("{")[0]
    # "I've sent you a direct message", with the link to the member's own DM
    dm_note = re.compile(
        re.escape(w.text("discord.continued_in_dm").split("{")[0])
        + r"https://discord\.com/channels/@me/\d+"
    )
    club_channel = w.guild.channel("club").id

    in_server = w.fake.guild_messages()
    assert in_server, "the audit needs something to look at"
    for message in in_server:
        versions = [message.content, *(str(edit["content"]) for edit in message.edits)]
        for version in versions:
            text = plain(version)
            leaked = [f for f in forbidden if f and f in text]
            assert not leaked, (leaked, version)
        if message.ephemeral:
            assert (
                message.content in notes
                or message.content.startswith(setup_head)
                or dm_note.fullmatch(message.content)
            ), message
        else:
            assert message.channel_id == club_channel, message
            assert message.content.startswith((daily_title, weekly_head)), message
    # The net catches what it should: a runner's DM (when there is one) trips it often.
    dm = [plain(m.content) for m in w.fake.dm_messages(w.alice)]
    if dm:
        caught = {f for f in forbidden if any(f in text for text in dm)}
        assert plain(coach.bundle.content().safety.messages()["pfp_program"].title) in caught
        assert "pain" in caught and len(caught) > 10, caught


# --------------------------------------------------------------------------- the tests


async def test_intake_from_a_server_runs_in_the_dm(world: World) -> None:
    """(a) + (g): a slash command in the server, the whole intake and triage in the DM."""
    await enrol(world, world.alice)
    assert world.fake.public_guild_messages() == []
    assert all(not call.ref.shared for call in world.port.calls)
    audit_the_server(world)


async def test_closed_dms_at_start_get_a_note_in_the_server_only(world: World) -> None:
    """A member whose DMs are closed is told so, privately, and nothing else happens."""
    interaction = await world.fake.slash(world.carol, world.guild, "start")
    note = await world.fake.wait_original(interaction, within=WITHIN)
    assert note.ephemeral and note.content == world.text("discord.dms_closed")
    assert world.fake.dm_messages(world.carol) == []
    assert world.fake.public_guild_messages() == []


async def test_a_first_start_lost_to_closed_dms_is_a_welcome_later(world: World) -> None:
    """carol's first /knee start never reached her (DMs closed); once she opens them,
    /knee start welcomes her and asks for consent, rather than "Welcome back"."""
    interaction = await world.fake.slash(world.carol, world.guild, "start")
    note = await world.fake.wait_original(interaction, within=WITHIN)
    assert note.content == world.text("discord.dms_closed")
    world.fake.open_dms(world.carol)
    keys, _ = await world.slash_start(world.carol)
    assert keys == ["start.welcome", "intake.ask.consent"]
    (question,) = world.fake.dm_messages(world.carol)  # the welcome opens the question
    assert question.content.startswith(world.text("start.welcome"))
    assert [b["label"] for b in question.buttons] == ["I agree", "No thanks"]


async def test_texts_name_the_knee_commands(world: World) -> None:
    """Help and hints name the commands as members call them on Discord: /knee <name>."""
    alice = world.alice
    assert await world.say(alice, "/help") == ["help.text"]
    helped = world.fake.dm_messages(alice)[-1].content
    for called in ("/knee start", "/knee export", "/knee checkin", "/knee exercise clamshell"):
        assert called in helped, called
    called_as = set(re.findall(r"(?:^|(?<=[\s(]))/([a-z]+)", helped, flags=re.M))
    assert called_as == {"knee"}, called_as  # never a bare /start
    assert await world.say(alice, "how are you") == ["idle.text"]
    assert "/knee today" in world.fake.dm_messages(alice)[-1].content
    # a club hint names the club's command once, however it is written in content
    usage = await world.club_command(
        alice, "setup", {"channel": world.guild.channel("club"), "time": "25:99",
                         "timezone": "London"}
    )
    assert "/knee club setup" in world.text("club.setup_usage")
    assert usage.content == world.text("club.bad_time")
    assert "/knee knee" not in world.text("club.off")


async def test_reminder_at_0730_london_and_a_press_after_a_restart(world: World) -> None:
    """(b) + (c)."""
    await enrol(world, world.alice)
    prompt = await daily_reminder_at_0730(world, world.alice)
    await press_done_after_a_restart(world, world.alice, prompt)
    audit_the_server(world)


async def test_club_setup_is_for_admins(world: World) -> None:
    """(d)."""
    await club_setup_admin_only(world)
    audit_the_server(world)


async def test_club_post_counts_dones_in_place(world: World) -> None:
    """(e), including a member whose DMs are closed (the club needs no DM)."""
    await club_setup_admin_only(world)
    await club_post_and_three_dones(world)
    audit_the_server(world)


async def test_a_club_channel_the_bot_may_not_post_in(world: World) -> None:
    """Setup in a channel where the bot may not send is refused, naming the channel; once
    allowed, setup names it. When the channel's permissions later refuse the post, the
    admin is told in a DM (never in the server), and the third refusal in a row switches
    the post off, which the admin is told too."""
    w, alice = world, world.alice
    club = w.guild.channel("club")
    options = {"channel": club, "time": CLUB_TIME, "timezone": "London"}
    w.fake.restrict_bot(club, SEND_MESSAGES)
    await w.restart()  # the client learns the channel's permissions with the server
    refused = await w.club_command(alice, "setup", options)
    assert refused.ephemeral and refused.content == w.text("club_admin.cannot_post",
                                                           channel="club")
    assert "#club" in refused.content
    assert await w.coach.stores.clubs.of_guild("discord", w.guild.id) is None

    w.fake.restrict_bot(club, 0)
    await w.restart()
    done = await w.club_command(alice, "setup", options)
    assert done.content.startswith(w.text("club.setup_done").split("#")[0] + "#club ")

    w.fake.restrict_bot(club, SEND_MESSAGES)  # an admin changes the channel later
    posts = f"/channels/{club.id}/messages"

    def tries() -> list[int]:
        return [status for m, path, status in w.fake.requests if (m, path) == ("POST", posts)]

    await w.advance_to(datetime(2026, 3, 2, 12, 1, tzinfo=UTC))  # Monday's post
    assert tries() == [403]
    (note,) = w.fake.dm_messages(alice)
    assert note.content == w.text("club_admin.post_refused", channel="club", limit=3)
    await w.advance_to(datetime(2026, 3, 4, 12, 1, tzinfo=UTC))  # Tuesday, Wednesday
    assert tries() == [403, 403, 403]
    notes = [m.content for m in w.fake.dm_messages(alice)]
    assert notes == [
        w.text("club_admin.post_refused", channel="club", limit=3),
        w.text("club_admin.post_refused", channel="club", limit=3),
        w.text("club_admin.switched_off", channel="club", limit=3),
    ]
    assert "/knee club setup" in notes[-1]
    club_row = await w.coach.stores.clubs.of_guild("discord", w.guild.id)
    assert club_row is not None and not club_row.active

    w.fake.restrict_bot(club, 0)
    await w.advance_to(datetime(2026, 3, 6, 12, 1, tzinfo=UTC))
    assert tries() == [403, 403, 403]  # switched off: nothing more is tried
    assert w.fake.public_guild_messages() == []
    assert all(m.ephemeral for m in w.fake.guild_messages())


async def test_closed_dms_block_only_that_runner(world: World) -> None:
    """(f)."""
    await enrol(world, world.alice)
    await closed_dms_block_one_runner(world)
    audit_the_server(world)


async def test_the_whole_story_leaks_nothing_into_the_server(world: World) -> None:
    """(a) to (f) in one timeline, the week's summary, then (g) over every record."""
    await enrol(world, world.alice)
    prompt = await daily_reminder_at_0730(world, world.alice)
    await press_done_after_a_restart(world, world.alice, prompt)
    await club_setup_admin_only(world)
    post = await club_post_and_three_dones(world)
    await closed_dms_block_one_runner(world)
    await weekly_summary(world)
    # After another restart, Monday's post still answers its button (a persistent
    # KneeButton), but can no longer be ticked: the counter on it stays as it was.
    await world.restart()
    (closed,) = await world.press_in_server(world.bob, post, post.custom_ids[0])
    assert closed.ephemeral and closed.content == world.text("club.post_closed")
    assert world.fake.messages[post.id].content.endswith("3 runners done today")
    audit_the_server(world)

"""Fixtures for the Discord adapter tests (all named ``dc_*``).

``dc_fake`` is a started, empty :class:`FakeDiscord`; ``dc_world`` fills it with one server
("Runners Club", channels #general and #club) and three people: ``alice`` (Manage Server),
``bob`` (a plain member) and ``carol`` (DMs closed). ``dc_coach`` is a small scripted coach
(:class:`DcCoach`) that records every call. ``dc_adapter`` is the real
:class:`DiscordAdapter` (real discord.py) connected to the fake; ``dc_start_adapter`` starts
more of them (restart tests).

The test modules import what they use, so nothing needs registering. To offer the fixtures
to every test in a directory, put ``from tests.adapters.discord_conftest import *  # noqa:
F403`` in its conftest.py (``__all__`` holds only ``dc_*``/``Dc*``/``DC_*`` names).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import pytest

from bot.adapters.discord import DiscordAdapter, DiscordSettings
from bot.content.texts import Texts
from bot.domain.events import (
    Button,
    ClubCommand,
    Command,
    ConversationRef,
    Inbound,
    Press,
    Reply,
    Text,
)
from tests.fakes.discord_api import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    FakeDiscord,
    FakeGuild,
    FakeUser,
)
from tests.support.content import shipped_texts

__all__ = [
    "DC_MENU",
    "DcCoach",
    "DcWorld",
    "dc_adapter",
    "dc_coach",
    "dc_fake",
    "dc_messages",
    "dc_settings",
    "dc_start_adapter",
    "dc_world",
]

Script = Callable[[ConversationRef, Inbound], Sequence[Reply]]
# The names of DcCoach's command menu, in order (the real coach's).
DC_MENU: tuple[str, ...] = (
    "start",
    "today",
    "checkin",
    "progress",
    "settings",
    "exercise",
    "learn",
    "export",
    "forget",
    "stop",
    "help",
)


def default_script(ref: ConversationRef, inbound: Inbound) -> list[Reply]:
    """A tiny coach: a consent question on /start, an acknowledgement of any answer."""
    if isinstance(inbound, Command) and inbound.name == "start":
        return [
            Reply(
                "intake.welcome",
                "**Welcome to Kneecoach.** I help with pain around the kneecap.",
            ),
            Reply(
                "intake.ask.consent",
                "Shall we start with a few questions? _It takes two minutes._",
                buttons=(
                    (
                        Button("Yes", "d:intake:consent:1:yes"),
                        Button("No", "d:intake:consent:1:no"),
                    ),
                ),
            ),
        ]
    if isinstance(inbound, ClubCommand):
        return [Reply("club.ack", f"club: {inbound.action} {inbound.guild_id}", private=False)]
    if isinstance(inbound, Command):
        return [
            Reply(f"cmd.{inbound.name}", f"You asked for {inbound.name} {inbound.args}".strip())
        ]
    if isinstance(inbound, Press):
        option = inbound.data.rsplit(":", 1)[-1]
        return [Reply("intake.ack", "Noted.", chosen=option.title())]
    assert isinstance(inbound, Text)
    return [Reply("echo", f"You said: {inbound.text}")]


@functools.cache
def dc_messages() -> Texts:
    """The real English messages.yaml (what the adapter's chrome must come from)."""
    return shipped_texts()


@dataclass
class DcCoach:
    """A CoachPort for adapter tests: answers from ``script`` and records each call.

    ``text(key)`` answers from ``texts`` first, then from the real content/messages.yaml
    (like the real coach); an unknown key comes back as itself.
    """

    script: Script = default_script
    texts: dict[str, str] = field(
        default_factory=lambda: {
            "discord.continued_in_dm": "I've sent you a DM: see you there. {link}"
        }
    )
    calls: list[tuple[ConversationRef, Inbound]] = field(default_factory=list)
    _cond: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        self.calls.append((ref, inbound))
        async with self._cond:
            self._cond.notify_all()
        return list(self.script(ref, inbound))

    def text(self, key: str, **values: object) -> str:
        if key in self.texts:
            return self.texts[key].format(**values) if values else self.texts[key]
        messages = dc_messages()
        return messages.get(key, **values) if key in messages else key

    def command_menu(self) -> list[tuple[str, str]]:
        """The coach's commands (the adapter builds ``/knee`` from them): two with a line of
        their own, the others described by content (``commands.<name>``), as the real
        coach's are."""
        own = {"start": "Begin (or restart) your knee coach", "today": "Today's plan"}
        return [(name, own.get(name) or self.text(f"commands.{name}")) for name in DC_MENU]

    async def wait_calls(
        self, count: int, *, within: float = 5.0
    ) -> list[tuple[ConversationRef, Inbound]]:
        async with self._cond:
            try:
                await asyncio.wait_for(
                    self._cond.wait_for(lambda: len(self.calls) >= count), within
                )
            except TimeoutError:
                raise AssertionError(f"coach: expected {count} call(s), got {self.calls}") from None
        return self.calls


@dataclass
class DcWorld:
    guild: FakeGuild
    alice: FakeUser  # Manage Server
    bob: FakeUser  # plain member
    carol: FakeUser  # DMs closed


@pytest.fixture
async def dc_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
def dc_world(dc_fake: FakeDiscord) -> DcWorld:
    alice = dc_fake.add_user("alice")
    bob = dc_fake.add_user("bob")
    carol = dc_fake.add_user("carol")
    guild = dc_fake.add_guild("Runners Club", channels=("general", "club"))
    dc_fake.set_permissions(guild, alice, MEMBER_PERMISSIONS | MANAGE_GUILD)
    dc_fake.set_permissions(guild, bob, MEMBER_PERMISSIONS)
    dc_fake.set_permissions(guild, carol, MEMBER_PERMISSIONS)
    dc_fake.close_dms(carol)
    return DcWorld(guild, alice, bob, carol)


@pytest.fixture
def dc_coach() -> DcCoach:
    return DcCoach()


@pytest.fixture
def dc_settings(dc_fake: FakeDiscord) -> DiscordSettings:
    # Only the REST base: the adapter asks the fake's GET /gateway/bot for the gateway URL.
    return DiscordSettings(token=dc_fake.token, api_base=dc_fake.api_base, guild_ready_timeout=0.05)


async def dc_start_adapter(settings: DiscordSettings, coach: DcCoach) -> DiscordAdapter:
    adapter = DiscordAdapter(settings, coach)
    await adapter.start()
    return adapter


@pytest.fixture
async def dc_adapter(
    dc_fake: FakeDiscord, dc_world: DcWorld, dc_coach: DcCoach, dc_settings: DiscordSettings
) -> AsyncIterator[DiscordAdapter]:
    adapter = await dc_start_adapter(dc_settings, dc_coach)
    try:
        yield adapter
    finally:
        await adapter.stop()

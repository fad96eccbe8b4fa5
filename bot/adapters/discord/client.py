"""The discord.py side of the adapter: the ``discord.Client`` subclass, its intents, the
persistent button and the command tree's error hook. Every event is handed to the
``Handlers`` (``bot.adapters.discord.inbound.DiscordInbound``).

Intents: ``Intents.none()`` + ``guilds`` + ``dm_messages``, nothing privileged. Slash
commands and button presses arrive as interactions whatever the intents; ``dm_messages``
delivers what people type in their DM with the bot, and Discord exempts DMs (like messages
that mention the bot) from the privileged Message Content intent, so that text arrives
without it. ``guilds`` keeps the server and channel cache that ``/knee club setup`` needs to
accept a text channel. Enable nothing in the developer portal.

Voice: the bot joins no voice channel, so discord.py's start-up warnings that PyNaCl and
davey (its voice dependencies) are missing are switched off with discord.py's own switches
(``VoiceClient.warn_nacl``, ``VoiceClient.warn_dave``, read once when a client is built); no
logger is silenced, so every other warning still shows.

Buttons survive restarts: each is a :class:`KneeButton` (a ``discord.ui.DynamicItem``) whose
custom_id is ``"kc|" + Button.data``; the class is registered with ``add_dynamic_items`` at
start, so a press on a message sent before a restart still reaches the engine as
``Press(data)``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeAlias

import discord
from discord import app_commands

from bot.adapters.discord.render import custom_id_for
from bot.domain.events import ClubCommand

log = logging.getLogger(__name__)

Interaction: TypeAlias = "discord.Interaction[Any]"


class Handlers(Protocol):
    """What the client hands its events to."""

    async def on_message(self, message: discord.Message) -> None: ...

    async def on_press(self, interaction: Interaction, data: str) -> None: ...

    async def on_personal_command(self, interaction: Interaction, name: str, args: str) -> None:
        ...

    async def on_club_command(
        self, interaction: Interaction, command: ClubCommand, *, needs_manage: bool
    ) -> None: ...

    async def answer_error(self, interaction: Interaction) -> None: ...


def silence_voice_warnings() -> None:
    """The bot uses no voice: no "PyNaCl/davey is not installed" warnings at start."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def intents() -> discord.Intents:
    """Only what the adapter needs; nothing privileged (see the module docstring)."""
    value = discord.Intents.none()
    value.guilds = True
    value.dm_messages = True
    return value


class KneeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"kc\|(?P<data>.+)"):
    """A persistent button: its custom_id carries the engine's Button.data."""

    def __init__(self, data: str, label: str = "\u2026", row: int | None = None) -> None:
        custom_id = custom_id_for(data)
        if custom_id is None:
            raise ValueError(f"button data does not fit a custom_id: {data!r}")
        super().__init__(
            discord.ui.Button(
                label=label, custom_id=custom_id, style=discord.ButtonStyle.secondary
            ),
            row=row,
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> KneeButton:
        label = getattr(item, "label", None) or "\u2026"
        return cls(match["data"], label=label)

    async def callback(self, interaction: Interaction) -> None:
        await handlers_of(interaction).on_press(interaction, self.data)


class _Tree(app_commands.CommandTree["KneeClient"]):
    async def on_error(
        self, interaction: Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        log.error("slash command failed: %r", error, exc_info=error)
        client = interaction.client
        if isinstance(client, KneeClient):
            await client.handlers.answer_error(interaction)


class KneeClient(discord.Client):
    """discord.py's client with the adapter's intents and options; ``setup`` runs as its
    ``setup_hook`` (after login, before the gateway)."""

    def __init__(
        self,
        handlers: Handlers,
        setup: Callable[[KneeClient], Awaitable[None]],
        *,
        application_id: str | None,
        max_ratelimit_timeout: float,
        guild_ready_timeout: float,
        shard_count: int | None = None,
    ) -> None:
        silence_voice_warnings()
        options: dict[str, Any] = {}
        if application_id:
            options["application_id"] = int(application_id)
        if shard_count is not None:
            options["shard_count"] = shard_count
        super().__init__(
            intents=intents(),
            max_ratelimit_timeout=max_ratelimit_timeout,
            guild_ready_timeout=guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            **options,
        )
        self.handlers = handlers
        self._setup = setup
        self.tree = _Tree(self)

    async def setup_hook(self) -> None:
        await self._setup(self)

    async def on_message(self, message: discord.Message) -> None:
        if self.user is not None and message.author.id == self.user.id:
            return  # the gateway echoes the bot's own messages
        await self.handlers.on_message(message)


class KneeShardedClient(KneeClient, discord.AutoShardedClient):
    """``KneeClient`` over shards 0..shard_count-1 of the bot's gateway, one websocket a
    shard, all in this process (DISCORD_SHARD_COUNT). discord.py identifies them 5 s apart,
    as Discord allows (one identify per 5 s per ``max_concurrency`` bucket)."""


def handlers_of(interaction: Interaction) -> Handlers:
    client = interaction.client
    if not isinstance(client, KneeClient):
        raise RuntimeError("interaction from a client that is not the Kneecoach adapter")
    return client.handlers

"""The Discord door, on discord.py 2.7: translation between Discord and the coach, nothing
more. One module per concern:

* ``capabilities``: every Discord limit, once (``CAPABILITIES``);
* ``settings``: ``DiscordSettings`` and the ``DMChannelStore`` port (``MemoryDMChannelStore``);
* ``client``: the ``discord.Client`` subclass, its intents, the persistent ``KneeButton``;
* ``commands``: the ``/knee`` command group (the coach's menu + ``/knee club``) and what
  people type in a DM (``parse_typed``);
* ``inbound``: slash commands, presses and DMs -> ``ConversationRef`` + ``Inbound``, and the
  answers to interactions;
* ``outbound``: the ``Channels`` seam (``ClientChannels`` in production) and proactive
  delivery with typed results;
* ``render``: pure translation of replies into Discord messages;
* ``adapter``: ``DiscordAdapter``, lifecycle and wiring only.

The seam and what stays on the fake Discord: proactive delivery posts through ``Channels``,
so its logic (privacy, nonces, Discord's errors -> typed results) is tested with a
recording ``Channels`` and no HTTP. Interactions and DMs are not: discord.py builds
``Interaction`` and ``Message`` from its gateway state and answers an interaction (defer,
edit the original, follow-ups) through its own HTTP client, with no output object to swap,
so slash commands, presses and typed DMs are driven through the real client against the
fake Discord (tests/fakes/discord_api.py), which also proves the gateway, the command sync,
multipart uploads, rate limits and Discord's validation.
"""

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.capabilities import CAPABILITIES, PLATFORM, ROOT_COMMAND
from bot.adapters.discord.client import KneeButton, KneeClient, intents
from bot.adapters.discord.commands import (
    CLUB_COMMANDS,
    CONTENT_KEYS,
    build_command_group,
    club_display_name,
    parse_typed,
    personal_commands,
)
from bot.adapters.discord.inbound import DiscordInbound
from bot.adapters.discord.outbound import Channels, ClientChannels, Outbound
from bot.adapters.discord.settings import DiscordSettings, DMChannelStore, MemoryDMChannelStore

__all__ = [
    "CAPABILITIES",
    "CLUB_COMMANDS",
    "CONTENT_KEYS",
    "PLATFORM",
    "ROOT_COMMAND",
    "Channels",
    "ClientChannels",
    "DMChannelStore",
    "DiscordAdapter",
    "DiscordInbound",
    "DiscordSettings",
    "KneeButton",
    "KneeClient",
    "MemoryDMChannelStore",
    "Outbound",
    "build_command_group",
    "club_display_name",
    "intents",
    "parse_typed",
    "personal_commands",
]

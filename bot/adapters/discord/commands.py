"""The ``/knee`` slash command group and what people type in a DM.

Personal commands are the coach's: one subcommand per name of ``coach.command_menu()``, in
that order (each becomes ``Command(name, args)``; ``learn [topic]`` and ``exercise [name]``
take an optional argument). The ``/knee club`` subgroup is the adapter's, each a typed
``ClubCommand`` for the engine's club feature:

* ``setup <channel> <time> <timezone>`` -> ``ClubCommand("setup", guild, channel, ...)``
  with the time and zone as typed, the channel's name, and whether the bot may view and
  send messages there (``channel.permissions_for(guild.me)`` on the cached server: facts
  for the engine, which decides what to say);
* ``off`` -> ``ClubCommand("off", guild)``; for a member without Manage Server both become
  ``ClubCommand("denied")`` (``DiscordInbound.on_club_command``);
* ``leaderboard <optin>`` -> ``ClubCommand("leaderboard", guild, join=optin,
  display_name=...)``.

No user-facing text lives here: descriptions (the coach's ``command_menu()``, else
``commands.<name>``; ``discord.group``, ``discord.command.*``, ``discord.option.*``) and the
adapter's notes (``discord.*``) all come from content/messages.yaml through ``coach.text()``
(see :data:`CONTENT_KEYS`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.capabilities import (
    MAX_COMMAND_NAME,
    MAX_DESCRIPTION,
    MAX_OPTIONS,
    ROOT_COMMAND,
)
from bot.adapters.discord.client import Interaction, handlers_of
from bot.domain.events import ClubCommand, Command, Inbound, Text

log = logging.getLogger(__name__)

CLUB_GROUP = "club"
CLUB_COMMANDS: tuple[str, ...] = ("setup", "off", "leaderboard")
# Slash command option name -> the content key of its description.
OPTION_KEYS: dict[str, str] = {
    "topic": "discord.option.topic",
    "name": "discord.option.exercise",
    "channel": "discord.option.channel",
    "time": "discord.option.time",
    "timezone": "discord.option.timezone",
    "optin": "discord.option.optin",
}
# Every piece of adapter chrome comes from content/messages.yaml through coach.text(): the
# notes, the group and club descriptions, the option descriptions; the personal commands'
# descriptions are the coach's command_menu() (else ``commands.<name>``).
NOTE_KEYS: tuple[str, ...] = (
    "discord.continued_in_dm",
    "discord.dms_closed",
    "discord.club_server_only",
    "discord.error",
)
CONTENT_KEYS: tuple[str, ...] = (
    *NOTE_KEYS,
    "discord.group",
    "discord.command.club",
    *(f"discord.command.club_{name}" for name in CLUB_COMMANDS),
    *OPTION_KEYS.values(),
)
MAX_CLUB_NAME = 40  # the engine keeps at most 40 characters of a leaderboard name
_COMMAND_NAME = re.compile(rf"[-_a-z0-9]{{1,{MAX_COMMAND_NAME}}}")

Callback = Callable[..., Coroutine[Any, Any, None]]
TextSource = Callable[[str], str]


def personal_commands(menu: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The names of the coach's menu that make valid ``/knee`` subcommands, in order.

    Discord allows ``MAX_OPTIONS`` subcommands in the group, one of which is ``club``.
    """
    names: list[str] = []
    for raw, _ in menu:
        name = raw.strip().lstrip("/").lower()
        if not _COMMAND_NAME.fullmatch(name) or name == CLUB_GROUP or name in names:
            log.warning("discord: %r is not a usable /%s subcommand, skipped", raw, ROOT_COMMAND)
            continue
        names.append(name)
    if len(names) > MAX_OPTIONS - 1:
        log.warning("discord: only the first %d menu commands fit /%s", MAX_OPTIONS - 1,
                    ROOT_COMMAND)
    return tuple(names[: MAX_OPTIONS - 1])


# Slash command callbacks: module level so discord.py can read their annotations.


def _personal_callback(name: str) -> Callback:
    async def callback(interaction: Interaction) -> None:
        await handlers_of(interaction).on_personal_command(interaction, name, "")

    callback.__name__ = name
    return callback


async def _learn(interaction: Interaction, topic: str | None = None) -> None:
    await handlers_of(interaction).on_personal_command(interaction, "learn", (topic or "").strip())


async def _exercise(interaction: Interaction, name: str | None = None) -> None:
    await handlers_of(interaction).on_personal_command(
        interaction, "exercise", (name or "").strip()
    )


# The personal commands that take an optional argument on Discord.
_WITH_ARGUMENT: dict[str, Callback] = {"learn": _learn, "exercise": _exercise}


async def _club_setup(
    interaction: Interaction,
    channel: discord.TextChannel,
    time: str,
    timezone: str,
) -> None:
    # What discord.py computes for the bot in that channel, from the cached server (roles
    # and the channel's overwrites); unknown when the bot's own member is not cached.
    me = channel.guild.me
    allowed = channel.permissions_for(me) if me is not None else None
    command = ClubCommand(
        "setup",
        guild_id=str(interaction.guild_id),
        channel_id=str(channel.id),
        channel_name=channel.name,
        time=time.strip(),
        timezone=timezone.strip(),
        bot_can_view=None if allowed is None else allowed.view_channel,
        bot_can_send=None if allowed is None else allowed.send_messages,
    )
    await handlers_of(interaction).on_club_command(interaction, command, needs_manage=True)


async def _club_off(interaction: Interaction) -> None:
    command = ClubCommand("off", guild_id=str(interaction.guild_id))
    await handlers_of(interaction).on_club_command(interaction, command, needs_manage=True)


async def _club_leaderboard(interaction: Interaction, optin: bool) -> None:
    command = ClubCommand(
        "leaderboard",
        guild_id=str(interaction.guild_id),
        join=optin,
        display_name=club_display_name(interaction.user.display_name) if optin else "",
    )
    await handlers_of(interaction).on_club_command(interaction, command, needs_manage=False)


_CLUB_CALLBACKS: dict[str, Callback] = {
    "setup": _club_setup,
    "off": _club_off,
    "leaderboard": _club_leaderboard,
}


def club_display_name(name: str) -> str:
    """A member's display name on one line, as the engine keeps it (at most 40 characters)."""
    return " ".join(name.split())[:MAX_CLUB_NAME].strip()


def build_command_group(text: TextSource, menu: Sequence[tuple[str, str]]) -> app_commands.Group:
    """The ``/knee`` group: a subcommand per name of the coach's ``menu`` and the club
    subgroup; every description comes from content through ``text(key)``.

    A personal command's description is its menu line when it has one, else
    ``commands.<name>``, else the name itself.
    """
    described = {name.lstrip("/").lower(): line for name, line in menu if line.strip()}

    def description(key: str, fallback: str) -> str:
        return _short(text(key) or fallback)

    knee = app_commands.Group(
        name=ROOT_COMMAND, description=description("discord.group", ROOT_COMMAND)
    )
    for name in personal_commands(menu):
        callback = _WITH_ARGUMENT.get(name) or _personal_callback(name)
        menu_line = described.get(name)
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=name,
            description=_short(menu_line) if menu_line else description(f"commands.{name}", name),
            callback=callback,
        )
        _describe_options(command, text)
        knee.add_command(command)
    club = app_commands.Group(
        name=CLUB_GROUP, description=description("discord.command.club", CLUB_GROUP), parent=knee
    )
    for name in CLUB_COMMANDS:
        command = app_commands.Command(
            name=name,
            description=description(f"discord.command.club_{name}", name),
            callback=_CLUB_CALLBACKS[name],
        )
        _describe_options(command, text)
        club.add_command(command)
    return knee


def _describe_options(command: app_commands.Command[Any, ..., Any], text: TextSource) -> None:
    names = [parameter.name for parameter in command.parameters]
    if names:
        app_commands.describe(**{n: _short(text(OPTION_KEYS[n]) or n) for n in names})(command)


def _short(text: str, limit: int = MAX_DESCRIPTION) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def parse_typed(text: str, commands: Collection[str]) -> Inbound:
    """What someone typed in a DM: ``/start`` or ``/knee start`` -> ``Command`` when
    ``start`` is one of ``commands`` (the coach's menu), anything else -> ``Text``."""
    stripped = text.strip()
    if stripped.startswith("/"):
        parts = stripped[1:].split(maxsplit=1)
        if parts:
            name = parts[0].lower()
            rest = parts[1].strip() if len(parts) > 1 else ""
            if name == ROOT_COMMAND and rest:
                return parse_typed("/" + rest, commands)
            if name in commands:
                return Command(name, rest)
    return Text(text)

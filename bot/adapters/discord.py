"""Discord adapter on discord.py 2.7: translation between Discord and the coach, nothing more.

Commands: one slash command group, ``/knee``: ``start``, ``today``, ``checkin``,
``progress``, ``settings``, ``exercise [name]``, ``learn [topic]``, ``export``, ``forget``,
``stop``, ``help`` (each becomes ``Command(name, args)``) and the ``/knee club`` subgroup, each a
typed ``ClubCommand`` for the engine's club feature:

* ``setup <channel> <time> <timezone>`` -> ``ClubCommand("setup", guild, channel, ...)``
  with the time and zone as typed;
* ``off`` -> ``ClubCommand("off", guild)``; for a member without Manage Server both become
  ``ClubCommand("denied")``;
* ``leaderboard <optin>`` -> ``ClubCommand("leaderboard", guild, join=optin,
  display_name=...)``.

They are built at start and synced with ``tree.sync()``. No user-facing text lives here:
descriptions (the coach's ``command_menu()``, else ``commands.<name>``; ``discord.group``,
``discord.command.*``, ``discord.option.*``) and the adapter's notes (``discord.*``) all come
from content/messages.yaml through ``coach.text()`` (see :data:`CONTENT_KEYS`).

Where the conversation happens: used in a server, a personal command answers with a short
ephemeral note (``discord.continued_in_dm``) and the conversation itself goes to the
member's DMs (the DM channel is opened once; its id is kept in a :class:`DMChannelStore`).
In DMs everything works directly, typed answers included. Club traffic stays in the server
as ``ConversationRef("discord", member_id, channel_id, shared=True)``; replies there are
ephemeral, and a reply marked ``private`` goes to the member's DMs instead: nothing private
is ever posted in a server.

Buttons survive restarts: each is a :class:`KneeButton` (a ``discord.ui.DynamicItem``)
whose custom_id is ``"kc|" + Button.data``; the class is registered with
``add_dynamic_items`` at start, so a press on a message sent before a restart still
reaches the engine as ``Press(data)``. Every interaction is deferred before the engine is
called (Discord wants an answer within 3 s). After a press, the pressed message is edited:
a reply marked ``replaces_pressed`` becomes it (text and buttons: the club post's
new counter with its Done button; never a private reply on a server message), otherwise
``Reply.chosen`` is shown under the question and its buttons go. Replies marked
``ephemeral`` are ephemeral follow-ups (the club's "thanks").

Intents (for the README): ``Intents.none()`` + ``guilds`` + ``dm_messages``, nothing
privileged. Slash commands and button presses arrive as interactions whatever the intents;
``dm_messages`` delivers what people type in their DM with the bot, and Discord exempts DMs
(like messages that mention the bot) from the privileged Message Content intent, so that
text arrives without it. ``guilds`` keeps the server and channel cache that
``/knee club setup`` needs to accept a text channel. Enable nothing in the developer portal.

Proactive delivery (:meth:`DiscordAdapter.send`, the engine's ``Sender`` port) posts to
``ref.chat_id`` (the stored DM channel, or the club's channel for its daily post and weekly
summary, where only ``private=False`` replies go) with a nonce derived from the idempotency key
(Discord returns the first message for a repeated nonce for a few minutes, so a retried
send is not duplicated). Results: DMs closed (403 50007) -> ``Blocked``; a 429 longer than
``max_ratelimit_timeout`` (discord.py waits out shorter ones) -> ``RetryAfter``; 5xx or
network trouble -> ``RetryAfter``; any other 4xx -> ``Failed``.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeAlias

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord_render import (
    MAX_CONTENT,
    RenderedMessage,
    custom_id_for,
    data_from_custom_id,
    make_nonce,
    render_chosen,
    render_markup,
    render_replies,
    render_reply,
)
from bot.domain.events import (
    ClubCommand,
    Command,
    ConversationRef,
    Inbound,
    Press,
    Reply,
    Text,
)
from bot.domain.results import Blocked, Failed, RetryAfter, SendResult, Sent
from bot.engine.ports import CoachPort

log = logging.getLogger(__name__)

PLATFORM = "discord"
ROOT_COMMAND = "knee"
DM_CLOSED = 50007
UNKNOWN_INTERACTION = 10062
# How long to ask the delivery worker to wait after a 5xx or a network error.
SERVER_RETRY_S = 15.0
NOT_RUNNING_RETRY_S = 30.0

Interaction: TypeAlias = "discord.Interaction[Any]"

# The personal subcommands of /knee; each becomes Command(name, args) for the coach.
PERSONAL_COMMANDS: tuple[str, ...] = (
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
PERSONAL_NAMES = frozenset(PERSONAL_COMMANDS)
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
# notes below, the group and club descriptions, the option descriptions; the personal
# commands' descriptions are the coach's command_menu() (else ``commands.<name>``).
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
    *(f"commands.{name}" for name in PERSONAL_COMMANDS),
)
MAX_DESCRIPTION = 100  # Discord's limit for command and option descriptions
MAX_CLUB_NAME = 40  # the engine keeps at most 40 characters of a leaderboard name


# --------------------------------------------------------------------------- settings, store


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """How to reach Discord.

    ``api_base`` / ``gateway_url`` point discord.py somewhere else (tests: a fake Discord on
    127.0.0.1). With only ``api_base``, the gateway URL is asked from ``GET /gateway/bot``.
    """

    token: str
    application_id: str | None = None
    api_base: str | None = None
    gateway_url: str | None = None
    # A 429 asking to wait longer than this becomes RetryAfter (discord.py's minimum is 30).
    max_ratelimit_timeout: float = 30.0
    # How long discord.py waits for the guilds listed in READY before it is "ready".
    guild_ready_timeout: float = 2.0
    # How long start() waits for READY.
    ready_timeout: float = 60.0
    # How long stop() lets interactions and DMs being handled finish.
    drain_timeout: float = 10.0
    sync_commands: bool = True


class DMChannelStore(Protocol):
    """Where the adapter keeps each user's DM channel id (the engine's store can do it)."""

    async def get(self, user_id: str) -> str | None: ...

    async def set(self, user_id: str, channel_id: str) -> None: ...


class MemoryDMChannelStore:
    """The default: a dict (DM channels are reopened once per process)."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    async def get(self, user_id: str) -> str | None:
        return self._ids.get(user_id)

    async def set(self, user_id: str, channel_id: str) -> None:
        self._ids[user_id] = channel_id


def intents() -> discord.Intents:
    """Only what the adapter needs; nothing privileged (see the module docstring)."""
    value = discord.Intents.none()
    value.guilds = True
    value.dm_messages = True
    return value


# --------------------------------------------------------------------------- buttons


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
        await _adapter_of(interaction).on_press(interaction, self.data)


def _view(message: RenderedMessage) -> discord.ui.View | None:
    if not message.rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(message.rows):
        for button in row:
            data = data_from_custom_id(button.custom_id)
            if data is not None:
                view.add_item(KneeButton(data, button.label, row=index))
    return view


def _is_replacement(reply: Reply) -> bool:
    return reply.replaces_pressed


def _is_ephemeral(reply: Reply) -> bool:
    return reply.ephemeral


def _file(message: RenderedMessage) -> discord.File | None:
    image = message.image
    if image is None:
        return None
    return discord.File(
        io.BytesIO(image.png), filename=image.filename, description=image.alt[:1024]
    )


# --------------------------------------------------------------------------- the client


class _Tree(app_commands.CommandTree["_KneeClient"]):
    async def on_error(
        self, interaction: Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        log.error("slash command failed: %r", error, exc_info=error)
        client = interaction.client
        if isinstance(client, _KneeClient):
            await client.adapter.answer_error(interaction)


class _KneeClient(discord.Client):
    def __init__(self, adapter: DiscordAdapter, settings: DiscordSettings) -> None:
        options: dict[str, Any] = {}
        if settings.application_id:
            options["application_id"] = int(settings.application_id)
        super().__init__(
            intents=intents(),
            max_ratelimit_timeout=settings.max_ratelimit_timeout,
            guild_ready_timeout=settings.guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            **options,
        )
        self.adapter = adapter
        self.tree = _Tree(self)

    async def setup_hook(self) -> None:
        await self.adapter._setup(self)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)


def _adapter_of(interaction: Interaction) -> DiscordAdapter:
    client = interaction.client
    if not isinstance(client, _KneeClient):
        raise RuntimeError("interaction from a client that is not the Kneecoach adapter")
    return client.adapter


# Slash command callbacks: module level so discord.py can read their annotations.

Callback = Callable[..., Coroutine[Any, Any, None]]
TextSource = Callable[[str], str]


def _personal_callback(name: str) -> Callback:
    async def callback(interaction: Interaction) -> None:
        await _adapter_of(interaction).on_personal_command(interaction, name, "")

    callback.__name__ = name
    return callback


async def _learn(interaction: Interaction, topic: str | None = None) -> None:
    await _adapter_of(interaction).on_personal_command(interaction, "learn", (topic or "").strip())


async def _exercise(interaction: Interaction, name: str | None = None) -> None:
    await _adapter_of(interaction).on_personal_command(
        interaction, "exercise", (name or "").strip()
    )


async def _club_setup(
    interaction: Interaction,
    channel: discord.TextChannel,
    time: str,
    timezone: str,
) -> None:
    command = ClubCommand(
        "setup",
        guild_id=str(interaction.guild_id),
        channel_id=str(channel.id),
        channel_name=channel.name,
        time=time.strip(),
        timezone=timezone.strip(),
    )
    await _adapter_of(interaction).on_club_command(interaction, command, needs_manage=True)


async def _club_off(interaction: Interaction) -> None:
    command = ClubCommand("off", guild_id=str(interaction.guild_id))
    await _adapter_of(interaction).on_club_command(interaction, command, needs_manage=True)


async def _club_leaderboard(interaction: Interaction, optin: bool) -> None:
    command = ClubCommand(
        "leaderboard",
        guild_id=str(interaction.guild_id),
        join=optin,
        display_name=club_display_name(interaction.user.display_name) if optin else "",
    )
    await _adapter_of(interaction).on_club_command(interaction, command, needs_manage=False)


def club_display_name(name: str) -> str:
    """A member's display name on one line, as the engine keeps it (at most 40 characters)."""
    return " ".join(name.split())[:MAX_CLUB_NAME].strip()


def build_command_group(
    text: TextSource, menu: Sequence[tuple[str, str]] = ()
) -> app_commands.Group:
    """The ``/knee`` group; every description comes from content through ``text(key)``.

    A personal command's description is the coach's menu entry when it has one, else
    ``commands.<name>``.
    """
    described = {name.lstrip("/").lower(): line for name, line in menu if line.strip()}

    def description(key: str, fallback: str) -> str:
        return _short(text(key) or fallback)

    knee = app_commands.Group(
        name=ROOT_COMMAND, description=description("discord.group", ROOT_COMMAND)
    )
    for name in PERSONAL_COMMANDS:
        callback = {"learn": _learn, "exercise": _exercise}.get(name) or _personal_callback(name)
        menu_line = described.get(name)
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=name,
            description=_short(menu_line) if menu_line else description(f"commands.{name}", name),
            callback=callback,
        )
        _describe_options(command, text)
        knee.add_command(command)
    club = app_commands.Group(
        name="club", description=description("discord.command.club", "club"), parent=knee
    )
    club_callbacks: dict[str, Callback] = {
        "setup": _club_setup,
        "off": _club_off,
        "leaderboard": _club_leaderboard,
    }
    for name in CLUB_COMMANDS:
        command = app_commands.Command(
            name=name,
            description=description(f"discord.command.club_{name}", name),
            callback=club_callbacks[name],
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


def parse_typed(text: str) -> Inbound:
    """What someone typed in a DM: ``/start`` or ``/knee start`` -> Command, else Text."""
    stripped = text.strip()
    if stripped.startswith("/"):
        parts = stripped[1:].split(maxsplit=1)
        if parts:
            name = parts[0].lower()
            rest = parts[1].strip() if len(parts) > 1 else ""
            if name == ROOT_COMMAND and rest:
                return parse_typed("/" + rest)
            if name in PERSONAL_NAMES:
                return Command(name, rest)
    return Text(text)


# --------------------------------------------------------------------------- the adapter

_P = ParamSpec("_P")
_Handler = Callable[Concatenate["DiscordAdapter", _P], Coroutine[Any, Any, None]]


def _tracked(method: _Handler[_P]) -> _Handler[_P]:
    """Remember the running handler so stop() can let it finish."""

    @functools.wraps(method)
    async def wrapper(self: DiscordAdapter, /, *args: _P.args, **kwargs: _P.kwargs) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await method(self, *args, **kwargs)
        finally:
            if task is not None:
                self._inflight.discard(task)

    return wrapper


class DiscordAdapter:
    """The Discord door to the coach; also the engine's ``Sender`` for platform "discord"."""

    platform = PLATFORM

    def __init__(
        self,
        settings: DiscordSettings,
        coach: CoachPort,
        *,
        dm_channel_store: DMChannelStore | None = None,
    ) -> None:
        self.settings = settings
        self.coach = coach
        self.dm_channel_store: DMChannelStore = dm_channel_store or MemoryDMChannelStore()
        self._client: _KneeClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._saved_base: str | None = None
        self._saved_gateway: yarl.URL | None = None
        self._inflight: set[asyncio.Task[Any]] = set()

    @property
    def client(self) -> discord.Client | None:
        return self._client

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Log in, sync the commands, connect in a background task; return when READY."""
        if self._client is not None:
            raise RuntimeError("the Discord adapter is already running")
        self._patch_endpoints()
        client = _KneeClient(self, self.settings)
        self._client = client
        try:
            await client.login(self.settings.token)
            if self.settings.api_base and not self.settings.gateway_url:
                _, url, _ = await client.http.get_bot_gateway()
                DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            self._task = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
            ready = asyncio.create_task(client.wait_until_ready(), name="discord-ready")
            done, _ = await asyncio.wait(
                {ready, self._task},
                timeout=self.settings.ready_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if ready not in done:
                ready.cancel()
                if self._task in done:
                    error = self._task.exception()
                    raise error or RuntimeError("the Discord gateway closed before READY")
                raise TimeoutError("Discord did not become ready in time")
            log.info("discord: connected as %s", client.user)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Let the handlers in flight finish (up to drain_timeout), then disconnect."""
        current = asyncio.current_task()
        pending = {t for t in self._inflight if t is not current and not t.done()}
        if pending:
            await asyncio.wait(pending, timeout=self.settings.drain_timeout)
        client, task = self._client, self._task
        self._client = self._task = None
        if client is not None:
            await client.close()
        if task is not None:
            try:
                await asyncio.wait_for(task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
            except Exception:
                log.debug("discord: the gateway task ended with an error", exc_info=True)
        self._restore_endpoints()

    def _patch_endpoints(self) -> None:
        if self.settings.api_base:
            self._saved_base = Route.BASE
            Route.BASE = self.settings.api_base.rstrip("/")
        if self.settings.api_base or self.settings.gateway_url:
            self._saved_gateway = DiscordWebSocket.DEFAULT_GATEWAY
        if self.settings.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.settings.gateway_url)

    def _restore_endpoints(self) -> None:
        if self._saved_base is not None:
            Route.BASE = self._saved_base
            self._saved_base = None
        if self._saved_gateway is not None:
            DiscordWebSocket.DEFAULT_GATEWAY = self._saved_gateway
            self._saved_gateway = None

    async def _setup(self, client: _KneeClient) -> None:
        """discord.py's setup_hook: after login, before the gateway."""
        client.add_dynamic_items(KneeButton)
        missing = [key for key in CONTENT_KEYS if not self.content_text(key)]
        if missing:
            log.warning("discord: content/messages.yaml lacks %s", ", ".join(missing))
        try:
            menu = list(self.coach.command_menu())
        except Exception:
            log.warning("discord: coach.command_menu() failed; using commands.*", exc_info=True)
            menu = []
        client.tree.add_command(build_command_group(self.content_text, menu))
        if self.settings.sync_commands:
            synced = await client.tree.sync()
            log.info("discord: synced %d application command(s)", len(synced))

    # ------------------------------------------------------------------ helpers

    def content_text(self, key: str) -> str:
        """A UI string from the coach's content; "" when the content has none."""
        try:
            text = self.coach.text(key)
        except Exception:
            return ""
        return "" if text == key else text

    def ui_text(self, key: str) -> str:
        """Adapter chrome from the coach's content, rendered for Discord."""
        text = self.content_text(key)
        if not text:
            log.error("discord: content/messages.yaml has no %r", key)
            text = key
        return render_markup(text)[:MAX_CONTENT]

    async def _dm_channel_id(self, user: discord.User | discord.Member) -> str:
        user_id = str(user.id)
        known = await self.dm_channel_store.get(user_id)
        if known and known.isdigit() and not self._is_server_channel(int(known)):
            return known
        if known:
            log.warning("discord: the stored DM channel of a user is not a DM; reopening it")
        channel = await user.create_dm()
        await self.dm_channel_store.set(user_id, str(channel.id))
        return str(channel.id)

    def _is_server_channel(self, channel_id: int) -> bool:
        """True for a channel known to be in a server (what others can read)."""
        client = self._client
        if client is None:
            return False
        channel = client.get_channel(channel_id)
        return isinstance(channel, discord.abc.GuildChannel | discord.Thread)

    async def _remember_dm(self, user_id: str, channel_id: str) -> None:
        if await self.dm_channel_store.get(user_id) != channel_id:
            await self.dm_channel_store.set(user_id, channel_id)

    @staticmethod
    def _message_kwargs(message: RenderedMessage) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "content": message.content,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        view = _view(message)
        if view is not None:
            kwargs["view"] = view
        file = _file(message)
        if file is not None:
            kwargs["file"] = file
        return kwargs

    async def _send_messages(
        self,
        channel_id: int,
        messages: Sequence[RenderedMessage],
        *,
        idempotency_key: str | None = None,
    ) -> list[str]:
        client = self._require_client()
        channel = client.get_partial_messageable(channel_id)
        ids: list[str] = []
        for index, message in enumerate(messages):
            kwargs = self._message_kwargs(message)
            if idempotency_key is not None:
                kwargs["nonce"] = make_nonce(idempotency_key, index)
            sent = await channel.send(**kwargs)
            ids.append(str(sent.id))
        return ids

    def _require_client(self) -> _KneeClient:
        if self._client is None:
            raise RuntimeError("the Discord adapter is not running")
        return self._client

    async def _defer(
        self, interaction: Interaction, *, ephemeral: bool = False, thinking: bool = False
    ) -> bool:
        """Acknowledge within Discord's 3 s; False when it is too late (nothing to do)."""
        try:
            await interaction.response.defer(ephemeral=ephemeral, thinking=thinking)
        except discord.NotFound:
            log.warning(
                "discord: interaction %s expired before it was acknowledged", interaction.id
            )
            return False
        except discord.InteractionResponded:
            return True
        return True

    async def _respond(
        self, interaction: Interaction, messages: Sequence[RenderedMessage], *, ephemeral: bool
    ) -> None:
        """Fill a deferred "thinking" response with the messages (first edits it)."""
        if not messages:
            await interaction.delete_original_response()
            return
        first, *rest = messages
        kwargs = self._message_kwargs(first)
        file = kwargs.pop("file", None)
        if file is not None:
            kwargs["attachments"] = [file]
        await interaction.edit_original_response(**kwargs)
        for message in rest:
            await interaction.followup.send(
                **self._message_kwargs(message), ephemeral=ephemeral, wait=True
            )

    async def answer_error(self, interaction: Interaction) -> None:
        """Tell the person something went wrong (never leave an interaction hanging)."""
        text = self.ui_text("discord.error")
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
            else:
                await interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException:
            log.debug("discord: could not report an error to the user", exc_info=True)

    # ------------------------------------------------------------------ inbound

    @_tracked
    async def on_personal_command(self, interaction: Interaction, name: str, args: str) -> None:
        in_guild = interaction.guild_id is not None
        if not await self._defer(interaction, ephemeral=in_guild, thinking=True):
            return
        user = interaction.user
        user_id = str(user.id)
        try:
            if in_guild or interaction.channel_id is None:
                dm_id = await self._dm_channel_id(user)
            else:
                dm_id = str(interaction.channel_id)
                await self._remember_dm(user_id, dm_id)
            ref = ConversationRef(PLATFORM, user_id, dm_id, shared=False)
            replies = await self.coach.handle(ref, Command(name, args))
            messages = render_replies(replies)
            if not in_guild:
                await self._respond(interaction, messages, ephemeral=False)
                return
            try:
                await self._send_messages(int(dm_id), messages)
            except discord.Forbidden as exc:
                if exc.code != DM_CLOSED:
                    raise
                await interaction.edit_original_response(content=self.ui_text("discord.dms_closed"))
                return
            await interaction.edit_original_response(
                content=self.ui_text("discord.continued_in_dm")
            )
        except Exception:
            log.exception("discord: /%s %s failed", ROOT_COMMAND, name)
            await self.answer_error(interaction)

    @_tracked
    async def on_club_command(
        self, interaction: Interaction, command: ClubCommand, *, needs_manage: bool
    ) -> None:
        if interaction.guild_id is None:
            await interaction.response.send_message(
                self.ui_text("discord.club_server_only"), ephemeral=True
            )
            return
        if not await self._defer(interaction, ephemeral=True, thinking=True):
            return
        permissions = interaction.permissions
        if needs_manage and not (permissions.manage_guild or permissions.administrator):
            command = ClubCommand("denied")
        ref = ConversationRef(
            PLATFORM, str(interaction.user.id), str(interaction.channel_id), shared=True
        )
        try:
            replies = await self.coach.handle(ref, command)
            await self._answer_in_server(interaction, replies, original_pending=True)
        except Exception:
            log.exception("discord: /%s club %s failed", ROOT_COMMAND, command.action)
            await self.answer_error(interaction)

    @_tracked
    async def on_press(self, interaction: Interaction, data: str) -> None:
        if not await self._defer(interaction):
            return
        user_id = str(interaction.user.id)
        in_guild = interaction.guild_id is not None
        try:
            channel_id = str(interaction.channel_id)
            if not in_guild:
                await self._remember_dm(user_id, channel_id)
            ref = ConversationRef(PLATFORM, user_id, channel_id, shared=in_guild)
            replies = await self.coach.handle(ref, Press(data))
            rest = await self._update_pressed(interaction, replies, shared=in_guild)
            if in_guild:
                await self._answer_in_server(interaction, rest, original_pending=False)
                return
            ephemeral = [r for r in rest if _is_ephemeral(r)]
            others = [r for r in rest if not _is_ephemeral(r)]
            await self._send_messages(int(channel_id), render_replies(others))
            await self._followups(interaction, render_replies(ephemeral))
        except Exception:
            log.exception("discord: a button press failed")
            await self.answer_error(interaction)

    async def _update_pressed(
        self, interaction: Interaction, replies: Sequence[Reply], *, shared: bool
    ) -> list[Reply]:
        """Edit the pressed message; return the replies still to send.

        A reply with ``meta["edit"] == "replace"`` becomes the pressed message (text and
        buttons; never a private reply in a server). Otherwise, when the engine says which
        option was chosen (``Reply.chosen``), the choice is shown under the question and its
        buttons go.
        """
        if interaction.message is None:
            return list(replies)
        replacement = next(
            (r for r in replies if _is_replacement(r) and not (shared and r.private)), None
        )
        if replacement is not None:
            messages = render_reply(replacement)
            if len(messages) > 1:
                log.warning("discord: a replacement of %d messages keeps the first", len(messages))
            first = messages[0]
            rows = next((m.rows for m in messages if m.rows), ())
            view = _view(RenderedMessage(first.content, rows))
            kwargs: dict[str, Any] = {"content": first.content, "view": view}
            file = _file(first)
            if file is not None:
                kwargs["attachments"] = [file]
            await interaction.edit_original_response(
                allowed_mentions=discord.AllowedMentions.none(), **kwargs
            )
            return [r for r in replies if r is not replacement]
        chosen = next((r.chosen for r in replies if r.chosen), None)
        if chosen is not None:
            await interaction.edit_original_response(
                content=render_chosen(interaction.message.content, chosen), view=None
            )
        return list(replies)

    async def _followups(
        self, interaction: Interaction, messages: Sequence[RenderedMessage]
    ) -> None:
        for message in messages:
            await interaction.followup.send(
                **self._message_kwargs(message), ephemeral=True, wait=True
            )

    async def _answer_in_server(
        self, interaction: Interaction, replies: Sequence[Reply], *, original_pending: bool
    ) -> None:
        """Replies to an interaction in a server: private ones to the DM, the rest ephemeral.

        Nothing is posted for everyone to read here: a club post is only ever edited in place
        (:meth:`_update_pressed`) or sent by the delivery worker (:meth:`send`).
        """
        private = [r for r in replies if r.private]
        public = render_replies([r for r in replies if not r.private])
        notes: list[RenderedMessage] = []
        if private:
            try:
                dm_id = await self._dm_channel_id(interaction.user)
                await self._send_messages(int(dm_id), render_replies(private))
                notes.append(RenderedMessage(self.ui_text("discord.continued_in_dm")))
            except discord.Forbidden as exc:
                if exc.code != DM_CLOSED:
                    raise
                notes.append(RenderedMessage(self.ui_text("discord.dms_closed")))
        messages = [*public, *notes]
        if original_pending:
            await self._respond(interaction, messages, ephemeral=True)
            return
        await self._followups(interaction, messages)

    @_tracked
    async def on_message(self, message: discord.Message) -> None:
        """Text typed in a DM with the bot (server messages are not even delivered)."""
        client = self._client
        if message.guild is not None or message.author.bot:
            return
        if client is not None and client.user is not None and message.author.id == client.user.id:
            return
        if not message.content.strip():
            return
        user_id = str(message.author.id)
        channel_id = str(message.channel.id)
        try:
            await self._remember_dm(user_id, channel_id)
            ref = ConversationRef(PLATFORM, user_id, channel_id, shared=False)
            replies = await self.coach.handle(ref, parse_typed(message.content))
            await self._send_messages(message.channel.id, render_replies(replies))
        except Exception:
            log.exception("discord: handling a DM failed")

    # ------------------------------------------------------------------ Sender

    async def send(
        self, ref: ConversationRef, replies: Sequence[Reply], idempotency_key: str
    ) -> SendResult:
        """Deliver replies to ``ref.chat_id`` unprompted (reminders, the club's post)."""
        client = self._client
        if client is None or client.is_closed():
            return RetryAfter(NOT_RUNNING_RETRY_S, "the Discord adapter is not running")
        if ref.platform != PLATFORM:
            return Failed(f"not a Discord conversation: {ref.platform}")
        try:
            channel_id = int(ref.chat_id)
        except ValueError:
            return Failed(f"not a Discord channel id: {ref.chat_id!r}")
        # A channel in a server is shared whatever the ref says: private replies never go there.
        shared = ref.shared or self._is_server_channel(channel_id)
        deliverable = [r for r in replies if not (shared and r.private)]
        if len(deliverable) != len(replies):
            log.warning(
                "discord: refused to post %d private reply(ies) in a shared channel",
                len(replies) - len(deliverable),
            )
            if not deliverable:
                return Failed("refused: private replies addressed to a server channel")
        messages = render_replies(deliverable)
        try:
            ids = await self._send_messages(channel_id, messages, idempotency_key=idempotency_key)
        except discord.RateLimited as exc:
            return RetryAfter(float(exc.retry_after), "rate limited by Discord")
        except discord.Forbidden as exc:
            if exc.code == DM_CLOSED:
                return Blocked(f"Discord {exc.code}: {exc.text}")
            return Failed(f"Discord 403 {exc.code}: {exc.text}")
        except discord.HTTPException as exc:
            if exc.status == 429:  # without Discord's headers: an edge (Cloudflare) limit
                return RetryAfter(60.0, "rate limited by Discord's edge")
            if exc.status >= 500:
                return RetryAfter(SERVER_RETRY_S, f"Discord {exc.status}")
            return Failed(f"Discord {exc.status} {exc.code}: {exc.text}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return RetryAfter(SERVER_RETRY_S, f"network: {exc!r}")
        return Sent(tuple(ids))

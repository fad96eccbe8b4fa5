"""Discord adapter on discord.py 2.7: translation between Discord and the coach, nothing more.

Commands: one slash command group, ``/knee``: ``start``, ``today``, ``checkin``,
``progress``, ``settings``, ``learn [topic]``, ``export``, ``forget``, ``stop`` (each becomes
``Command(name, args)``) and the ``/knee club`` subgroup: ``setup <channel> <time>
<timezone>`` -> ``Command("club", "setup <channel_id> <HH:MM> <tz>")`` (or
``Command("club", "denied")`` when the member lacks Manage Server), ``off`` (same check),
``leaderboard <optin>`` -> ``Command("club", "leaderboard on|off")``. They are synced with
``tree.sync()`` at start.

Where the conversation happens: used in a server, a personal command answers with a short
ephemeral note (``discord.continued_in_dm``) and the conversation itself goes to the
member's DMs (the DM channel is opened once; its id is kept in a :class:`DMChannelStore`).
In DMs everything works directly, typed answers included. Club commands stay in the server
(``ConversationRef(shared=True)``); their replies are ephemeral, and a reply marked
``private`` goes to the member's DMs instead: nothing private is ever posted in a server.

Buttons survive restarts: each is a :class:`KneeButton` (a ``discord.ui.DynamicItem``)
whose custom_id is ``"kc|" + Button.data``; the class is registered with
``add_dynamic_items`` at start, so a press on a message sent before a restart still
reaches the engine as ``Press(data)``. Every interaction is deferred before the engine is
called (Discord wants an answer within 3 s); after a press the pressed message is edited
to show the choice (``Reply.chosen``) and loses its buttons.

Intents (for the README): ``Intents.none()`` + ``guilds`` + ``dm_messages``, nothing
privileged. Slash commands and button presses arrive as interactions whatever the intents;
``dm_messages`` delivers what people type in their DM with the bot, and Discord exempts DMs
(like messages that mention the bot) from the privileged Message Content intent, so that
text arrives without it. ``guilds`` keeps the server and channel cache that
``/knee club setup`` needs to accept a text channel. Enable nothing in the developer portal.

Proactive delivery (:meth:`DiscordAdapter.send`, the engine's ``Sender`` port) posts to
``ref.chat_id`` (the stored DM channel) with a nonce derived from the idempotency key
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
)
from bot.engine.delivery import Blocked, Failed, RetryAfter, SendResult, Sent
from bot.engine.events import Command, ConversationRef, Inbound, Press, Reply, Text
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

# (name, description); descriptions are replaced by the coach's command_menu() when it has them.
PERSONAL_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Start (or restart) your knee coach"),
    ("today", "Today's exercises"),
    ("checkin", "Tell the coach how your knee feels"),
    ("progress", "Your progress so far"),
    ("settings", "Reminder time, days and timezone"),
    ("learn", "Short reads about runner's knee"),
    ("export", "Download everything stored about you"),
    ("forget", "Delete everything stored about you"),
    ("stop", "Stop reminders"),
)
PERSONAL_NAMES = frozenset(name for name, _ in PERSONAL_COMMANDS)

# Adapter chrome: coach.text(key) when the content has it, else this English default.
UI_DEFAULTS: dict[str, str] = {
    "discord.continued_in_dm": "I've sent you a direct message: let's continue there.",
    "discord.dms_closed": (
        "I couldn't send you a direct message. Allow direct messages from server members "
        "(Privacy Settings), or use the commands in a DM with me."
    ),
    "discord.club_server_only": "Club commands work in a server channel.",
    "discord.error": "Sorry, something went wrong on my side. Please try again in a moment.",
}


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


def _personal_callback(name: str) -> Callback:
    async def callback(interaction: Interaction) -> None:
        await _adapter_of(interaction).on_personal_command(interaction, name, "")

    callback.__name__ = name
    return callback


@app_commands.describe(topic="What to read about (leave empty for the list)")
async def _learn(interaction: Interaction, topic: str | None = None) -> None:
    await _adapter_of(interaction).on_personal_command(interaction, "learn", (topic or "").strip())


@app_commands.describe(
    channel="The channel for the club's daily post",
    time="Local time of the post, HH:MM (24-hour)",
    timezone="IANA timezone, for example Europe/London",
)
async def _club_setup(
    interaction: Interaction,
    channel: discord.TextChannel,
    time: str,
    timezone: str,
) -> None:
    args = f"setup {channel.id} {time.strip()} {timezone.strip()}"
    await _adapter_of(interaction).on_club_command(interaction, args, needs_manage=True)


async def _club_off(interaction: Interaction) -> None:
    await _adapter_of(interaction).on_club_command(interaction, "off", needs_manage=True)


@app_commands.describe(optin="Show your streak on the club leaderboard?")
async def _club_leaderboard(interaction: Interaction, optin: bool) -> None:
    args = f"leaderboard {'on' if optin else 'off'}"
    await _adapter_of(interaction).on_club_command(interaction, args, needs_manage=False)


def build_command_group(menu: Sequence[tuple[str, str]] = ()) -> app_commands.Group:
    """The ``/knee`` group with its subcommands (descriptions from the coach's menu)."""
    descriptions = {name: text for name, text in PERSONAL_COMMANDS}
    for name, text in menu:
        name = name.lstrip("/").lower()
        if name in descriptions and text.strip():
            descriptions[name] = _short(text)
    knee = app_commands.Group(name=ROOT_COMMAND, description="Your runner's knee coach")
    for name, _ in PERSONAL_COMMANDS:
        callback = _learn if name == "learn" else _personal_callback(name)
        knee.add_command(
            app_commands.Command(name=name, description=descriptions[name], callback=callback)
        )
    club = app_commands.Group(
        name="club", description="A running club's daily post in this server", parent=knee
    )
    club.add_command(
        app_commands.Command(
            name="setup",
            description="Set the club channel and time (Manage Server)",
            callback=_club_setup,
        )
    )
    club.add_command(
        app_commands.Command(
            name="off", description="Turn the club post off (Manage Server)", callback=_club_off
        )
    )
    club.add_command(
        app_commands.Command(
            name="leaderboard",
            description="Join or leave the club leaderboard",
            callback=_club_leaderboard,
        )
    )
    return knee


def _short(text: str, limit: int = 100) -> str:
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
        try:
            menu = list(self.coach.command_menu())
        except Exception:
            log.warning(
                "discord: coach.command_menu() failed; using default descriptions", exc_info=True
            )
            menu = []
        client.tree.add_command(build_command_group(menu))
        if self.settings.sync_commands:
            synced = await client.tree.sync()
            log.info("discord: synced %d application command(s)", len(synced))

    # ------------------------------------------------------------------ helpers

    def ui_text(self, key: str) -> str:
        """Adapter chrome from the coach's content, rendered for Discord."""
        text = ""
        try:
            text = self.coach.text(key)
        except Exception:
            text = ""
        if not text or text == key:
            text = UI_DEFAULTS.get(key, key)
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
        self, interaction: Interaction, args: str, *, needs_manage: bool
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
            args = "denied"
        ref = ConversationRef(
            PLATFORM, str(interaction.user.id), str(interaction.channel_id), shared=True
        )
        try:
            replies = await self.coach.handle(ref, Command("club", args))
            await self._answer_in_server(interaction, replies, original_pending=True)
        except Exception:
            log.exception("discord: /%s club %s failed", ROOT_COMMAND, args.split()[0])
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
            chosen = next((r.chosen for r in replies if r.chosen), None)
            if chosen is not None and interaction.message is not None:
                await interaction.edit_original_response(
                    content=render_chosen(interaction.message.content, chosen), view=None
                )
            if in_guild:
                await self._answer_in_server(interaction, replies, original_pending=False)
            else:
                await self._send_messages(int(channel_id), render_replies(replies))
        except Exception:
            log.exception("discord: a button press failed")
            await self.answer_error(interaction)

    async def _answer_in_server(
        self, interaction: Interaction, replies: Sequence[Reply], *, original_pending: bool
    ) -> None:
        """Replies to an interaction in a server: private ones to the DM, the rest ephemeral."""
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
        for message in messages:
            await interaction.followup.send(
                **self._message_kwargs(message), ephemeral=True, wait=True
            )

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

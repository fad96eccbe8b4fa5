"""A fake Discord on 127.0.0.1: REST API v10 + a gateway websocket, for the real discord.py.

Start it, point the adapter at ``fake.api_base`` (and ``fake.gateway_url``), and drive it
like a person would: ``await fake.slash(alice, guild, "start")``, ``await fake.press(...)``,
``await fake.dm(alice, "it hurts on stairs")``. Everything the bot sends is recorded per
channel (``fake.messages_in(channel_id)``) with its flags, so a test can assert, for example,
that nothing but ephemeral messages ever went to a guild channel.

Gateway (``GET /`` websocket, ``?v=10&encoding=json``, optional ``compress=zlib-stream``
(zlib frames ending in Z_SYNC_FLUSH) or ``zstd-stream`` when ``zstandard`` is installed):
HELLO (heartbeat_interval 41250 ms so no test waits on a heartbeat), HEARTBEAT -> ACK,
IDENTIFY -> READY + GUILD_CREATE per guild (needs the GUILDS intent), RESUME -> RESUMED,
dispatches INTERACTION_CREATE and MESSAGE_CREATE (DMs need DIRECT_MESSAGES; the privileged
MESSAGE_CONTENT intent is refused with close code 4014 unless ``privileged_intents`` allows
it; DM content is delivered without it, as on Discord). A session that identifies with
``"shard": [id, count]`` hears only of the servers whose ``(guild_id >> 22) % count`` is its
id, and shard 0 also of DMs, as on Discord (``add_guild(..., shard=(id, count))`` places a
server on a shard); an id outside the count is closed with 4010 Invalid shard.

REST (exactly ``Content-Type: application/json``, ``Via`` header as Discord's edge sends;
discord.py treats a 429 without ``Via`` as a Cloudflare ban): users/@me,
oauth2/applications/@me, gateway(/bot), global and guild command bulk overwrite,
users/@me/channels (one DM channel per recipient, same id every time), channel messages
(JSON or multipart with payload_json + files[n]; ``nonce`` + ``enforce_nonce`` returns the
original message for a repeated nonce within 5 minutes), message edits, interaction
callbacks (types 4, 5, 6, 7; answered later than 3 s -> 10062 Unknown interaction), and the
interaction webhook (follow-ups, @original edits).

Validation, with Discord-style errors (400 ``{"code": 50035, "message": "Invalid Form Body",
"errors": {...}}``): more than 10 files in a message, a file over 10 MiB (413 40005 "Request
entity too large"), an attachment description over 1024 characters, content over 2000
characters, nonce over 25, custom_id empty, over 100 or duplicated, button label over 80 or
missing, more than 5 buttons in a row, more than 5 rows, a top-level component that is not an
action row; a message with no content, embeds, files or stickers -> 400 50006 "Cannot send an
empty message" (stricter than Discord, which also accepts components alone: the adapter
always sends text).

Faults: ``close_dms(user)`` (403 50007), ``restrict_bot(channel, deny)`` (a member overwrite
that takes permissions from the bot in a server channel, sent to the client as
CHANNEL_UPDATE; creating a message there answers 403 50001 Missing Access without View
Channel, 50013 Missing Permissions without Send Messages), ``rate_limit_once(retry_after)``
(one 429 with ``X-RateLimit-*``, ``Retry-After`` and ``{"retry_after", "global"}``),
``fail_once(503)``.

Waiting: ``await fake.wait_for(predicate)`` and the helpers built on it wake on every change
(an ``asyncio.Condition``), with a timeout; nothing sleeps on the wall clock.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import json
import math
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS

MAX_CONTENT = 2000
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
MAX_ROWS = 5
MAX_ROW_WIDTH = 5
MAX_NONCE = 25
MAX_ATTACHMENTS = 10  # files in one message
MAX_FILE_BYTES = 10 * 1024 * 1024  # a bot's upload limit without server boosts
NONCE_WINDOW_S = 300.0
INTERACTION_DEADLINE_S = 3.0

_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class DiscordError(Exception):
    """An error answer: status + Discord JSON body (+ extra headers)."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _error(status: int, code: int, message: str) -> DiscordError:
    return DiscordError(status, {"code": code, "message": message})


def _form_error(errors: dict[str, Any]) -> DiscordError:
    return DiscordError(400, {"code": 50035, "message": "Invalid Form Body", "errors": errors})


def _field_error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def _put_error(errors: dict[str, Any], path: Iterable[str | int], error: dict[str, Any]) -> None:
    node = errors
    keys = [str(part) for part in path]
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = error


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


# --------------------------------------------------------------------------- model


@dataclass
class FakeUser:
    id: str
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "discriminator": "0",
            "global_name": None if self.bot else self.username.title(),
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeChannel:
    id: str
    type: int  # 0 guild text, 1 DM
    name: str = ""
    guild_id: str | None = None
    recipient_id: str | None = None
    position: int = 0
    bot_deny: int = 0  # permissions a member overwrite takes from the bot here

    @property
    def is_dm(self) -> bool:
        return self.type == 1

    def payload(self, fake: FakeDiscord) -> dict[str, Any]:
        if self.is_dm:
            recipients = [fake.users[self.recipient_id].payload()] if self.recipient_id else []
            return {
                "id": self.id,
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": recipients,
            }
        return {
            "id": self.id,
            "type": self.type,
            "guild_id": self.guild_id,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [
                {"id": fake.bot.id, "type": 1, "allow": "0", "deny": str(self.bot_deny)}
            ] if self.bot_deny else [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }


@dataclass
class FakeGuild:
    id: str
    name: str
    owner_id: str
    channels: list[FakeChannel] = field(default_factory=list)
    # user id -> permission bitfield (what Discord resolves for a member in a channel)
    permissions: dict[str, int] = field(default_factory=dict)
    joined_at: float = field(default_factory=time.time)

    @property
    def text_channels(self) -> list[FakeChannel]:
        return [c for c in self.channels if c.type == 0]

    def channel(self, name: str) -> FakeChannel:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)

    def member_permissions(self, user_id: str) -> int:
        if user_id == self.owner_id:
            return MEMBER_PERMISSIONS | MANAGE_GUILD | ADMINISTRATOR
        return self.permissions.get(user_id, MEMBER_PERMISSIONS)


@dataclass
class FakeAttachment:
    id: str
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    description: str | None = None

    def payload(self, channel_id: str) -> dict[str, Any]:
        url = f"https://cdn.discordapp.invalid/attachments/{channel_id}/{self.id}/{self.filename}"
        out: dict[str, Any] = {
            "id": self.id,
            "filename": self.filename,
            "size": len(self.data),
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass
class FakeMessage:
    id: str
    channel_id: str
    guild_id: str | None
    author_id: str
    content: str
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    embeds: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    source: str = "rest"  # rest | interaction | followup | user
    interaction_id: str | None = None
    webhook_id: str | None = None
    created: float = field(default_factory=time.time)
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def rows(self) -> list[list[dict[str, Any]]]:
        return [list(row.get("components", [])) for row in self.components if row.get("type") == 1]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.rows for c in row if c.get("type") == 2]

    @property
    def custom_ids(self) -> list[str]:
        return [b["custom_id"] for b in self.buttons if "custom_id" in b]

    def payload(self, fake: FakeDiscord) -> dict[str, Any]:
        author = fake.users[self.author_id].payload()
        out: dict[str, Any] = {
            "id": self.id,
            "channel_id": self.channel_id,
            "type": 0 if self.interaction_id is None else 20,
            "content": self.content,
            "author": author,
            "timestamp": _iso(self.created),
            "edited_timestamp": _iso(self.edits[-1]["at"]) if self.edits else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.payload(self.channel_id) for a in self.attachments],
            "embeds": list(self.embeds),
            "pinned": False,
            "flags": self.flags,
            "components": json.loads(json.dumps(self.components)),
        }
        if self.guild_id is not None:
            out["guild_id"] = self.guild_id
        if self.nonce is not None:
            out["nonce"] = self.nonce
        if self.webhook_id is not None:
            out["webhook_id"] = self.webhook_id
            out["application_id"] = fake.application_id
        return out


@dataclass
class FakeInteraction:
    id: str
    token: str
    type: int  # 2 application command, 3 message component
    user_id: str
    guild_id: str | None
    channel_id: str
    data: dict[str, Any]
    message_id: str | None = None  # the message a pressed component belongs to
    created: float = field(default_factory=time.monotonic)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    acknowledged_after: float | None = None
    original_message_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    late: bool = False

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None


@dataclass
class _Fault:
    method: str
    channel_id: str | None
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    skip: int = 0  # let this many matching requests through first


@dataclass
class _Session:
    ws: web.WebSocketResponse
    compress: str | None
    compressor: Any = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    seq: int = 0
    session_id: str | None = None
    intents: int = 0
    ready: bool = False
    shard: tuple[int, int] | None = None  # (id, count) from IDENTIFY

    def hears(self, guild_id: str | None) -> bool:
        """Whether events of ``guild_id`` (None: a DM) come on this session's shard."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (int(guild_id) >> 22) % count == shard_id

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        async with self.lock:
            if self.ws.closed:
                return
            if self.compress == "zlib-stream":
                data = self.compressor.compress(raw) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            elif self.compress == "zstd-stream":
                zstd = importlib.import_module("zstandard")
                data = self.compressor.compress(raw) + self.compressor.flush(
                    zstd.COMPRESSOBJ_FLUSH_BLOCK
                )
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(raw.decode())

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await self.send({"op": 0, "t": event, "s": self.seq, "d": data})


# --------------------------------------------------------------------------- the fake


class FakeDiscord:
    """A loopback Discord. Use ``async with FakeDiscord() as fake:`` or start()/stop()."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "Kneecoach",
        heartbeat_interval_ms: int = 41250,
        privileged_intents: int = 0,
        interaction_deadline_s: float = INTERACTION_DEADLINE_S,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.privileged_intents = privileged_intents
        self.interaction_deadline_s = interaction_deadline_s
        self._ids = itertools.count(1)
        self.application_id = self.snowflake()
        self.bot = FakeUser(self.snowflake(), bot_name, bot=True)
        self.users: dict[str, FakeUser] = {self.bot.id: self.bot}
        self.guilds: dict[str, FakeGuild] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.messages: dict[str, FakeMessage] = {}
        self.interactions: dict[str, FakeInteraction] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[str, list[dict[str, Any]]] = {}
        self.command_syncs: list[tuple[str | None, list[dict[str, Any]]]] = []
        self.requests: list[tuple[str, str, int]] = []
        self.rate_limited: list[tuple[str, str]] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.dms_closed: set[str] = set()
        self._dm_by_user: dict[str, FakeChannel] = {}
        self._nonces: dict[tuple[str, str], tuple[float, str]] = {}
        self._faults: list[_Fault] = []
        self._sessions: list[_Session] = []
        self._sessions_by_id: dict[str, _Session] = {}
        # The most gateway sessions that were ready at one time (a bot that must hold one
        # gateway session, as several processes on one database must, keeps it at 1).
        self.peak_ready_sessions = 0
        self._cond: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeDiscord:
        self._cond = asyncio.Condition()
        # Room for more than the 10 x 10 MiB a message may carry, so the fake decides the 413.
        app = web.Application(middlewares=[self._middleware], client_max_size=128 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for session in list(self._sessions):
            await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ world setup

    def snowflake(self, shard: tuple[int, int] | None = None) -> str:
        """A new id; with ``shard=(id, count)``, one whose server falls on that shard."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if shard is not None:
            ms -= (ms - shard[0]) % shard[1]
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    def add_user(self, username: str) -> FakeUser:
        user = FakeUser(self.snowflake(), username)
        self.users[user.id] = user
        return user

    def add_guild(
        self, name: str, *, owner: FakeUser | None = None, channels: Iterable[str] = ("general",),
        shard: tuple[int, int] | None = None,
    ) -> FakeGuild:
        owner_id = owner.id if owner else self.add_user(f"{name}-owner").id
        guild = FakeGuild(self.snowflake(shard), name, owner_id)
        for position, channel_name in enumerate(channels):
            channel = FakeChannel(self.snowflake(), 0, channel_name, guild.id, position=position)
            guild.channels.append(channel)
            self.channels[channel.id] = channel
        self.guilds[guild.id] = guild
        for session in self._ready_sessions():
            if session.intents & INTENT_GUILDS and session.hears(guild.id):
                task = asyncio.ensure_future(
                    session.dispatch("GUILD_CREATE", self._guild_create(guild))
                )
                task.add_done_callback(lambda t: t.exception())
        return guild

    def set_permissions(self, guild: FakeGuild, user: FakeUser, permissions: int) -> None:
        guild.permissions[user.id] = permissions

    def restrict_bot(self, channel: FakeChannel, deny: int = SEND_MESSAGES) -> None:
        """An admin takes ``deny`` from the bot in ``channel`` (0 gives it back). A client
        already connected hears of it by CHANNEL_UPDATE, in the background; one that
        connects later gets it with the server."""
        channel.bot_deny = deny
        for session in self._ready_sessions():
            if session.intents & INTENT_GUILDS and session.hears(channel.guild_id):
                task = asyncio.ensure_future(
                    session.dispatch("CHANNEL_UPDATE", channel.payload(self))
                )
                task.add_done_callback(lambda t: t.exception())

    def bot_permissions(self, channel: FakeChannel) -> int:
        """What the bot may do in a server channel (the @everyone role less its overwrite)."""
        return MEMBER_PERMISSIONS & ~channel.bot_deny

    def close_dms(self, user: FakeUser | str) -> None:
        """Sending to this user's DM channel answers 403 50007 from now on."""
        self.dms_closed.add(user if isinstance(user, str) else user.id)

    def open_dms(self, user: FakeUser | str) -> None:
        self.dms_closed.discard(user if isinstance(user, str) else user.id)

    def rate_limit_once(
        self,
        retry_after: float,
        *,
        channel_id: str | None = None,
        global_: bool = False,
        after: int = 0,
    ) -> None:
        """The next message create (in ``channel_id``, after ``after`` others) answers 429."""
        headers = {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-bucket-messages",
            "X-RateLimit-Scope": "global" if global_ else "shared",
            "Retry-After": str(max(1, math.ceil(retry_after))),
        }
        if global_:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": global_,
        }
        self._faults.append(_Fault("POST", channel_id, 429, body, headers, skip=after))

    def fail_once(
        self, status: int = 503, *, channel_id: str | None = None, after: int = 0
    ) -> None:
        """The next message create (in ``channel_id``, after ``after`` others) fails."""
        body = {"code": 0, "message": f"{status}: fake failure"}
        self._faults.append(_Fault("POST", channel_id, status, body, {}, skip=after))

    def dm_channel(self, user: FakeUser | str) -> FakeChannel:
        """The user's DM channel with the bot (created on first use, same id after)."""
        user_id = user if isinstance(user, str) else user.id
        channel = self._dm_by_user.get(user_id)
        if channel is None:
            channel = FakeChannel(self.snowflake(), 1, recipient_id=user_id)
            self._dm_by_user[user_id] = channel
            self.channels[channel.id] = channel
        return channel

    def has_dm_channel(self, user: FakeUser | str) -> bool:
        return (user if isinstance(user, str) else user.id) in self._dm_by_user

    # ------------------------------------------------------------------ records

    def messages_in(
        self, channel: FakeChannel | str, *, include_loading: bool = False
    ) -> list[FakeMessage]:
        channel_id = channel if isinstance(channel, str) else channel.id
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and not m.deleted and (include_loading or not m.loading)
        ]

    def bot_messages_in(self, channel: FakeChannel | str) -> list[FakeMessage]:
        return [m for m in self.messages_in(channel) if m.author_id == self.bot.id]

    def dm_messages(self, user: FakeUser) -> list[FakeMessage]:
        if not self.has_dm_channel(user):
            return []
        return self.bot_messages_in(self.dm_channel(user))

    def guild_messages(self) -> list[FakeMessage]:
        """Every message the bot put in a guild channel (ephemeral or not)."""
        return [
            m
            for m in self.messages.values()
            if m.guild_id is not None and m.author_id == self.bot.id and not m.deleted
        ]

    def public_guild_messages(self) -> list[FakeMessage]:
        """What other members of a server could read: non-ephemeral bot messages there."""
        return [m for m in self.guild_messages() if not m.ephemeral]

    def interaction_messages(self, interaction: FakeInteraction) -> list[FakeMessage]:
        ids = [interaction.original_message_id, *interaction.followup_ids]
        return [self.messages[i] for i in ids if i is not None and i in self.messages]

    # ------------------------------------------------------------------ waiting

    async def _changed(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    async def wait_for(
        self, predicate: Callable[[], bool], *, within: float = 5.0, what: str = "condition"
    ) -> None:
        assert self._cond is not None, "start the fake first"
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(predicate), within)
            except TimeoutError:
                raise AssertionError(f"fake discord: timed out waiting for {what}") from None

    async def wait_ready(self, *, within: float = 5.0) -> None:
        await self.wait_for(lambda: bool(self._ready_sessions()), within=within, what="READY")

    async def wait_messages(
        self, channel: FakeChannel | str, count: int, *, within: float = 5.0
    ) -> list[FakeMessage]:
        await self.wait_for(
            lambda: len(self.bot_messages_in(channel)) >= count,
            within=within,
            what=f"{count} bot message(s) in {channel if isinstance(channel, str) else channel.id}",
        )
        return self.bot_messages_in(channel)

    async def wait_dm(
        self, user: FakeUser, count: int, *, within: float = 5.0
    ) -> list[FakeMessage]:
        return await self.wait_messages(self.dm_channel(user), count, within=within)

    async def wait_acknowledged(self, interaction: FakeInteraction, *, within: float = 5.0) -> None:
        await self.wait_for(lambda: interaction.acknowledged, within=within, what="interaction ack")

    async def wait_original(
        self, interaction: FakeInteraction, *, within: float = 5.0
    ) -> FakeMessage:
        """The interaction's original response, once it is no longer "thinking"."""

        def done() -> bool:
            mid = interaction.original_message_id
            return mid is not None and mid in self.messages and not self.messages[mid].loading

        await self.wait_for(done, within=within, what="the original interaction response")
        assert interaction.original_message_id is not None
        return self.messages[interaction.original_message_id]

    # ------------------------------------------------------------------ user actions

    async def slash(
        self,
        user: FakeUser,
        guild: FakeGuild | None,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        channel: FakeChannel | None = None,
        root: str = "knee",
    ) -> FakeInteraction:
        """Invoke ``/<root> <command> [options]``; ``command`` may be "club setup"."""
        await self.wait_ready()
        definition = self._find_command(root, guild)
        path = command.split()
        node: dict[str, Any] = definition
        for name in path:
            found = [
                o for o in node.get("options", []) if o["name"] == name and o["type"] in (1, 2)
            ]
            if not found:
                raise ValueError(f"/{root} has no subcommand {command!r} (synced: {definition})")
            node = found[0]
        if node["type"] != 1:
            raise ValueError(f"{command!r} is a group, not a subcommand")
        if channel is None:
            channel = guild.text_channels[0] if guild is not None else self.dm_channel(user)
        leaf_options, resolved = self._build_options(node, dict(options or {}), guild)
        data: dict[str, Any] = {
            "id": definition["id"],
            "name": root,
            "type": 1,
        }
        inner: list[dict[str, Any]] = leaf_options
        for name, kind in reversed(
            [(n, 1 if i == len(path) - 1 else 2) for i, n in enumerate(path)]
        ):
            inner = [{"name": name, "type": kind, "options": inner}]
        data["options"] = inner
        if resolved:
            data["resolved"] = resolved
        if guild is not None and definition.get("guild_id"):
            data["guild_id"] = guild.id
        interaction = self._new_interaction(2, user, guild, channel, data)
        await self._dispatch_interaction(interaction, None)
        return interaction

    async def press(
        self,
        user: FakeUser,
        channel: FakeChannel | str,
        message_id: str,
        custom_id: str,
    ) -> FakeInteraction:
        """Press the button ``custom_id`` on a message the bot sent."""
        await self.wait_ready()
        channel_obj = self.channels[channel] if isinstance(channel, str) else channel
        message = self.messages.get(message_id)
        if message is None or message.channel_id != channel_obj.id or message.deleted:
            raise ValueError(f"no message {message_id} in channel {channel_obj.id}")
        if custom_id not in message.custom_ids:
            raise ValueError(
                f"message {message_id} has no button {custom_id!r}: {message.custom_ids}"
            )
        guild = self.guilds.get(channel_obj.guild_id) if channel_obj.guild_id else None
        data = {"custom_id": custom_id, "component_type": 2}
        interaction = self._new_interaction(3, user, guild, channel_obj, data)
        interaction.message_id = message.id
        await self._dispatch_interaction(interaction, message)
        return interaction

    async def dm(self, user: FakeUser, text: str) -> FakeMessage:
        """The user types ``text`` in their DM with the bot."""
        await self.wait_ready()
        channel = self.dm_channel(user)
        message = FakeMessage(self.snowflake(), channel.id, None, user.id, text, source="user")
        self.messages[message.id] = message
        await self._broadcast_message(message)
        await self._changed()
        return message

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway connection (discord.py then RESUMEs)."""
        for session in list(self._sessions):
            await session.ws.close(code=code)

    # ------------------------------------------------------------------ gateway

    def _ready_sessions(self) -> list[_Session]:
        return [s for s in self._sessions if s.ready and not s.ws.closed]

    def _count_ready(self) -> None:
        self.peak_ready_sessions = max(self.peak_ready_sessions, len(self._ready_sessions()))

    def _guild_create(self, guild: FakeGuild) -> dict[str, Any]:
        bot_member = {
            "user": self.bot.payload(),
            "roles": [],
            "joined_at": _iso(guild.joined_at),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "owner_id": guild.owner_id,
            "unavailable": False,
            "large": False,
            "member_count": 1 + len(guild.permissions),
            "joined_at": _iso(guild.joined_at),
            "features": [],
            "preferred_locale": "en-US",
            "roles": [
                {
                    "id": guild.id,
                    "name": "@everyone",
                    "permissions": str(MEMBER_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [c.payload(self) for c in guild.channels],
            "members": [bot_member],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "emojis": [],
            "stickers": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        if request.query.get("v", "10") != "10":
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"Decode error")
            return ws
        compress = request.query.get("compress")
        compressor: Any = None
        if compress == "zlib-stream":
            compressor = zlib.compressobj()
        elif compress == "zstd-stream":
            try:
                zstd = importlib.import_module("zstandard")
            except ImportError:
                await ws.close(code=4000, message=b"zstd not available in the fake")
                return ws
            compressor = zstd.ZstdCompressor().compressobj()
        elif compress is not None:
            await ws.close(code=4000, message=b"Unknown compression")
            return ws
        session = _Session(ws, compress, compressor)
        self._sessions.append(session)
        try:
            await session.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._gateway_op(session, json.loads(msg.data))
                elif msg.type == WSMsgType.BINARY:
                    await ws.close(code=4002, message=b"Decode error")
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            if session in self._sessions:
                self._sessions.remove(session)
            await self._changed()
        return ws

    async def _gateway_op(self, session: _Session, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:  # HEARTBEAT
            await session.send({"op": 11})
        elif op == 2:  # IDENTIFY
            await self._identify(session, data or {})
        elif op == 6:  # RESUME
            await self._resume(session, data or {})
        elif op in (3, 4, 8):  # presence, voice state, request guild members: ignored
            return
        else:
            await session.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, session: _Session, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        if session.ready:
            await session.ws.close(code=4005, message=b"Already authenticated")
            return
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await session.ws.close(code=4014, message=b"Disallowed intent(s)")
            return
        shard = data.get("shard")
        if shard is not None:
            shard_id, count = (int(n) for n in shard)
            if not 0 <= shard_id < count:
                await session.ws.close(code=4010, message=b"Invalid shard")
                return
            session.shard = (shard_id, count)
        session.intents = intents
        session.session_id = secrets.token_hex(16)
        self._sessions_by_id[session.session_id] = session
        session.ready = True
        self._count_ready()
        ready = {
            "v": 10,
            "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [
                {"id": g.id, "unavailable": True} for g in self.guilds.values()
                if session.hears(g.id)
            ],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "session_type": "normal",
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        await session.dispatch("READY", ready)
        if intents & INTENT_GUILDS:
            for guild in self.guilds.values():
                if session.hears(guild.id):
                    await session.dispatch("GUILD_CREATE", self._guild_create(guild))
        await self._changed()

    async def _resume(self, session: _Session, data: dict[str, Any]) -> None:
        self.resumes.append(data)
        old = self._sessions_by_id.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed")
            return
        if old is None:
            await session.send({"op": 9, "d": False})
            return
        session.intents = old.intents
        session.session_id = old.session_id
        session.seq = max(old.seq, int(data.get("seq") or 0))
        assert session.session_id is not None
        self._sessions_by_id[session.session_id] = session
        session.ready = True
        self._count_ready()
        await session.dispatch("RESUMED", {})
        await self._changed()

    async def _broadcast_message(self, message: FakeMessage) -> None:
        channel = self.channels[message.channel_id]
        for session in self._ready_sessions():
            if not session.hears(channel.guild_id):
                continue
            if channel.is_dm and not session.intents & INTENT_DIRECT_MESSAGES:
                continue
            if not channel.is_dm and not session.intents & INTENT_GUILD_MESSAGES:
                continue
            payload = message.payload(self)
            has_content = (
                channel.is_dm
                or session.intents & INTENT_MESSAGE_CONTENT
                or message.author_id == self.bot.id
            )
            if not has_content:
                payload.update(content="", embeds=[], attachments=[], components=[])
            await session.dispatch("MESSAGE_CREATE", payload)

    async def _dispatch_interaction(
        self, interaction: FakeInteraction, message: FakeMessage | None
    ) -> None:
        sessions = [s for s in self._ready_sessions() if s.hears(interaction.guild_id)]
        if not sessions:
            raise AssertionError("fake discord: no bot is connected to the gateway (on the "
                                 "shard of this server)")
        payload = self._interaction_payload(interaction, message)
        for session in sessions:
            await session.dispatch("INTERACTION_CREATE", payload)

    def _find_command(self, root: str, guild: FakeGuild | None) -> dict[str, Any]:
        pools = []
        if guild is not None:
            pools.append(self.guild_commands.get(guild.id, []))
        pools.append(self.global_commands)
        for pool in pools:
            for command in pool:
                if command["name"] == root:
                    return command
        raise ValueError(f"/{root} was never synced")

    def _build_options(
        self, node: dict[str, Any], values: dict[str, Any], guild: FakeGuild | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        options: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        known = {o["name"]: o for o in node.get("options", [])}
        for name in values:
            if name not in known:
                raise ValueError(f"unknown option {name!r}; known: {sorted(known)}")
        for name, spec in known.items():
            if name not in values or values[name] is None:
                if spec.get("required"):
                    raise ValueError(f"missing required option {name!r}")
                continue
            value = values[name]
            kind = spec["type"]
            if kind == 7:  # channel
                channel = value if isinstance(value, FakeChannel) else self.channels[str(value)]
                value = channel.id
                resolved.setdefault("channels", {})[channel.id] = {
                    "id": channel.id,
                    "name": channel.name,
                    "type": channel.type,
                    "permissions": str(MEMBER_PERMISSIONS),
                    "parent_id": None,
                    "guild_id": channel.guild_id,
                }
            elif kind == 6:  # user
                user = value if isinstance(value, FakeUser) else self.users[str(value)]
                value = user.id
                resolved.setdefault("users", {})[user.id] = user.payload()
            elif kind == 5:
                value = bool(value)
            elif kind == 4:
                value = int(value)
            elif kind == 10:
                value = float(value)
            else:
                value = str(value)
            options.append({"name": name, "type": kind, "value": value})
        return options, resolved

    def _new_interaction(
        self,
        kind: int,
        user: FakeUser,
        guild: FakeGuild | None,
        channel: FakeChannel,
        data: dict[str, Any],
    ) -> FakeInteraction:
        interaction = FakeInteraction(
            id=self.snowflake(),
            token="itoken-" + secrets.token_urlsafe(24),
            type=kind,
            user_id=user.id,
            guild_id=guild.id if guild else None,
            channel_id=channel.id,
            data=data,
        )
        self.interactions[interaction.id] = interaction
        return interaction

    def _interaction_payload(
        self, interaction: FakeInteraction, message: FakeMessage | None
    ) -> dict[str, Any]:
        user = self.users[interaction.user_id]
        channel = self.channels[interaction.channel_id]
        payload: dict[str, Any] = {
            "id": interaction.id,
            "application_id": self.application_id,
            "type": interaction.type,
            "data": interaction.data,
            "token": interaction.token,
            "version": 1,
            "channel_id": channel.id,
            "locale": "en-GB",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if interaction.guild_id is not None:
            guild = self.guilds[interaction.guild_id]
            perms = guild.member_permissions(user.id)
            payload.update(
                guild_id=guild.id,
                guild={"id": guild.id, "locale": "en-US", "features": []},
                guild_locale="en-US",
                context=0,
                authorizing_integration_owners={"0": guild.id},
                app_permissions=str(MEMBER_PERMISSIONS),
                channel={**channel.payload(self), "permissions": str(perms)},
                member={
                    "user": user.payload(),
                    "roles": [],
                    "joined_at": _iso(guild.joined_at),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "pending": False,
                    "nick": None,
                    "permissions": str(perms),
                },
            )
        else:
            payload.update(
                user=user.payload(),
                context=1,
                authorizing_integration_owners={"0": "0"},
                app_permissions=str(MEMBER_PERMISSIONS),
                channel=channel.payload(self),
            )
        if message is not None:
            payload["message"] = message.payload(self)
        return payload

    # ------------------------------------------------------------------ REST plumbing

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except DiscordError as exc:
            response = self._json(exc.body, exc.status, exc.headers)
        if request.path.startswith(API_PREFIX):
            self.requests.append((request.method, request.path[len(API_PREFIX) :], response.status))
            await self._changed()
        return response

    @staticmethod
    def _json(
        data: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        all_headers = {"Content-Type": "application/json", "Via": "1.1 google"}
        all_headers.update(headers or {})
        return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)

    @staticmethod
    def _no_content() -> web.Response:
        return web.Response(status=204, headers={"Via": "1.1 google"})

    async def _read_body(self, request: web.Request) -> tuple[dict[str, Any], list[FakeAttachment]]:
        files: list[FakeAttachment] = []
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                name = part.name
                if name == "payload_json":
                    payload = json.loads(await part.text())
                elif name and name.startswith("files["):
                    data = await part.read(decode=False)
                    filename = part.filename or "file"
                    content_type = part.headers.get("Content-Type", "application/octet-stream")
                    files.append(
                        FakeAttachment(self.snowflake(), filename, bytes(data), content_type)
                    )
            return payload, files
        if not request.can_read_body:
            return {}, files
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise _error(400, 50109, "The request body contains invalid JSON.") from None
        return (body if isinstance(body, dict) else {"_": body}), files

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method
        public = path.startswith("/interactions/") or path.startswith("/webhooks/")
        if not public and request.headers.get("Authorization") != f"Bot {self.token}":
            raise _error(401, 0, "401: Unauthorized")
        routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_commands),
            ("GET", r"/applications/(?P<app>\d+)/commands", self._get_commands),
            (
                "PUT",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                self._put_commands,
            ),
            (
                "GET",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                self._get_commands,
            ),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/channels/(?P<channel>\d+)", self._get_channel),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._create_message),
            ("GET", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._get_message),
            ("PATCH", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", self._edit_message),
            (
                "DELETE",
                r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)",
                self._delete_message,
            ),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
            (
                "GET",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                self._edit_webhook_message,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                self._delete_webhook_message,
            ),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                result: web.StreamResponse = await handler(request, **match.groupdict())
                return result
        raise _error(404, 0, "404: Not Found")

    # ------------------------------------------------------------------ REST: identity

    async def _get_me(self, request: web.Request) -> web.Response:
        return self._json(
            {**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0}
        )

    async def _get_application(self, request: web.Request) -> web.Response:
        owner = next(iter(u for u in self.users.values() if not u.bot), None) or self.add_user(
            "owner"
        )
        return self._json(
            {
                "id": self.application_id,
                "name": self.bot.username,
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner.payload(),
                "verify_key": "0" * 64,
                "flags": 0,
                "bot": self.bot.payload(),
                "interactions_endpoint_url": None,
                "team": None,
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    # ------------------------------------------------------------------ REST: commands

    def _validate_commands(self, commands: Any) -> None:
        if not isinstance(commands, list):
            raise _form_error(
                {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Not an array."}]}
            )
        errors: dict[str, Any] = {}
        seen: set[tuple[str, int]] = set()

        def check_options(options: list[dict[str, Any]], path: list[str | int]) -> None:
            if len(options) > 25:
                _put_error(
                    errors,
                    [*path, "options"],
                    _field_error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                )
            optional_seen = False
            for index, option in enumerate(options):
                here = [*path, "options", index]
                name = str(option.get("name", ""))
                if not _COMMAND_NAME.match(name) or name != name.lower():
                    _put_error(
                        errors,
                        [*here, "name"],
                        _field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"),
                    )
                description = str(option.get("description", ""))
                if not 1 <= len(description) <= 100:
                    _put_error(
                        errors,
                        [*here, "description"],
                        _field_error(
                            "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                        ),
                    )
                if option.get("type") in (1, 2):
                    check_options(list(option.get("options", [])), here)
                    continue
                if option.get("required"):
                    if optional_seen:
                        _put_error(
                            errors,
                            [*here, "required"],
                            _field_error(
                                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                "Required options must be placed before non-required options",
                            ),
                        )
                else:
                    optional_seen = True
                if len(option.get("choices") or []) > 25:
                    _put_error(
                        errors,
                        [*here, "choices"],
                        _field_error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                    )

        for index, command in enumerate(commands):
            name = str(command.get("name", ""))
            kind = int(command.get("type", 1))
            if not _COMMAND_NAME.match(name) or (kind == 1 and name != name.lower()):
                _put_error(
                    errors,
                    [index, "name"],
                    _field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"),
                )
            if (name, kind) in seen:
                _put_error(
                    errors,
                    [index, "name"],
                    _field_error(
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        "Application command names must be unique",
                    ),
                )
            seen.add((name, kind))
            if kind == 1:
                description = str(command.get("description", ""))
                if not 1 <= len(description) <= 100:
                    _put_error(
                        errors,
                        [index, "description"],
                        _field_error(
                            "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                        ),
                    )
                check_options(list(command.get("options", [])), [index])
        if errors:
            raise _form_error(errors)

    async def _put_commands(
        self, request: web.Request, app: str, guild: str | None = None
    ) -> web.Response:
        if app != self.application_id:
            raise _error(403, 50001, "Missing Access")
        commands = await request.json()
        self._validate_commands(commands)
        pool = self.global_commands if guild is None else self.guild_commands.get(guild, [])
        old_ids = {(c["name"], c.get("type", 1)): c["id"] for c in pool}
        stored: list[dict[str, Any]] = []
        for command in commands:
            kind = int(command.get("type", 1))
            entry = {
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                **command,
                "id": old_ids.get((command["name"], kind)) or self.snowflake(),
                "application_id": self.application_id,
                "type": kind,
                "version": self.snowflake(),
            }
            if kind != 1:
                entry["description"] = ""
            if guild is not None:
                entry["guild_id"] = guild
            stored.append(entry)
        if guild is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild] = stored
        self.command_syncs.append((guild, stored))
        return self._json(stored)

    async def _get_commands(
        self, request: web.Request, app: str, guild: str | None = None
    ) -> web.Response:
        pool = self.global_commands if guild is None else self.guild_commands.get(guild, [])
        return self._json(pool)

    # ------------------------------------------------------------------ REST: channels

    async def _create_dm(self, request: web.Request) -> web.Response:
        body, _ = await self._read_body(request)
        recipient = str(body.get("recipient_id", ""))
        if recipient not in self.users or recipient == self.bot.id:
            raise _error(400, 50033, "Invalid Recipient(s)")
        return self._json(self.dm_channel(recipient).payload(self))

    async def _get_channel(self, request: web.Request, channel: str) -> web.Response:
        found = self.channels.get(channel)
        if found is None:
            raise _error(404, 10003, "Unknown Channel")
        return self._json(found.payload(self))

    def _take_fault(self, method: str, channel_id: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.channel_id in (None, channel_id):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                self._faults.remove(fault)
                return fault
        return None

    async def _create_message(self, request: web.Request, channel: str) -> web.Response:
        found = self.channels.get(channel)
        if found is None:
            raise _error(404, 10003, "Unknown Channel")
        payload, files = await self._read_body(request)
        fault = self._take_fault("POST", channel)
        if fault is not None:
            if fault.status == 429:
                self.rate_limited.append(("POST", channel))
            raise DiscordError(fault.status, fault.body, fault.headers)
        if found.is_dm and found.recipient_id in self.dms_closed:
            raise _error(403, 50007, "Cannot send messages to this user")
        if not found.is_dm:
            allowed = self.bot_permissions(found)
            if not allowed & VIEW_CHANNEL:
                raise _error(403, 50001, "Missing Access")
            if not allowed & SEND_MESSAGES:
                raise _error(403, 50013, "Missing Permissions")
        self._validate_message(payload, files, creating=True)
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            key = (self.bot.id, str(nonce))
            previous = self._nonces.get(key)
            now = time.monotonic()
            if previous is not None and now - previous[0] < NONCE_WINDOW_S:
                original = self.messages.get(previous[1])
                if original is not None:
                    return self._json(original.payload(self))
        message = self._new_message(
            found, payload, files, flags=int(payload.get("flags") or 0) & ~EPHEMERAL
        )
        if nonce is not None and payload.get("enforce_nonce"):
            self._nonces[(self.bot.id, str(nonce))] = (time.monotonic(), message.id)
        await self._broadcast_message(message)
        return self._json(message.payload(self))

    def _new_message(
        self,
        channel: FakeChannel,
        payload: dict[str, Any],
        files: list[FakeAttachment],
        *,
        flags: int,
        source: str = "rest",
        interaction: FakeInteraction | None = None,
    ) -> FakeMessage:
        self._apply_attachment_meta(payload, files)
        message = FakeMessage(
            id=self.snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=self.bot.id,
            content=str(payload.get("content") or ""),
            components=list(payload.get("components") or []),
            attachments=list(files),
            embeds=list(payload.get("embeds") or []),
            flags=flags,
            nonce=payload.get("nonce"),
            source=source,
            interaction_id=interaction.id if interaction else None,
            webhook_id=self.application_id if interaction else None,
        )
        self.messages[message.id] = message
        return message

    @staticmethod
    def _apply_attachment_meta(payload: dict[str, Any], files: list[FakeAttachment]) -> None:
        for meta in payload.get("attachments") or []:
            index = meta.get("id")
            if isinstance(index, int) and 0 <= index < len(files):
                if meta.get("description") is not None:
                    files[index].description = str(meta["description"])
                if meta.get("filename"):
                    files[index].filename = str(meta["filename"])

    async def _get_message(self, request: web.Request, channel: str, message: str) -> web.Response:
        found = self.messages.get(message)
        if found is None or found.channel_id != channel or found.ephemeral or found.deleted:
            raise _error(404, 10008, "Unknown Message")
        return self._json(found.payload(self))

    async def _edit_message(self, request: web.Request, channel: str, message: str) -> web.Response:
        found = self.messages.get(message)
        if found is None or found.channel_id != channel or found.ephemeral or found.deleted:
            raise _error(404, 10008, "Unknown Message")
        if found.author_id != self.bot.id:
            raise _error(403, 50005, "Cannot edit a message authored by another user")
        payload, files = await self._read_body(request)
        self._apply_edit(found, payload, files)
        return self._json(found.payload(self))

    async def _delete_message(
        self, request: web.Request, channel: str, message: str
    ) -> web.Response:
        found = self.messages.get(message)
        if found is None or found.channel_id != channel or found.deleted:
            raise _error(404, 10008, "Unknown Message")
        found.deleted = True
        return self._no_content()

    def _apply_edit(
        self, message: FakeMessage, payload: dict[str, Any], files: list[FakeAttachment]
    ) -> None:
        self._validate_message(payload, files, creating=False)
        self._apply_attachment_meta(payload, files)
        content = str(payload.get("content") or "") if "content" in payload else message.content
        components = (
            list(payload.get("components") or []) if "components" in payload else message.components
        )
        embeds = list(payload.get("embeds") or []) if "embeds" in payload else message.embeds
        attachments = message.attachments
        if "attachments" in payload:
            keep = {str(a.get("id")) for a in payload.get("attachments") or []}
            attachments = [a for a in attachments if a.id in keep]
        attachments = [*attachments, *files]
        if not (content or embeds or attachments or components):
            raise _error(400, 50006, "Cannot send an empty message")
        message.edits.append(
            {"content": message.content, "components": message.components, "at": time.time()}
        )
        message.content, message.components, message.embeds = content, components, embeds
        message.attachments = attachments
        message.flags &= ~LOADING

    # ------------------------------------------------------------------ REST: validation

    def _validate_message(
        self, payload: dict[str, Any], files: list[FakeAttachment], *, creating: bool
    ) -> None:
        if len(files) > MAX_ATTACHMENTS:
            raise _form_error({"files": _field_error(
                "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ATTACHMENTS} or fewer in length.")})
        if any(len(f.data) > MAX_FILE_BYTES for f in files):
            raise _error(413, 40005, "Request entity too large")
        errors: dict[str, Any] = {}
        content = payload.get("content")
        if content is not None and not isinstance(content, str):
            _put_error(errors, ["content"], _field_error("BASE_TYPE_STRING", "Must be a string."))
        elif isinstance(content, str) and len(content) > MAX_CONTENT:
            _put_error(
                errors,
                ["content"],
                _field_error("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."),
            )
        nonce = payload.get("nonce")
        if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
            _put_error(
                errors,
                ["nonce"],
                _field_error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
            )
        components = payload.get("components")
        flags = int(payload.get("flags") or 0)
        if components and not flags & COMPONENTS_V2:
            self._validate_components(components, errors)
        for index, meta in enumerate(payload.get("attachments") or []):
            description = meta.get("description")
            if isinstance(description, str) and len(description) > 1024:
                _put_error(
                    errors,
                    ["attachments", index, "description"],
                    _field_error("BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length."),
                )
        if errors:
            raise _form_error(errors)
        if creating and not (
            content or payload.get("embeds") or files or payload.get("sticker_ids")
        ):
            raise _error(400, 50006, "Cannot send an empty message")

    @staticmethod
    def _validate_components(components: Any, errors: dict[str, Any]) -> None:
        if not isinstance(components, list):
            _put_error(errors, ["components"], _field_error("BASE_TYPE_ARRAY", "Not an array."))
            return
        if len(components) > MAX_ROWS:
            _put_error(
                errors,
                ["components"],
                _field_error("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROWS} or fewer in length."),
            )
        seen: set[str] = set()
        for r, row in enumerate(components):
            if row.get("type") != 1:
                _put_error(
                    errors,
                    ["components", r, "type"],
                    _field_error("UNION_TYPE_CHOICES", "Value must be one of {1}."),
                )
                continue
            children = row.get("components") or []
            if not 1 <= len(children) <= MAX_ROW_WIDTH:
                _put_error(
                    errors,
                    ["components", r, "components"],
                    _field_error("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."),
                )
            for c, child in enumerate(children):
                here: list[str | int] = ["components", r, "components", c]
                if child.get("type") != 2:
                    continue
                style = child.get("style")
                label = child.get("label")
                if label is not None and len(str(label)) > MAX_LABEL:
                    _put_error(
                        errors,
                        [*here, "label"],
                        _field_error(
                            "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_LABEL} or fewer in length."
                        ),
                    )
                if not label and not child.get("emoji") and style != 6:
                    _put_error(
                        errors,
                        [*here, "label"],
                        _field_error(
                            "BUTTON_LABEL_OR_EMOJI_REQUIRED", "A label or an emoji is required"
                        ),
                    )
                if style == 5:
                    if not child.get("url") or child.get("custom_id"):
                        _put_error(
                            errors,
                            [*here, "url"],
                            _field_error(
                                "BUTTON_URL_REQUIRED", "Link buttons need a url and no custom_id"
                            ),
                        )
                    continue
                custom_id = child.get("custom_id")
                if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
                    _put_error(
                        errors,
                        [*here, "custom_id"],
                        _field_error(
                            "BASE_TYPE_BAD_LENGTH",
                            f"Must be between 1 and {MAX_CUSTOM_ID} in length.",
                        ),
                    )
                    continue
                if custom_id in seen:
                    _put_error(
                        errors,
                        [*here, "custom_id"],
                        _field_error(
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        ),
                    )
                seen.add(custom_id)

    # ------------------------------------------------------------------ REST: interactions

    def _interaction_by_token(self, app: str, token: str) -> FakeInteraction:
        if app != self.application_id:
            raise _error(404, 10015, "Unknown Webhook")
        for interaction in self.interactions.values():
            if interaction.token == token:
                return interaction
        raise _error(404, 10015, "Unknown Webhook")

    async def _callback(self, request: web.Request, iid: str, token: str) -> web.Response:
        interaction = self.interactions.get(iid)
        if interaction is None or interaction.token != token:
            raise _error(404, 10062, "Unknown interaction")
        elapsed = time.monotonic() - interaction.created
        if elapsed > self.interaction_deadline_s:
            interaction.late = True
            raise _error(404, 10062, "Unknown interaction")
        if interaction.acknowledged:
            raise _error(400, 40060, "Interaction has already been acknowledged.")
        body, files = await self._read_body(request)
        kind = int(body.get("type", 0))
        data = dict(body.get("data") or {})
        channel = self.channels[interaction.channel_id]
        resource: dict[str, Any] | None = None
        if kind == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            self._validate_message(data, files, creating=True)
            flags = int(data.get("flags") or 0) & EPHEMERAL
            message = self._new_message(
                channel, data, files, flags=flags, source="interaction", interaction=interaction
            )
            interaction.original_message_id = message.id
            resource = {"type": kind, "message": message.payload(self)}
            if not message.ephemeral:
                await self._broadcast_message(message)
        elif kind == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE ("thinking")
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = self._new_message(
                channel,
                {"content": ""},
                [],
                flags=flags,
                source="interaction",
                interaction=interaction,
            )
            interaction.original_message_id = message.id
            resource = {"type": kind, "message": message.payload(self)}
        elif kind in (6, 7):  # DEFERRED_UPDATE_MESSAGE / UPDATE_MESSAGE
            if interaction.type != 3 or interaction.message_id is None:
                raise _error(
                    400, 40004, "Interaction callback type is not valid for this interaction"
                )
            if kind == 7:
                self._apply_edit(self.messages[interaction.message_id], data, files)
                resource = {
                    "type": kind,
                    "message": self.messages[interaction.message_id].payload(self),
                }
        elif kind == 9:  # MODAL
            pass
        else:
            raise _form_error(
                {"type": _field_error("BASE_TYPE_CHOICES", "Value must be one of {4, 5, 6, 7, 9}.")}
            )
        interaction.callbacks.append({"type": kind, "data": data, "files": files})
        interaction.acknowledged_after = elapsed
        if request.query.get("with_response") not in ("1", "true", "True"):
            return self._no_content()
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction.id,
                "type": interaction.type,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
            }
        }
        if interaction.original_message_id is not None and kind in (4, 5):
            answer["interaction"]["response_message_id"] = interaction.original_message_id
        if resource is not None:
            answer["resource"] = resource
        return self._json(answer)

    def _original(self, interaction: FakeInteraction) -> FakeMessage:
        if interaction.response_type in (6, 7) and interaction.message_id is not None:
            return self.messages[interaction.message_id]
        if interaction.original_message_id is None:
            raise _error(404, 10008, "Unknown Message")
        return self.messages[interaction.original_message_id]

    def _webhook_message(self, interaction: FakeInteraction, message: str) -> FakeMessage:
        if message == "@original":
            return self._original(interaction)
        if message not in interaction.followup_ids and message != interaction.original_message_id:
            raise _error(404, 10008, "Unknown Message")
        return self.messages[message]

    async def _followup(self, request: web.Request, app: str, token: str) -> web.Response:
        interaction = self._interaction_by_token(app, token)
        if not interaction.acknowledged:
            raise _error(400, 40060, "Interaction has not been acknowledged.")
        payload, files = await self._read_body(request)
        self._validate_message(payload, files, creating=True)
        original = (
            self.messages.get(interaction.original_message_id)
            if interaction.original_message_id
            else None
        )
        if interaction.response_type == 5 and original is not None and original.loading:
            # The first follow-up after a "thinking" defer replaces the loading message.
            self._apply_edit(original, payload, files)
            message = original
        else:
            flags = int(payload.get("flags") or 0) & EPHEMERAL
            channel = self.channels[interaction.channel_id]
            message = self._new_message(
                channel, payload, files, flags=flags, source="followup", interaction=interaction
            )
            interaction.followup_ids.append(message.id)
            if not message.ephemeral:
                await self._broadcast_message(message)
        if request.query.get("wait") in ("1", "true", "True"):
            return self._json(message.payload(self))
        return self._no_content()

    async def _get_webhook_message(
        self, request: web.Request, app: str, token: str, message: str
    ) -> web.Response:
        interaction = self._interaction_by_token(app, token)
        return self._json(self._webhook_message(interaction, message).payload(self))

    async def _edit_webhook_message(
        self, request: web.Request, app: str, token: str, message: str
    ) -> web.Response:
        interaction = self._interaction_by_token(app, token)
        if not interaction.acknowledged:
            raise _error(400, 40060, "Interaction has not been acknowledged.")
        found = self._webhook_message(interaction, message)
        payload, files = await self._read_body(request)
        self._apply_edit(found, payload, files)
        return self._json(found.payload(self))

    async def _delete_webhook_message(
        self, request: web.Request, app: str, token: str, message: str
    ) -> web.Response:
        interaction = self._interaction_by_token(app, token)
        found = self._webhook_message(interaction, message)
        found.deleted = True
        return self._no_content()

"""``DiscordAdapter``: the lifecycle of the Discord door and the wiring of its parts.

``start()`` logs in, registers the persistent button, builds the ``/knee`` group from the
coach's command menu and syncs it (``tree.sync()``), connects the gateway in a background
task and returns once Discord says READY; ``stop()`` lets the handlers in flight finish (up
to ``drain_timeout``) and disconnects. ``send()`` is the engine's ``Sender`` for platform
"discord" (``Outbound.send``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord.capabilities import CAPABILITIES, PLATFORM
from bot.adapters.discord.client import KneeButton, KneeClient, KneeShardedClient
from bot.adapters.discord.commands import CONTENT_KEYS, build_command_group
from bot.adapters.discord.inbound import DiscordInbound
from bot.adapters.discord.outbound import ClientChannels, Outbound
from bot.adapters.discord.settings import DiscordSettings, DMChannelStore, MemoryDMChannelStore
from bot.domain.events import ConversationRef, Reply
from bot.domain.readiness import Readiness
from bot.domain.results import SendResult
from bot.engine.ports import CoachPort, Inbox, Progress

if TYPE_CHECKING:
    from bot.engine.ports import Adapter

log = logging.getLogger(__name__)


class DiscordAdapter:
    """The Discord door to the coach; also the engine's ``Sender`` for platform "discord"."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: DiscordSettings,
        coach: CoachPort,
        *,
        dm_channel_store: DMChannelStore | None = None,
        readiness: Readiness | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self.settings = settings
        self.coach = coach
        self.readiness = readiness
        self.dm_channel_store: DMChannelStore = dm_channel_store or MemoryDMChannelStore()
        self.outbound = Outbound(self.dm_channel_store)
        self.inbound = DiscordInbound(coach, self.outbound, self.dm_channel_store, inbox)
        self._client: KneeClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._saved_base: str | None = None
        self._saved_gateway: yarl.URL | None = None

    @property
    def client(self) -> discord.Client | None:
        return self._client

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Log in, sync the commands, connect in a background task; return when READY."""
        if self._client is not None:
            raise RuntimeError("the Discord adapter is already running")
        self._patch_endpoints()
        sharded = self.settings.shard_count is not None
        client = (KneeShardedClient if sharded else KneeClient)(
            self.inbound,
            self._setup,
            application_id=self.settings.application_id,
            max_ratelimit_timeout=self.settings.max_ratelimit_timeout,
            guild_ready_timeout=self.settings.guild_ready_timeout,
            shard_count=self.settings.shard_count,
        )
        self._client = client
        self.outbound.channels = ClientChannels(client)
        try:
            await client.login(self.settings.token)
            if self.settings.api_base and not self.settings.gateway_url:
                _, url, _ = await client.http.get_bot_gateway()
                DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            self._task = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
            self._task.add_done_callback(self._gateway_ended)
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
            if self.readiness is not None:
                self.readiness.up(PLATFORM, "receiving")
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Let the handlers in flight finish (up to drain_timeout), then disconnect."""
        current = asyncio.current_task()
        pending = {t for t in self.inbound.inflight if t is not current and not t.done()}
        if pending:
            await asyncio.wait(pending, timeout=self.settings.drain_timeout)
        client, task = self._client, self._task
        self._client = self._task = None
        self.outbound.channels = None
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

    def _gateway_ended(self, task: asyncio.Task[None]) -> None:
        """The gateway task ended by itself (``stop()`` ends it quietly): a refused token
        or forbidden intents are fatal (the process must stop, not run on deaf); anything
        else leaves Discord unreachable."""
        if task.cancelled() or self.readiness is None:
            return
        error = task.exception()
        if error is None:
            return
        refused = isinstance(error, discord.LoginFailure | discord.PrivilegedIntentsRequired) or (
            isinstance(error, discord.ConnectionClosed) and error.code in (4004, 4013, 4014)
        )
        if refused:
            reason = f"the gateway refused the bot ({type(error).__name__})"
            log.critical("discord: %s; the bot cannot hear anyone and stops", reason)
            self.readiness.fail(PLATFORM, reason)
        else:
            self.readiness.down(PLATFORM, "receiving", f"gateway: {type(error).__name__}")

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

    async def _setup(self, client: KneeClient) -> None:
        """discord.py's setup_hook: after login, before the gateway."""
        client.add_dynamic_items(KneeButton)
        content_text = self.inbound.content_text
        missing = [key for key in CONTENT_KEYS if not content_text(key)]
        if missing:
            log.warning("discord: content/messages.yaml lacks %s", ", ".join(missing))
        try:
            menu = list(self.coach.command_menu())
        except Exception:
            log.error("discord: coach.command_menu() failed; no personal commands", exc_info=True)
            menu = []
        group = build_command_group(content_text, menu)
        self.inbound.commands = frozenset(
            c.name for c in group.commands if isinstance(c, app_commands.Command)
        )
        client.tree.add_command(group)
        if self.settings.sync_commands:
            synced = await client.tree.sync()
            log.info("discord: synced %d application command(s)", len(synced))

    # ------------------------------------------------------------------ Sender

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        idempotency_key: str,
        *,
        progress: Progress | None = None,
        answering: str = "",
        wait: float = 0.0,
    ) -> SendResult:
        """Deliver replies to ``ref.chat_id`` unprompted (reminders, the club's post); see
        ``Outbound.send``. Before start and after stop: ``RetryAfter``."""
        return await self.outbound.send(
            ref, replies, idempotency_key, progress=progress, answering=answering, wait=wait
        )


if TYPE_CHECKING:  # the adapter is the Discord door and its proactive Sender

    def _is_an_adapter(adapter: DiscordAdapter) -> Adapter:
        return adapter

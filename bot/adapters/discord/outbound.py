"""Replies out to Discord: the ``Channels`` seam and proactive delivery with typed results.

Every message posted to a channel (a DM, the club's channel) goes through ``Channels``:
``ClientChannels`` is the production one, over discord.py's client; a test can give
``Outbound`` another and check the delivery logic with no HTTP. Messages that answer an
interaction (the deferred response, follow-ups, edits of the pressed message) go through the
``discord.Interaction`` itself (see ``inbound``).

Proactive delivery (``Outbound.send``, behind the adapter's ``Sender.send``) posts to
``ref.chat_id`` (the stored DM channel, or the club's channel for its daily post and weekly
summary, where only ``private=False`` replies go: a channel the client knows to be in a
server is shared whatever the ref says) with a nonce derived from the idempotency key
(Discord returns the first message for a repeated nonce for a few minutes, so a retried send
is not duplicated), one nonce per message of the delivery, and the delivery's ``Progress``:
messages Discord already has are skipped, each new one recorded as soon as Discord accepted
it. A private ref with no ``chat_id`` (a club admin's note) goes to that user's DM channel,
from the ``DMChannelStore`` or opened. Results: DMs closed (403 50007) -> ``Blocked``; the
bot may not view or send in the channel (403 50001 Missing Access, 50013 Missing
Permissions) -> ``NotPermitted``; a 429 longer than ``max_ratelimit_timeout`` (discord.py
waits out shorter ones) -> ``RetryAfter``; 5xx or network trouble -> ``Unreachable``; any
other 4xx -> ``Failed``; a send of nothing but private replies to a shared channel ->
``Failed``. Never raises.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp
import discord

from bot.adapters.discord.capabilities import MAX_ATTACHMENT_DESCRIPTION, PLATFORM
from bot.adapters.discord.client import KneeButton
from bot.adapters.discord.render import (
    RenderedMessage,
    data_from_custom_id,
    make_nonce,
    render_replies,
)
from bot.adapters.discord.settings import DMChannelStore, MemoryDMChannelStore
from bot.domain.events import ConversationRef, Reply
from bot.domain.questions import MemoryQuestions
from bot.domain.results import (
    Blocked,
    Failed,
    NotPermitted,
    RetryAfter,
    SendResult,
    Sent,
    Unreachable,
)
from bot.engine.ports import MemoryProgress, Progress, QuestionMemory

log = logging.getLogger(__name__)

DM_CLOSED = 50007
MISSING_ACCESS = 50001  # the bot may not view the channel
MISSING_PERMISSIONS = 50013  # ... or may view it but not send there
NOT_PERMITTED = frozenset({MISSING_ACCESS, MISSING_PERMISSIONS})
# How long to ask the delivery worker to wait after a 5xx or a network error.
SERVER_RETRY_S = 15.0
NOT_RUNNING_RETRY_S = 30.0
EDGE_RETRY_S = 60.0


class Channels(Protocol):
    """Where messages are posted. Raises discord.py's errors (``discord.Forbidden``,
    ``discord.RateLimited``, ``discord.HTTPException``...) as Discord would answer."""

    @property
    def open(self) -> bool:
        """False once the connection is closed."""
        ...

    async def post(self, channel_id: int, message: RenderedMessage, *, nonce: str | None) -> str:
        """Create one message; returns its id."""
        ...

    def is_server_channel(self, channel_id: int) -> bool:
        """True for a channel known to be in a server (what others can read)."""
        ...

    async def drop_buttons(self, channel_id: int, message_id: int) -> None:
        """Remove the buttons of one message the bot posted."""
        ...

    async def open_dm(self, user_id: int) -> int:
        """The id of the DM channel with this user (Discord opens it if need be)."""
        ...


class ClientChannels:
    """The production ``Channels``: discord.py's client (REST through its HTTP client)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @property
    def open(self) -> bool:
        return not self.client.is_closed()

    async def post(self, channel_id: int, message: RenderedMessage, *, nonce: str | None) -> str:
        kwargs = message_kwargs(message)
        if nonce is not None:
            kwargs["nonce"] = nonce
        sent = await self.client.get_partial_messageable(channel_id).send(**kwargs)
        return str(sent.id)

    def is_server_channel(self, channel_id: int) -> bool:
        channel = self.client.get_channel(channel_id)
        return isinstance(channel, discord.abc.GuildChannel | discord.Thread)

    async def drop_buttons(self, channel_id: int, message_id: int) -> None:
        channel = self.client.get_partial_messageable(channel_id)
        await channel.get_partial_message(message_id).edit(view=None)

    async def open_dm(self, user_id: int) -> int:
        channel = await self.client.create_dm(discord.Object(id=user_id))
        return int(channel.id)


def view(message: RenderedMessage) -> discord.ui.View | None:
    if not message.rows:
        return None
    result = discord.ui.View(timeout=None)
    for index, row in enumerate(message.rows):
        for button in row:
            data = data_from_custom_id(button.custom_id)
            if data is not None:
                result.add_item(KneeButton(data, button.label, row=index))
    return result


def files(message: RenderedMessage) -> list[discord.File]:
    return [
        discord.File(
            io.BytesIO(attached.data),
            filename=attached.filename,
            description=attached.description[:MAX_ATTACHMENT_DESCRIPTION],
        )
        for attached in message.files
    ]


def message_kwargs(message: RenderedMessage) -> dict[str, Any]:
    """discord.py's keyword arguments for sending ``message`` (no mentions ever ping)."""
    kwargs: dict[str, Any] = {
        "content": message.content,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    buttons = view(message)
    if buttons is not None:
        kwargs["view"] = buttons
    attached = files(message)
    if attached:
        kwargs["files"] = attached
    return kwargs


class Outbound:
    """Posts through ``channels`` (``None`` while the adapter is not running); each user's
    DM channel id is kept in ``dm_channels``."""

    def __init__(self, dm_channels: DMChannelStore | None = None) -> None:
        self.channels: Channels | None = None
        # channel id -> the id of the last question with buttons posted there, so an answer
        # typed instead of pressed can drop them (``Reply.typed_answer``). In memory: the
        # Discord gateway, and so every Discord turn, is one process's (the leader's).
        self.questions: QuestionMemory = MemoryQuestions()
        self.dm_channels: DMChannelStore = dm_channels or MemoryDMChannelStore()

    def require(self) -> Channels:
        if self.channels is None:
            raise RuntimeError("the Discord adapter is not running")
        return self.channels

    def is_server_channel(self, channel_id: int) -> bool:
        return self.channels is not None and self.channels.is_server_channel(channel_id)

    async def dm_channel_id(self, user_id: str) -> str:
        """The user's DM channel: the one kept in ``dm_channels``, else opened (once) and
        kept. Raises discord.py's errors."""
        known = await self.dm_channels.get(user_id)
        if known and known.isdigit() and not self.is_server_channel(int(known)):
            return known
        if known:
            log.warning("discord: the stored DM channel of a user is not a DM; reopening it")
        channel_id = str(await self.require().open_dm(int(user_id)))
        await self.dm_channels.set(user_id, channel_id)
        return channel_id

    async def post(
        self,
        channel_id: int,
        messages: Sequence[RenderedMessage],
        *,
        idempotency_key: str | None = None,
        progress: Progress | None = None,
    ) -> list[str]:
        """Post the ``messages`` that ``progress`` does not have yet, in order, recording
        each as Discord accepts it; raises discord.py's errors. With a key, each message
        carries a nonce derived from (key, index)."""
        channels = self.require()
        progress = progress if progress is not None else MemoryProgress()
        for index in range(len(progress.sent), len(messages)):
            message = messages[index]
            nonce = make_nonce(idempotency_key, index) if idempotency_key is not None else None
            message_id = await channels.post(channel_id, message, nonce=nonce)
            await progress.record(message_id, last=index == len(messages) - 1)
            if message.asks and message_id.isdigit():
                await self.questions.keep(channel_id, int(message_id))
        return list(progress.sent)

    async def mark_typed(self, channel_id: int, replies: Sequence[Reply]) -> None:
        """When the coach took typed text as the answer to its last question
        (``Reply.typed_answer``), drop that question's buttons, as a press does."""
        if not any(r.typed_answer for r in replies):
            return
        message_id = await self.questions.take(channel_id)
        if message_id is None or self.channels is None:
            return
        try:
            await self.channels.drop_buttons(channel_id, message_id)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("discord: dropping the answered question's buttons failed: %r", exc)

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
        """Deliver replies to ``ref.chat_id`` unprompted (reminders, the club's post): the
        messages ``progress`` does not have yet, each with its nonce. ``answering`` and
        ``wait`` are not used: discord.py waits out short rate limits itself."""
        channels = self.channels
        if channels is None or not channels.open:
            return RetryAfter(NOT_RUNNING_RETRY_S, "the Discord adapter is not running")
        if ref.platform != PLATFORM:
            return Failed(f"not a Discord conversation: {ref.platform}")
        if not ref.chat_id and (ref.shared or not ref.user_id.isdigit()):
            return Failed("no channel id, and no Discord user whose DM it could be")
        try:
            if ref.chat_id:
                channel_id = int(ref.chat_id)
            else:  # the person's private chat: their DM channel
                channel_id = int(await self.dm_channel_id(ref.user_id))
        except ValueError:
            return Failed(f"not a Discord channel id: {ref.chat_id!r}")
        except (discord.HTTPException, discord.RateLimited) as exc:
            return self._answer(exc)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Unreachable(SERVER_RETRY_S, f"network: {type(exc).__name__}")
        # A channel in a server is shared whatever the ref says: private replies never go there.
        shared = ref.shared or channels.is_server_channel(channel_id)
        deliverable = [r for r in replies if not (shared and r.private)]
        if len(deliverable) != len(replies):
            log.warning(
                "discord: refused to post %d private reply(ies) in a shared channel",
                len(replies) - len(deliverable),
            )
            if not deliverable:
                return Failed("refused: private replies addressed to a server channel")
        messages = render_replies(deliverable)
        progress = progress if progress is not None else MemoryProgress()
        if not shared and not progress.sent:  # an answer typed in a DM drops the old buttons
            await self.mark_typed(channel_id, deliverable)
        try:
            ids = await self.post(channel_id, messages, idempotency_key=idempotency_key,
                                  progress=progress)
        except (discord.HTTPException, discord.RateLimited) as exc:
            return self._answer(exc)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Unreachable(SERVER_RETRY_S, f"network: {type(exc).__name__}")
        return Sent(tuple(ids))

    @staticmethod
    def _answer(exc: discord.HTTPException | discord.RateLimited) -> SendResult:
        """What Discord's error answer means for the delivery worker."""
        if isinstance(exc, discord.RateLimited):
            return RetryAfter(float(exc.retry_after), "rate limited by Discord")
        if isinstance(exc, discord.Forbidden):
            if exc.code == DM_CLOSED:
                return Blocked(f"Discord {exc.code}: {exc.text}")
            if exc.code in NOT_PERMITTED:
                return NotPermitted(f"Discord 403 {exc.code}: {exc.text}")
            return Failed(f"Discord 403 {exc.code}: {exc.text}")
        if exc.status == 429:  # without Discord's headers: an edge (Cloudflare) limit
            return RetryAfter(EDGE_RETRY_S, "rate limited by Discord's edge")
        if exc.status >= 500:
            return Unreachable(SERVER_RETRY_S, f"Discord {exc.status}")
        return Failed(f"Discord {exc.status} {exc.code}: {exc.text}")

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
it. Results: DMs closed (403 50007) -> ``Blocked``; a 429 longer than
``max_ratelimit_timeout`` (discord.py waits out shorter ones) -> ``RetryAfter``; 5xx or
network trouble -> ``Unreachable``; any other 4xx -> ``Failed``; a send of nothing but
private replies to a shared channel -> ``Failed``. Never raises.
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
from bot.domain.events import ConversationRef, Reply
from bot.domain.results import Blocked, Failed, RetryAfter, SendResult, Sent, Unreachable
from bot.engine.ports import MemoryProgress, Progress

log = logging.getLogger(__name__)

DM_CLOSED = 50007
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


def file(message: RenderedMessage) -> discord.File | None:
    image = message.image
    if image is None:
        return None
    return discord.File(
        io.BytesIO(image.png),
        filename=image.filename,
        description=image.alt[:MAX_ATTACHMENT_DESCRIPTION],
    )


def message_kwargs(message: RenderedMessage) -> dict[str, Any]:
    """discord.py's keyword arguments for sending ``message`` (no mentions ever ping)."""
    kwargs: dict[str, Any] = {
        "content": message.content,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    buttons = view(message)
    if buttons is not None:
        kwargs["view"] = buttons
    attachment = file(message)
    if attachment is not None:
        kwargs["file"] = attachment
    return kwargs


class Outbound:
    """Posts through ``channels`` (``None`` while the adapter is not running)."""

    def __init__(self) -> None:
        self.channels: Channels | None = None

    def require(self) -> Channels:
        if self.channels is None:
            raise RuntimeError("the Discord adapter is not running")
        return self.channels

    def is_server_channel(self, channel_id: int) -> bool:
        return self.channels is not None and self.channels.is_server_channel(channel_id)

    async def post(
        self,
        channel_id: int,
        messages: Sequence[RenderedMessage],
        *,
        idempotency_key: str | None = None,
    ) -> list[str]:
        """Post ``messages`` in order; raises discord.py's errors. With a key, each message
        carries a nonce derived from (key, index)."""
        channels = self.require()
        ids: list[str] = []
        for index, message in enumerate(messages):
            nonce = make_nonce(idempotency_key, index) if idempotency_key is not None else None
            ids.append(await channels.post(channel_id, message, nonce=nonce))
        return ids

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
        try:
            channel_id = int(ref.chat_id)
        except ValueError:
            return Failed(f"not a Discord channel id: {ref.chat_id!r}")
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
        try:
            for index in range(len(progress.sent), len(messages)):
                nonce = make_nonce(idempotency_key, index)
                await progress.record(await channels.post(channel_id, messages[index],
                                                          nonce=nonce))
        except discord.RateLimited as exc:
            return RetryAfter(float(exc.retry_after), "rate limited by Discord")
        except discord.Forbidden as exc:
            if exc.code == DM_CLOSED:
                return Blocked(f"Discord {exc.code}: {exc.text}")
            return Failed(f"Discord 403 {exc.code}: {exc.text}")
        except discord.HTTPException as exc:
            if exc.status == 429:  # without Discord's headers: an edge (Cloudflare) limit
                return RetryAfter(EDGE_RETRY_S, "rate limited by Discord's edge")
            if exc.status >= 500:
                return Unreachable(SERVER_RETRY_S, f"Discord {exc.status}")
            return Failed(f"Discord {exc.status} {exc.code}: {exc.text}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Unreachable(SERVER_RETRY_S, f"network: {type(exc).__name__}")
        return Sent(tuple(progress.sent))

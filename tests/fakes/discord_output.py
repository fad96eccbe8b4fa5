"""The Discord adapter's ``Channels`` seam with no HTTP: ``RecordingChannels`` keeps what
would have been posted, per channel, and raises discord.py's own errors on demand.

Like Discord with ``enforce_nonce``, a repeated nonce in a channel returns the first
message's id and posts nothing. ``forbidden(code)`` and ``http_error(status)`` build the
exceptions discord.py raises for those answers (``discord.RateLimited(seconds)`` needs no
helper).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord

from bot.adapters.discord.render import RenderedMessage


def _response(status: int, reason: str) -> Any:
    return SimpleNamespace(status=status, reason=reason)


def forbidden(code: int, message: str = "Cannot send messages to this user") -> discord.Forbidden:
    return discord.Forbidden(_response(403, "Forbidden"), {"code": code, "message": message})


def http_error(status: int, code: int = 0, message: str = "error") -> discord.HTTPException:
    return discord.HTTPException(_response(status, "error"), {"code": code, "message": message})


@dataclass
class Posted:
    id: str
    channel_id: int
    message: RenderedMessage
    nonce: str | None


@dataclass
class RecordingChannels:
    """A ``Channels`` that records; ``server_channels`` are the ids the client would know to
    be in a server; ``fail_next(exc)`` makes the next post raise ``exc``."""

    server_channels: set[int] = field(default_factory=set)
    open: bool = True
    posted: list[Posted] = field(default_factory=list)
    dropped: list[tuple[int, int]] = field(default_factory=list)  # buttons removed
    dms: dict[int, int] = field(default_factory=dict)  # user id -> DM channel id opened
    attempts: int = 0
    _failures: deque[BaseException] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def fail_next(self, exc: BaseException) -> None:
        self._failures.append(exc)

    async def post(self, channel_id: int, message: RenderedMessage, *, nonce: str | None) -> str:
        self.attempts += 1
        if self._failures:
            raise self._failures.popleft()
        for earlier in self.posted:
            if nonce is not None and (earlier.channel_id, earlier.nonce) == (channel_id, nonce):
                return earlier.id
        posted = Posted(str(next(self._ids)), channel_id, message, nonce)
        self.posted.append(posted)
        return posted.id

    def is_server_channel(self, channel_id: int) -> bool:
        return channel_id in self.server_channels

    async def drop_buttons(self, channel_id: int, message_id: int) -> None:
        self.dropped.append((channel_id, message_id))

    async def open_dm(self, user_id: int) -> int:
        """Like Discord: one DM channel a user, the same id every time."""
        return self.dms.setdefault(user_id, 900_000 + user_id)

    def contents(self, channel_id: int) -> list[str]:
        return [p.message.content for p in self.posted if p.channel_id == channel_id]

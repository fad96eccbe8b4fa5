"""What the Discord adapter is configured with: how to reach Discord, and where it keeps
each person's DM channel id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """How to reach Discord. ``repr`` never shows the token.

    ``api_base`` / ``gateway_url`` point discord.py somewhere else (tests: a fake Discord on
    127.0.0.1). With only ``api_base``, the gateway URL is asked from ``GET /gateway/bot``.

    ``shard_count``: None, one unsharded gateway session (Discord's limit: 2,500 servers);
    N, shards 0..N-1 all in this process (``AutoShardedClient``), N as ``GET /gateway/bot``
    recommends (its ``shards``).
    """

    token: str = field(repr=False)
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
    shard_count: int | None = None


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

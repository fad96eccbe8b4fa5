"""DISCORD_SHARD_COUNT: the adapter runs every shard of the bot's gateway in its process
(discord.py's AutoShardedClient). Each shard identifies with ``[id, count]``; the fake
sends each server's events on its shard only, and DMs on shard 0, as Discord does.

The second shard identifies 5 s after the first: discord.py spaces identifies as Discord
requires, so this test takes that long."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from bot.adapters.discord import DiscordAdapter, DiscordSettings
from bot.config import Settings
from bot.domain.clock import SystemClock
from bot.domain.readiness import Readiness
from bot.platforms import Wiring, build_adapters
from tests.adapters.discord_conftest import DcCoach, dc_coach, dc_fake, dc_start_adapter
from tests.fakes.discord_api import MEMBER_PERMISSIONS, FakeDiscord

__all__ = ["dc_coach", "dc_fake"]  # fixtures

SHARDS = 2
WITHIN = 30.0


async def test_every_shard_identifies_and_hears_its_servers_and_dms_come_on_shard_0(
    dc_fake: FakeDiscord, dc_coach: DcCoach
) -> None:
    alice = dc_fake.add_user("alice")
    guilds = [dc_fake.add_guild(f"Club {n}", shard=(n, SHARDS)) for n in range(SHARDS)]
    for guild in guilds:
        dc_fake.set_permissions(guild, alice, MEMBER_PERMISSIONS)
    settings = DiscordSettings(token=dc_fake.token, api_base=dc_fake.api_base,
                               guild_ready_timeout=0.05, shard_count=SHARDS)
    adapter = await dc_start_adapter(settings, dc_coach)
    try:
        assert sorted(i["shard"] for i in dc_fake.identifies) == [[0, 2], [1, 2]]
        assert len(dc_fake._ready_sessions()) == SHARDS
        client = adapter.client
        assert client is not None
        assert {g.id for g in client.guilds} == {int(g.id) for g in guilds}  # one per shard

        # a slash command in each server, each reaching only its shard's session
        for n, guild in enumerate(guilds, start=1):
            interaction = await dc_fake.slash(alice, guild, "today")
            await dc_fake.wait_original(interaction, within=WITHIN)
            await dc_coach.wait_calls(n, within=WITHIN)
        # what alice types in her DM comes on shard 0
        await dc_fake.dm(alice, "it hurts on stairs")
        calls = await dc_coach.wait_calls(SHARDS + 1, within=WITHIN)
        await dc_fake.wait_for(
            lambda: any("it hurts on stairs" in m.content for m in dc_fake.dm_messages(alice)),
            within=WITHIN, what="the answer to the DM")
        assert len(calls) == SHARDS + 1  # each event handled once
    finally:
        await adapter.stop()
    assert dc_fake._ready_sessions() == []


def test_the_shard_count_reaches_the_adapter() -> None:
    settings = Settings(discord_bot_token=SecretStr("token"), discord_shard_count=4,
                        _env_file=None)  # type: ignore[call-arg]
    coach: Any = SimpleNamespace(stores=SimpleNamespace(dm_channels=None))
    wiring = Wiring(inbox=None, readiness=Readiness(SystemClock()))  # type: ignore[arg-type]
    (adapter,) = build_adapters(settings, coach, wiring)
    assert isinstance(adapter, DiscordAdapter) and adapter.settings.shard_count == 4
    unsharded = settings.model_copy(update={"discord_shard_count": None})
    (adapter,) = build_adapters(unsharded, coach, wiring)
    assert isinstance(adapter, DiscordAdapter) and adapter.settings.shard_count is None
    with pytest.raises(ValidationError):
        Settings(discord_shard_count=0, _env_file=None)  # type: ignore[call-arg]

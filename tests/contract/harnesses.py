"""One harness per ``Sender`` implementation, for the behaviour suite in test_sender.py.

A harness starts its platform's real sender (the console's ``ConsoleChat``; the Telegram
adapter against the fake Bot API; the Discord adapter against the fake Discord) and can:
make a private and a shared conversation, make a recipient block the bot, make the platform
answer 429 with a retry-after, and read back what a conversation shows. ``CANNOT`` declares,
with the reason, what its platform cannot do; the suite marks those cases not applicable
there instead of asserting less.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar, Protocol

from bot.adapters.console import ConsoleChat
from bot.adapters.discord import DiscordAdapter, DiscordSettings
from bot.adapters.discord.render import render_replies
from bot.adapters.telegram import RateLimits, TelegramAdapter
from bot.adapters.telegram.render import render_reply
from bot.domain.events import ConversationRef, Reply
from bot.engine.ports import Sender
from tests.adapters.discord_conftest import DcCoach
from tests.fakes.discord_api import MEMBER_PERMISSIONS, SEND_MESSAGES, FakeDiscord
from tests.fakes.telegram_api import FakeTelegram, ScriptedCoach, running_adapter

# What a harness may declare its platform cannot do.
BLOCK = "block"  # a recipient blocks the bot
RATE_LIMIT = "rate_limit"  # the platform answers 429 with a retry-after
IDEMPOTENCY = "idempotency"  # the same key twice shows the messages once
SHARED = "shared"  # a conversation other people read
NOT_PERMITTED = "not_permitted"  # the bot may not post in a shared conversation


class Harness(Protocol):
    CANNOT: ClassVar[dict[str, str]]
    sender: Sender

    def private(self) -> ConversationRef: ...

    def shared(self) -> ConversationRef: ...

    def block(self, ref: ConversationRef) -> None: ...

    def rate_limit_next(self, seconds: int) -> None: ...

    def forbid(self, ref: ConversationRef) -> None:
        """The bot may no longer post in the shared conversation ``ref``."""
        ...

    def seen(self, ref: ConversationRef) -> list[str]:
        """The texts ``ref``'s conversation shows, in order."""
        ...

    def rendered(self, replies: Sequence[Reply]) -> int:
        """How many messages the platform renders ``replies`` into."""
        ...


class ConsoleHarness:
    """The terminal: one person, one stream (JSON lines), nothing between them and the bot."""

    CANNOT: ClassVar[dict[str, str]] = {
        BLOCK: "a terminal cannot block the bot",
        RATE_LIMIT: "a terminal has no rate limit",
        NOT_PERMITTED: "a terminal has no permissions to take from the bot",
    }

    def __init__(self) -> None:
        self.stream = io.StringIO()
        me = ConversationRef("console", "local", "local")
        self.chat = ConsoleChat(ScriptedCoach(), me, self.stream, json_mode=True)
        self.sender: Sender = self.chat

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls) -> AsyncIterator[ConsoleHarness]:
        harness = cls()
        await harness.chat.start()
        try:
            yield harness
        finally:
            await harness.chat.stop()

    def private(self) -> ConversationRef:
        return self.chat.ref

    def shared(self) -> ConversationRef:
        return ConversationRef("console", "local", "a-room", shared=True)

    def block(self, ref: ConversationRef) -> None:
        raise NotImplementedError(self.CANNOT[BLOCK])

    def rate_limit_next(self, seconds: int) -> None:
        raise NotImplementedError(self.CANNOT[RATE_LIMIT])

    def forbid(self, ref: ConversationRef) -> None:
        raise NotImplementedError(self.CANNOT[NOT_PERMITTED])

    def seen(self, ref: ConversationRef) -> list[str]:
        # The terminal is the only place anything is shown, whatever the conversation.
        return [str(json.loads(line)["text"]) for line in self.stream.getvalue().splitlines()]

    def rendered(self, replies: Sequence[Reply]) -> int:
        return len(replies)


class TelegramHarness:
    """The real ``TelegramAdapter`` (PTB, aiohttp) against the fake Bot API."""

    CANNOT: ClassVar[dict[str, str]] = {}
    USER = 5150
    GROUP = -777

    def __init__(self, server: FakeTelegram, adapter: TelegramAdapter) -> None:
        self.server = server
        self.adapter = adapter
        self.sender: Sender = adapter

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls) -> AsyncIterator[TelegramHarness]:
        limits = RateLimits(per_chat_burst=50)  # the per-chat pace is not what is tested
        async with (
            FakeTelegram() as server,
            running_adapter(server, ScriptedCoach(), rate_limits=limits) as adapter,
        ):
            yield cls(server, adapter)

    def private(self) -> ConversationRef:
        return ConversationRef("telegram", str(self.USER), str(self.USER))

    def shared(self) -> ConversationRef:
        return ConversationRef("telegram", str(self.USER), str(self.GROUP), shared=True)

    def block(self, ref: ConversationRef) -> None:
        self.server.blocked_chats.add(int(ref.chat_id))

    def rate_limit_next(self, seconds: int) -> None:
        self.server.fail_next("sendMessage", retry_after=seconds)

    def forbid(self, ref: ConversationRef) -> None:
        self.server.muted_chats.add(int(ref.chat_id))  # the group's admins restrict the bot

    def seen(self, ref: ConversationRef) -> list[str]:
        return [m.text or m.caption or "" for m in self.server.bot_messages(int(ref.chat_id))]

    def rendered(self, replies: Sequence[Reply]) -> int:
        return sum(len(render_reply(r, self.adapter.bot_username)) for r in replies)


class DiscordHarness:
    """The real ``DiscordAdapter`` (discord.py) against the fake Discord: a member's DM and
    a server's club channel."""

    CANNOT: ClassVar[dict[str, str]] = {}

    def __init__(self, fake: FakeDiscord, adapter: DiscordAdapter) -> None:
        self.fake = fake
        self.adapter = adapter
        self.sender: Sender = adapter
        self.member = fake.add_user("alice")
        guild = fake.add_guild("Runners Club", channels=("general", "club"))
        fake.set_permissions(guild, self.member, MEMBER_PERMISSIONS)
        self.club = guild.channel("club")

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls) -> AsyncIterator[DiscordHarness]:
        async with FakeDiscord() as fake:
            settings = DiscordSettings(
                token=fake.token, api_base=fake.api_base, guild_ready_timeout=0.05
            )
            adapter = DiscordAdapter(settings, DcCoach())
            harness = cls(fake, adapter)
            await adapter.start()
            try:
                yield harness
            finally:
                await adapter.stop()

    def private(self) -> ConversationRef:
        return ConversationRef("discord", self.member.id, self.fake.dm_channel(self.member).id)

    def shared(self) -> ConversationRef:
        return ConversationRef("discord", "club", self.club.id, shared=True)

    def block(self, ref: ConversationRef) -> None:
        self.fake.close_dms(ref.user_id)

    def rate_limit_next(self, seconds: int) -> None:
        # Longer than the adapter's max_ratelimit_timeout: discord.py reports it at once.
        self.fake.rate_limit_once(float(seconds))

    def forbid(self, ref: ConversationRef) -> None:
        self.fake.restrict_bot(self.fake.channels[ref.chat_id], SEND_MESSAGES)

    def seen(self, ref: ConversationRef) -> list[str]:
        return [m.content for m in self.fake.bot_messages_in(ref.chat_id)]

    def rendered(self, replies: Sequence[Reply]) -> int:
        return len(render_replies(replies))


HARNESSES: dict[str, type[ConsoleHarness | TelegramHarness | DiscordHarness]] = {
    "console": ConsoleHarness,
    "telegram": TelegramHarness,
    "discord": DiscordHarness,
}

"""Proactive delivery on Discord with no HTTP: ``Outbound.send`` through a recording
``Channels``. What discord.py raises for Discord's real answers (and the gateway,
interactions and DMs) is proven against the fake Discord in test_discord_adapter.py."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.adapters.discord.outbound import (
    EDGE_RETRY_S,
    NOT_RUNNING_RETRY_S,
    SERVER_RETRY_S,
    Outbound,
)
from bot.adapters.discord.render import make_nonce, render_replies
from bot.adapters.discord.settings import MemoryDMChannelStore
from bot.domain.events import Button, ConversationRef, Reply
from bot.domain.results import Blocked, Failed, NotPermitted, RetryAfter, Sent, Unreachable
from tests.fakes.discord_output import RecordingChannels, forbidden, http_error

DM = 111
SERVER = 222
REF = ConversationRef("discord", "7", str(DM))
REMINDER = Reply("reminder", "Time for your **exercises**", buttons=((Button("Done", "a:d:1"),),))


@pytest.fixture
def channels() -> RecordingChannels:
    return RecordingChannels(server_channels={SERVER})


@pytest.fixture
def outbound(channels: RecordingChannels) -> Outbound:
    out = Outbound()
    out.channels = channels
    return out


async def test_each_message_carries_a_nonce_of_the_key_and_its_index(
    outbound: Outbound, channels: RecordingChannels
) -> None:
    long = Reply("long", "\n\n".join(f"Paragraph {i}: " + "knee " * 300 for i in range(3)))
    result = await outbound.send(REF, [long, REMINDER], "outbox:9")

    assert isinstance(result, Sent)
    assert result.message_ids == tuple(p.id for p in channels.posted)
    assert [p.nonce for p in channels.posted] == [
        make_nonce("outbox:9", i) for i in range(len(channels.posted))
    ]
    assert len(channels.posted) == 4 and channels.posted[-1].message.rows


async def test_a_repeated_key_posts_nothing_new(
    outbound: Outbound, channels: RecordingChannels
) -> None:
    first = await outbound.send(REF, [REMINDER], "outbox:1")
    again = await outbound.send(REF, [REMINDER], "outbox:1")
    assert first == again
    assert len(channels.posted) == 1


async def test_a_server_channel_gets_no_private_reply_whatever_the_ref_says(
    outbound: Outbound, channels: RecordingChannels
) -> None:
    says_private = ConversationRef("discord", "7", str(SERVER), shared=False)
    refused = await outbound.send(says_private, [Reply("p", "SECRET: pain 7/10")], "k1")
    assert isinstance(refused, Failed)
    replies = [Reply("p", "SECRET: pain 7/10"), Reply("q", "Club news", private=False)]
    mixed = await outbound.send(says_private, replies, "k2")
    assert isinstance(mixed, Sent) and len(mixed.message_ids) == 1
    assert channels.contents(SERVER) == ["Club news"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (discord.RateLimited(120.0), RetryAfter(120.0, "rate limited by Discord")),
        (forbidden(50007), Blocked("Discord 50007: Cannot send messages to this user")),
        # the bot may not send, or not even view, in that channel: an admin can fix it
        (
            forbidden(50013, "Missing Permissions"),
            NotPermitted("Discord 403 50013: Missing Permissions"),
        ),
        (forbidden(50001, "Missing Access"), NotPermitted("Discord 403 50001: Missing Access")),
        (forbidden(50008, "Cannot send messages in a non-text channel"),
         Failed("Discord 403 50008: Cannot send messages in a non-text channel")),
        (http_error(429), RetryAfter(EDGE_RETRY_S, "rate limited by Discord's edge")),
        (http_error(503), Unreachable(SERVER_RETRY_S, "Discord 503")),
        (http_error(404, 10003, "Unknown Channel"), Failed("Discord 404 10003: Unknown Channel")),
    ],
)
async def test_discords_errors_become_typed_results(
    outbound: Outbound,
    channels: RecordingChannels,
    error: Exception,
    expected: object,
) -> None:
    channels.fail_next(error)
    assert await outbound.send(REF, [REMINDER], "k") == expected
    assert channels.posted == []


async def test_network_trouble_is_unreachable(
    outbound: Outbound, channels: RecordingChannels
) -> None:
    channels.fail_next(aiohttp.ServerDisconnectedError())
    result = await outbound.send(REF, [REMINDER], "k")
    assert isinstance(result, Unreachable) and result.seconds == SERVER_RETRY_S


async def test_closed_or_absent_channels_ask_to_retry(
    outbound: Outbound, channels: RecordingChannels
) -> None:
    channels.open = False
    assert await outbound.send(REF, [REMINDER], "k") == RetryAfter(
        NOT_RUNNING_RETRY_S, "the Discord adapter is not running"
    )
    assert isinstance(await Outbound().send(REF, [REMINDER], "k"), RetryAfter)
    assert channels.attempts == 0


async def test_what_is_not_a_discord_channel_fails(outbound: Outbound) -> None:
    assert isinstance(
        await outbound.send(ConversationRef("telegram", "1", "2"), [REMINDER], "k"), Failed
    )
    assert isinstance(
        await outbound.send(ConversationRef("discord", "1", "general"), [REMINDER], "k"), Failed
    )


async def test_a_typed_answer_drops_the_last_questions_buttons(
    outbound: Outbound, channels: RecordingChannels
) -> None:
    question = Reply("intake.ask.side", "Which knee?", asks="choice",
                     buttons=((Button("Left", "d:intake:side:1:left"),),))
    await outbound.post(DM, render_replies([question]))
    asked = int(channels.posted[-1].id)
    await outbound.mark_typed(DM, [Reply("intake.ask.duration", "How long?")])
    assert channels.dropped == []  # not an answer to it
    await outbound.mark_typed(DM, [Reply("next", "How long?", typed_answer="Left")])
    assert channels.dropped == [(DM, asked)]
    await outbound.mark_typed(DM, [Reply("next", "Again", typed_answer="Left")])
    assert channels.dropped == [(DM, asked)]  # once only


async def test_a_private_ref_without_a_channel_goes_to_the_users_dm(
    channels: RecordingChannels,
) -> None:
    store = MemoryDMChannelStore()
    outbound = Outbound(store)
    outbound.channels = channels
    admin = ConversationRef("discord", "42", "")  # a club admin's note: no chat id
    first = await outbound.send(admin, [Reply("club_admin.post_refused", "Heads up")], "n1")
    again = await outbound.send(admin, [Reply("club_admin.post_refused", "Again")], "n2")
    assert isinstance(first, Sent) and isinstance(again, Sent)
    dm = channels.dms[42]
    assert channels.contents(dm) == ["Heads up", "Again"]
    assert await store.get("42") == str(dm)  # opened once, then kept
    assert isinstance(
        await outbound.send(ConversationRef("discord", "club", "", shared=True), [REMINDER], "k"),
        Failed,
    )

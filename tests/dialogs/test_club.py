"""The running club, engine side: setup, refusal, the daily post, Done presses, summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.events import ClubCommand, Command, ConversationRef, Press, Reply
from tests.support.world import World

# The conversations run on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends


def channel(user: str) -> ConversationRef:
    return ConversationRef("console", user, "prehab-channel", shared=True)


SETUP = ClubCommand("setup", guild_id="g1", channel_id="prehab-channel", time="18:00",
                    timezone="Europe/London")
# As Discord's door reports it: the channel's name, and that the bot may view and send there.
NAMED = replace(SETUP, channel_name="prehab", bot_can_view=True, bot_can_send=True)


async def test_setup_post_done_counter_and_weekly_summary(world: World) -> None:
    coach = world.coach
    replies = await coach.handle(channel("admin"), SETUP)
    assert [r.key for r in replies] == ["club.setup_done"]
    assert all(not r.private for r in replies)

    await world.advance(timedelta(hours=13))  # Monday 06:00 -> 19:00 UTC: 18:00 London
    posts = [d for d in world.platform.delivered if d.ref.shared]
    assert len(posts) == 1
    post = posts[0].replies[0]
    assert post.key == "club.daily" and "0 runners done today" in post.text
    done = post.buttons[0][0].data

    for member in ["ann", "ben", "cat"]:
        replies = await coach.handle(channel(member), Press(done))
        assert replies[0].replaces_pressed
    assert "3 runners done today" in replies[0].text
    again = await coach.handle(channel("ann"), Press(done))
    assert "3 runners done today" in again[0].text
    assert again[1].key == "club.already_done"

    # a post from an earlier day cannot be ticked
    await world.advance(timedelta(days=1))
    stale = await coach.handle(channel("dan"), Press(done))
    assert [r.key for r in stale] == ["club.post_closed"]

    await coach.handle(channel("ben"), ClubCommand(
        "leaderboard", guild_id="g1", join=True, display_name="Ben R"))
    for _ in range(4):  # Ben ticks the Wednesday to Saturday posts
        await world.advance(timedelta(days=1))
        posts = [r for d in world.platform.delivered for r in d.replies if r.key == "club.daily"]
        await coach.handle(channel("ben"), Press(posts[-1].buttons[0][0].data))
    await world.advance(timedelta(days=1))  # Sunday: the weekly summary
    weekly = [r for d in world.platform.delivered for r in d.replies if r.key == "club.weekly"]
    assert len(weekly) == 1
    assert "7 routines done by 3 runners" in weekly[0].text
    assert "Ben R: 4 days" in weekly[0].text and "ann" not in weekly[0].text


async def test_non_admin_is_refused_and_off_stops_posts(world: World) -> None:
    coach = world.coach
    assert [r.key for r in await coach.handle(channel("x"), ClubCommand("denied"))] == [
        "club.denied"
    ]
    await coach.handle(channel("admin"), SETUP)
    replies = await coach.handle(channel("admin"), ClubCommand("off", guild_id="g1"))
    assert [r.key for r in replies] == ["club.off"]
    await world.advance(timedelta(days=2))
    assert [d for d in world.platform.delivered if d.ref.shared] == []


async def test_bad_setup_gets_a_hint(world: World) -> None:
    bad = ClubCommand("setup", guild_id="g1", channel_id="c", time="25:99",
                      timezone="Europe/London")
    replies = await world.coach.handle(channel("admin"), bad)
    assert [r.key for r in replies] == ["club.bad_time"]
    bad = ClubCommand("setup", guild_id="g1", channel_id="c", time="18:00", timezone="Narnia")
    replies = await world.coach.handle(channel("admin"), bad)
    assert [r.key for r in replies] == ["club.bad_zone"]


async def test_health_questions_never_in_a_shared_channel(world: World) -> None:
    for inbound in [Command("start"), Command("checkin"), Command("progress")]:
        replies: list[Reply] = await world.coach.handle(channel("r1"), inbound)
        assert [r.key for r in replies] == ["group.private_only"]
        assert all(not r.private for r in replies)


async def test_forget_removes_club_ticks_and_leaderboard_name(world: World) -> None:
    coach = world.coach
    await coach.handle(channel("admin"), SETUP)
    await world.advance(timedelta(hours=13))
    done = next(d for d in world.platform.delivered if d.ref.shared).replies[0].buttons[0][0].data
    await coach.handle(channel("ann"), Press(done))
    await coach.handle(channel("ann"), ClubCommand(
        "leaderboard", guild_id="g1", join=True, display_name="Ann"))
    client = world.client("ann")
    await client.send("/forget")
    await client.press("Yes, delete everything")
    for table in ("club_done", "club_leaderboard"):
        rows = await coach.stores.db.fetchall(f"SELECT * FROM {table} WHERE member_id='ann'")
        assert rows == []


async def test_setup_names_the_channel(world: World) -> None:
    (done,) = await world.coach.handle(channel("admin"), NAMED)
    assert done.key == "club.setup_done" and not done.private
    assert "#prehab" in done.text


async def test_setup_in_a_channel_the_bot_may_not_post_in_says_so(world: World) -> None:
    for facts in ({"bot_can_send": False}, {"bot_can_view": False, "bot_can_send": False}):
        replies = await world.coach.handle(channel("admin"), replace(NAMED, **facts))
        assert [r.key for r in replies] == ["club_admin.cannot_post"]
        assert "#prehab" in replies[0].text and "Send Messages" in replies[0].text
    assert await world.coach.stores.clubs.of_guild("console", "g1") is None  # nothing set up
    await world.advance(timedelta(days=2))
    assert world.platform.delivered == []


def notes_to(world: World, user: str) -> list[Reply]:
    return [r for d in world.platform.delivered if d.ref.user_id == user for r in d.replies]


async def outbox_statuses(world: World, kind: str) -> list[str]:
    rows = await world.coach.stores.db.fetchall(
        "SELECT status FROM outbox WHERE kind=? ORDER BY local_date", (kind,)
    )
    return [str(r["status"]) for r in rows]


async def test_refused_posts_are_told_to_the_admin_and_the_third_switches_off(
    world: World,
) -> None:
    await world.coach.handle(channel("admin"), NAMED)
    world.platform.not_permitted.add("prehab-channel")  # the channel's permissions change
    await world.advance(timedelta(hours=13))  # Monday's post, 18:00 London
    (note,) = notes_to(world, "admin")
    assert note.key == "club_admin.post_refused" and note.private
    assert "#prehab" in note.text and "3 refused posts" in note.text
    (sent,) = [d for d in world.platform.delivered if d.ref.user_id == "admin"]
    assert not sent.ref.shared and sent.ref.chat_id == ""  # the admin's private chat
    assert await outbox_statuses(world, "club_daily") == ["refused"]

    await world.advance(timedelta(days=1))  # Tuesday: refused again, told again
    assert [r.key for r in notes_to(world, "admin")] == ["club_admin.post_refused"] * 2
    await world.advance(timedelta(days=1))  # Wednesday: the third in a row
    assert [r.key for r in notes_to(world, "admin")][-1] == "club_admin.switched_off"
    assert "/club setup" in notes_to(world, "admin")[-1].text
    club = await world.coach.stores.clubs.of_guild("console", "g1")
    assert club is not None and not club.active

    world.platform.not_permitted.clear()
    await world.advance(timedelta(days=3))  # switched off: nothing more is tried
    assert await outbox_statuses(world, "club_daily") == ["refused"] * 3
    assert len(notes_to(world, "admin")) == 3
    assert all(not d.ref.shared for d in world.platform.delivered)  # nothing in the channel


async def test_a_post_that_goes_out_starts_the_count_again(world: World) -> None:
    await world.coach.handle(channel("admin"), NAMED)
    world.platform.not_permitted.add("prehab-channel")
    await world.advance(timedelta(hours=13))  # Monday: refused (1)
    await world.advance(timedelta(days=1))  # Tuesday: refused (2)
    world.platform.not_permitted.clear()
    await world.advance(timedelta(days=1))  # Wednesday: posted
    world.platform.not_permitted.add("prehab-channel")
    await world.advance(timedelta(days=2))  # Thursday, Friday: refused (1, 2)
    club = await world.coach.stores.clubs.of_guild("console", "g1")
    assert club is not None and club.active and club.refused_posts == 2
    assert await outbox_statuses(world, "club_daily") == [
        "refused", "refused", "sent", "refused", "refused"
    ]
    assert [r.key for r in notes_to(world, "admin")] == ["club_admin.post_refused"] * 4


async def test_a_note_the_admin_cannot_receive_leaves_the_club_on(world: World) -> None:
    await world.coach.handle(channel("admin"), NAMED)
    world.platform.not_permitted.add("prehab-channel")
    world.platform.blocked.add("admin")  # the admin's private chat refuses the bot
    await world.advance(timedelta(hours=13))
    assert await outbox_statuses(world, "club_refused") == ["blocked"]
    club = await world.coach.stores.clubs.of_guild("console", "g1")
    assert club is not None and club.active and club.refused_posts == 1


async def test_the_admin_hears_in_the_same_tick_as_the_refusal(world: World) -> None:
    await world.coach.handle(channel("admin"), NAMED)
    world.platform.not_permitted.add("prehab-channel")
    world.clock.set(world.clock.now() + timedelta(hours=12))  # 18:00 London: the post is due
    tick = await world.ticker.tick()
    assert (tick.drain.refused, tick.drain.sent) == (1, 1)
    assert [r.key for r in notes_to(world, "admin")] == ["club_admin.post_refused"]

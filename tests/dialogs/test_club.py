"""The running club, engine side: setup, refusal, the daily post, Done presses, summary."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.events import ClubCommand, Command, ConversationRef, Press, Reply
from tests.support.world import World


def channel(user: str) -> ConversationRef:
    return ConversationRef("console", user, "prehab-channel", shared=True)


SETUP = ClubCommand("setup", guild_id="g1", channel_id="prehab-channel", time="18:00",
                    timezone="Europe/London")


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

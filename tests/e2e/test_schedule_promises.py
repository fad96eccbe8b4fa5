"""What the coach promises about the next session is what arrives (issue 16, items 1-2).

The rule: one daily prompt a local day. A time or zone changed after today's prompt came
starts tomorrow and says so; a pause counts from the next prompt and names its days; a
reminder the sweep cannot send because that day already had one is recorded, never dropped
in silence.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.world import World

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def _daily(world: World, user: str) -> list[datetime]:
    return [d.at for d in world.platform.to(user)
            if any(r.key == "daily.ask.session" for r in d.replies)]


async def test_a_new_time_after_todays_prompt_is_promised_for_tomorrow_and_comes_then(
    world: World,
) -> None:
    client = await world.enrol("r1")  # Monday 2 March, 06:00 in London; prompts at 07:30
    await world.advance(timedelta(hours=2))  # 08:00: today's prompt has come
    assert len(_daily(world, "r1")) == 1
    await client.send("/settings")
    await client.press("Reminder time")
    await client.send("18:00")
    assert client.keys == ["settings.time_set"]
    assert "tomorrow at 18:00" in client.text, client.text
    assert "Today's session has already been sent, and there is one a day" in client.text
    await world.advance(timedelta(hours=12))  # Monday 20:00: nothing more today
    assert len(_daily(world, "r1")) == 1
    await world.advance(timedelta(days=1))  # Tuesday 20:00
    arrivals = [a.astimezone(LONDON) for a in _daily(world, "r1")]
    assert arrivals[-1].replace(tzinfo=None) == datetime(2026, 3, 3, 18, 0)


async def test_a_time_already_past_today_is_promised_for_tomorrow(world: World) -> None:
    client = await world.enrol("r1")  # 06:00, before today's 07:30 prompt
    await client.send("/settings")
    await client.press("Reminder time")
    await client.send("05:00")
    assert "tomorrow at 05:00" in client.text, client.text
    assert "one a day" not in client.text  # nothing was sent today: the time is simply past
    await client.send("/settings")
    await client.press("Reminder time")
    await client.send("18:00")
    assert "today at 18:00" in client.text, client.text
    await world.advance(timedelta(hours=13))  # 19:00
    assert [a.astimezone(LONDON).hour for a in _daily(world, "r1")] == [18]


async def test_a_new_zone_after_todays_prompt_is_promised_for_tomorrow_and_comes_then(
    world: World,
) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=6))  # noon in London, 07:00 in New York
    assert len(_daily(world, "r1")) == 1  # 07:30 in London came
    await client.send("/settings")
    await client.press("Time zone")
    await client.send("New York")
    assert client.keys == ["settings.zone_set"]
    # 07:30 in New York is still ahead today, but today has had its prompt
    assert "tomorrow at 07:30 (America/New_York)" in client.text, client.text
    await world.advance(timedelta(days=1, hours=1))
    arrivals = [a.astimezone(NEW_YORK) for a in _daily(world, "r1")]
    assert len(arrivals) == 2
    assert arrivals[-1].replace(tzinfo=None) == datetime(2026, 3, 3, 7, 30)


async def test_the_sweep_records_a_reminder_it_may_not_send_twice_a_day(world: World) -> None:
    await world.enrol("r1")
    await world.advance(timedelta(hours=2))  # today's 07:30 prompt has come
    db = world.coach.stores.db
    # a reminder due again the same local day (as a change made before this rule could)
    await db.execute("UPDATE reminders SET next_due=? WHERE 1=1",
                     ("2026-03-02T08:30:00Z",))
    await world.advance(timedelta(hours=1))
    assert len(_daily(world, "r1")) == 1, "still one prompt a day"
    rows = await db.fetchall(
        "SELECT kind, local_date, status, detail FROM outbox WHERE kind LIKE 'daily%'"
        " ORDER BY id")
    skipped = [dict(r) for r in rows if r["status"] != "sent"]
    assert skipped == [{"kind": "daily_skipped", "local_date": "2026-03-02",
                        "status": "skipped", "detail": skipped[0]["detail"]}], skipped
    assert "one a day" in str(skipped[0]["detail"])
    # and the reminder carries on tomorrow
    await world.advance(timedelta(days=1))
    assert len(_daily(world, "r1")) == 2


async def test_pause_after_todays_prompt_counts_from_the_next_prompt_and_names_the_days(
    world: World,
) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))  # Monday 08:00, today's prompt has come
    await client.send("/settings")
    await client.press("Pause for a few days")
    await client.press("3 days")
    assert client.keys == ["settings.paused"]
    assert "Tue 3 Mar to Thu 5 Mar" in client.text, client.text
    assert "Fri 6 Mar at 07:30" in client.text, client.text
    for _ in range(4):  # to Friday 08:00
        await world.advance(timedelta(days=1))
    days = [a.astimezone(LONDON).date() for a in _daily(world, "r1")]
    assert days == [date(2026, 3, 2), date(2026, 3, 6)], days


async def test_pause_before_todays_prompt_counts_today(world: World) -> None:
    client = await world.enrol("r1")  # Monday 06:00, today's prompt not sent yet
    await client.send("/settings")
    await client.press("Pause for a few days")
    await client.press("3 days")
    assert "Mon 2 Mar to Wed 4 Mar" in client.text, client.text
    assert "Thu 5 Mar at 07:30" in client.text, client.text
    for _ in range(4):  # to Friday 06:00
        await world.advance(timedelta(days=1))
    days = [a.astimezone(LONDON).date() for a in _daily(world, "r1")]
    assert days == [date(2026, 3, 5)], days


async def test_a_one_day_pause_names_its_day(world: World) -> None:
    client = await world.enrol("r1")
    await world.advance(timedelta(hours=2))
    await client.send("/settings")
    await client.press("Pause for a few days")
    await client.send("1")
    assert client.keys == ["schedule.paused_one"]
    assert "Tue 3 Mar" in client.text and "Wed 4 Mar at 07:30" in client.text, client.text

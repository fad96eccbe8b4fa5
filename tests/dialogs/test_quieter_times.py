"""Quieter times at sign-up (issue 12, item 4): a reminder time whose minute already holds
more than the platform sends in five minutes (Telegram: 30 a second x 300 s = 9,000) gets an
offer of the nearest quieter times, with a button to keep it; a quiet minute gets none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.coach import Coach
from tests.support.client import RUNNERS_KNEE, CoachClient
from tests.support.crowd import fill_minute

SEVEN = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 07:00 in London on the test's Monday
FULL = 9_000  # Telegram: 30 messages a second for five minutes, one message a reminder


async def up_to_time(client: CoachClient, at: str = "07:00",
                     zone: str = "Europe/London") -> None:
    """The intake of a runner with runner's knee, up to their reminder time and zone."""
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send("skip")
    for label in [*RUNNERS_KNEE, "No race planned"]:
        await client.press(label)
    await client.press("Yes, let's start")
    await client.send(at)
    await client.send(zone)


async def finish(client: CoachClient) -> None:
    """The rest of the intake, from the strength days on, and the function check."""
    assert client.keys[-1] == "intake.ask.strength_days", client.keys
    await client.press("Mon, Wed, Fri")
    for answer in ("No", "No", "No"):
        await client.press(answer)
    await client.press("About 20 minutes")
    assert client.keys[0] == "programme.started", client.keys
    for _ in range(5):
        await client.press("Some difficulty")
    assert client.keys[-1] == "today.session", client.keys


async def reminder_time(coach: Coach, client: CoachClient) -> str:
    user = await coach.stores.users.find(client.platform, client.user_id)
    assert user is not None
    reminder = await coach.stores.programme.reminder(user.id)
    assert reminder is not None
    return reminder.local_time


def telegram(coach: Coach, name: str = "tg-runner") -> CoachClient:
    return CoachClient(coach, user_id=name, platform="telegram")


@pytest.mark.both_backends
async def test_a_busy_minute_offers_quieter_times_and_a_suggestion_is_stored(
    coach: Coach,
) -> None:
    await fill_minute(coach.stores.db, SEVEN, FULL + 1)
    client = telegram(coach)
    await up_to_time(client, "07:00")
    assert client.keys == ["quieter.busy_two", "intake.ask.quieter"], client.keys
    assert "07:00" in client.text and "06:55" in client.text and "07:05" in client.text
    assert client.labels() == ["06:55", "07:05", "Keep 07:00"]
    await client.press("06:55")
    await finish(client)
    assert any("06:55" in r.text for r in client.history if "programme.started" in r.keys)
    assert await reminder_time(coach, client) == "06:55"


async def test_keeping_the_busy_time_keeps_it(coach: Coach) -> None:
    await fill_minute(coach.stores.db, SEVEN, FULL + 1)
    client = telegram(coach)
    await up_to_time(client, "07:00")
    await client.press("Keep 07:00")
    await finish(client)
    assert await reminder_time(coach, client) == "07:00"


async def test_a_minute_that_can_be_sent_in_five_minutes_is_not_busy(coach: Coach) -> None:
    await fill_minute(coach.stores.db, SEVEN, FULL)  # exactly five minutes' worth
    client = telegram(coach)
    await up_to_time(client, "07:00")
    assert "quieter.busy_two" not in client.keys
    assert "Keep 07:00" not in client.labels()
    await finish(client)
    assert await reminder_time(coach, client) == "07:00"


async def test_a_quiet_minute_beside_a_busy_one_shows_no_offer(coach: Coach) -> None:
    await fill_minute(coach.stores.db, SEVEN, FULL + 1)
    client = telegram(coach)
    await up_to_time(client, "07:30")
    assert client.keys == ["intake.ask.strength_days"], client.keys


async def test_the_limit_follows_the_platforms_rate(coach: Coach) -> None:
    """Discord takes 50 requests a second: 9,001 reminders are three minutes' sending
    there, not busy; and Telegram's crowd does not count against a Discord runner."""
    await fill_minute(coach.stores.db, SEVEN, FULL + 1, platform="discord")
    await fill_minute(coach.stores.db, SEVEN, FULL + 1)  # on Telegram
    client = CoachClient(coach, user_id="dc-runner", platform="discord")
    await up_to_time(client, "07:00")
    assert client.keys == ["intake.ask.strength_days"], client.keys


async def test_what_a_reminder_sends_counts(coach: Coach) -> None:
    """Reminders lately sent as two messages each: 4,501 of them are over five minutes."""
    await fill_minute(coach.stores.db, SEVEN, FULL // 2 + 1)
    async with coach.stores.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO outbox (target, user_id, platform, kind, local_date, due_at,"
            " next_attempt, status, sent, sent_at) VALUES (?, NULL, 'telegram', 'daily', ?,"
            " ?, ?, 'sent', '[\"1\", \"2\"]', ?)",
            [(f"u:{9_000_000 + i}", f"2026-03-0{1 + i % 2}", "2026-03-01T07:00:00Z",
              "2026-03-01T07:00:00Z", "2026-03-01T07:00:05Z") for i in range(4)],
        )
    client = telegram(coach)
    await up_to_time(client, "07:00")
    assert client.keys == ["quieter.busy_two", "intake.ask.quieter"], client.keys


async def test_reminders_claimed_ahead_still_fill_their_minute(coach: Coach) -> None:
    """Once the sweep has claimed 07:00 (up to ten minutes ahead), those reminders are due
    tomorrow at 07:00: the minute is just as busy."""
    await fill_minute(coach.stores.db, SEVEN + timedelta(days=1), FULL + 1)
    client = telegram(coach)
    await up_to_time(client, "07:00")
    assert client.labels() == ["06:55", "07:05", "Keep 07:00"]


async def test_busy_neighbours_are_passed_over(coach: Coach) -> None:
    for minutes in (-5, 0, 5):
        await fill_minute(coach.stores.db, SEVEN + timedelta(minutes=minutes), FULL + 1)
    client = telegram(coach)
    await up_to_time(client, "07:00")
    assert client.labels() == ["06:50", "07:10", "Keep 07:00"]


async def test_the_zone_decides_the_minute(coach: Coach) -> None:
    """08:00 in Berlin is 07:00 UTC (in March): the same busy minute."""
    await fill_minute(coach.stores.db, SEVEN, FULL + 1)
    client = telegram(coach)
    await up_to_time(client, "08:00", "Europe/Berlin")
    assert client.labels() == ["07:55", "08:05", "Keep 08:00"]


async def enrolled_before_a_busy_minute(coach: Coach, time: str) -> CoachClient:
    """A runner enrolled for ``time`` in London; tomorrow's 07:00 UTC then fills up."""
    client = telegram(coach)
    await up_to_time(client, time)
    await finish(client)
    await fill_minute(coach.stores.db, SEVEN + timedelta(days=1), FULL + 1)
    return client


async def change(client: CoachClient, setting: str, answer: str) -> None:
    """/settings, the setting's button, then the answer typed."""
    await client.send("/settings")
    await client.press(setting)
    await client.send(answer)


async def test_changing_the_time_in_settings_offers_quieter_times(coach: Coach) -> None:
    client = await enrolled_before_a_busy_minute(coach, "07:30")
    await change(client, "Reminder time", "07:00")
    assert client.keys == ["quieter.busy_two", "settings.ask.quieter"], client.keys
    await client.press("07:05")
    assert client.keys == ["settings.time_set"], client.keys
    assert "07:05" in client.text
    assert await reminder_time(coach, client) == "07:05"

    await change(client, "Reminder time", "07:00")
    await client.press("Keep 07:00")
    assert client.keys == ["settings.time_set"], client.keys
    assert await reminder_time(coach, client) == "07:00"


async def test_changing_the_zone_in_settings_offers_quieter_times(coach: Coach) -> None:
    """08:00 stays the runner's time; in Berlin it falls on the busy 07:00 UTC minute."""
    client = await enrolled_before_a_busy_minute(coach, "08:00")
    await change(client, "Time zone", "Berlin")
    assert client.keys == ["quieter.busy_two", "settings.ask.quieter"], client.keys
    assert client.labels() == ["07:55", "08:05", "Keep 08:00"]
    await client.press("08:05")
    assert client.keys == ["settings.zone_set"], client.keys
    assert await reminder_time(coach, client) == "08:05"

    # a zone whose 08:00 is a quiet minute goes straight through
    await change(client, "Time zone", "London")
    assert client.keys == ["settings.zone_set"], client.keys
    assert await reminder_time(coach, client) == "08:05"

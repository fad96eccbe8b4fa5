"""Quieter reminder times: when the minute a runner's new reminder time falls on (the UTC
minute it next falls on, in their zone) already holds more reminders on their platform than
it can send in five minutes (``bot.domain.pace``: Telegram at 30 a second, 9,000 of one
message each), the coach says so and offers the nearest quieter times, on a five-minute
grid up to an hour either side, with a button to keep the chosen one.

Two dialog actions: ``offer_quieter`` (after the time and zone are known, in the intake and
in /settings) counts, says why and puts the times in the dialog's data for the ``quieter``
question (``options_from``); ``take_quieter`` stores the time pressed. The engine decides;
every door shows the same buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.domain.localtime import next_occurrence
from bot.domain.pace import busy_limit
from bot.domain.zones import zone_from_name
from bot.engine.features.programme.plan import Kit
from bot.engine.session import Session
from bot.store.load import LoadStore

TEXTS = {
    "quieter.busy_one": ("time", "first"),
    "quieter.busy_two": ("time", "first", "second"),
    "quieter.keep": ("time",),
}
GRID = 5  # minutes: the times offered are on this grid
REACH = 60  # minutes either side of the chosen time, at most
KEEP = "keep"
CHOICES = "quieter"  # the question's options in the dialog's data (options_from)


def nearby(chosen: time) -> list[int]:
    """Minutes from ``chosen`` to the grid times within ``REACH`` of it, nearest first (the
    earlier of two equally near first)."""
    start = chosen.hour * 60 + chosen.minute
    offsets = [m - start for m in range(start - REACH, start + REACH + 1)
               if m % GRID == 0 and m != start]
    return sorted(offsets, key=lambda d: (abs(d), d))


def wall(chosen: time, offset: int) -> str:
    """``chosen`` moved by ``offset`` minutes, round the clock ("23:55" + 10 = "00:05")."""
    minutes = (chosen.hour * 60 + chosen.minute + offset) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class QuieterTimes:
    def __init__(self, kit: Kit, load: LoadStore, rates: Mapping[str, float]) -> None:
        self.kit = kit
        self.load = load
        self.rates = dict(rates)

    async def offer(self, session: Session) -> str | None:
        """Is the chosen time's minute busy on this platform? Then say so and offer the
        nearest quieter times (``answers["busy"]``: "yes" or "no")."""
        answers: dict[str, Any] = session.state.data.setdefault("answers", {})
        answers["busy"] = "no"
        rate = self.rates.get(session.user.platform)
        if rate is None:
            return None
        reminder = await self.kit.store.reminder(session.user.id)
        # the time just chosen, or (a new zone in /settings) the time the runner has
        chosen_text = answers.get("reminder_time") or (reminder.local_time if reminder else None)
        if not chosen_text:
            return None
        zone_name = str(answers.get("timezone") or (reminder.timezone if reminder else "UTC"))
        chosen = time.fromisoformat(str(chosen_text))
        due = next_occurrence(chosen, zone_from_name(zone_name), session.now)
        platform, user_id = session.user.platform, session.user.id
        limit = busy_limit(rate, await self.load.messages_per_reminder(platform))
        # The chosen minute first (the usual answer: not busy), its neighbours only if it is.
        mine = await self.load.due_by_time_of_day(platform, due, due, besides=user_id)
        if mine.get(_utc(due), 0) <= limit:
            return None
        offsets = nearby(chosen)
        counts = await self.load.due_by_time_of_day(
            platform, due - timedelta(minutes=REACH), due + timedelta(minutes=REACH),
            besides=user_id)
        quiet = [d for d in offsets
                 if counts.get(_utc(due + timedelta(minutes=d)), 0) + 1 <= limit]
        picks = [d for d in (next((d for d in quiet if d < 0), None),
                             next((d for d in quiet if d > 0), None)) if d is not None]
        if not picks:
            return None  # busy all round: nothing quieter to offer near it
        times = [wall(chosen, d) for d in picks]
        answers["busy"] = "yes"
        label = chosen.strftime("%H:%M")
        session.state.data.setdefault("choices", {})[CHOICES] = [
            *([f"t{t.replace(':', '')}", t] for t in times),
            [KEEP, session.text("quieter.keep", time=label)],
        ]
        if len(times) == 2:
            session.say("quieter.busy_two", time=label, first=times[0], second=times[1])
        else:
            session.say("quieter.busy_one", time=label, first=times[0])
        return None

    async def take(self, session: Session) -> str | None:
        """The time pressed becomes the reminder time; "keep" keeps the chosen one."""
        answers: dict[str, Any] = session.state.data.setdefault("answers", {})
        picked = str(answers.get(CHOICES) or KEEP)
        if picked != KEEP and len(picked) == 5 and picked[1:].isdigit():
            answers["reminder_time"] = f"{picked[1:3]}:{picked[3:]}"
        return None


def _utc(instant: datetime) -> str:
    """An instant's UTC time of day, as the store groups it ("07:00")."""
    return instant.astimezone(UTC).strftime("%H:%M")

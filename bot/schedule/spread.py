"""Honesty at the limit: the minutes about to be claimed, looked at before the sweep claims
them, and one warning line for each minute that holds more than its platform can send
within it.

``BusyMinutes.look`` runs after each sweep pass. It counts each minute once, when it comes
within ``ahead`` of the sweep's horizon (``LoadStore.due_by_minute``: one grouped count
over the reminders' index, only for the minutes not counted yet, so about one small
statement a minute), and follows each platform's send queue from minute to minute: what a
minute leaves unsent delays the next. A minute holding more than its platform sends within
it is overfull: one WARNING line says so, with counts and times only (no person, no health
data), and with what earlier minutes left over; a minute late only because an earlier one
spilled over gets no line of its own (that one's says it), e.g. "07:00 UTC: 12,000
reminders due on telegram, about 6 min 40 s to send at 30/s; the last about 6 min 40 s
late". ``outlook()`` gives, per platform, the upcoming minute with the most reminders and
the latest expected last reminder (the metrics' gauges).

Messages per reminder are what reminders actually sent lately (``messages_per_reminder``),
asked again every ``refresh``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.pace import MINUTE, MinuteLoad, minute_of, seconds_to_send, span_text
from bot.store.load import LoadStore

log = logging.getLogger(__name__)

AHEAD = timedelta(minutes=15)  # how far past the sweep's horizon minutes are counted
REFRESH = timedelta(hours=1)  # how often messages per reminder are measured again


@dataclass(frozen=True, slots=True)
class Outlook:
    """One platform's upcoming minutes at a glance (for the gauges)."""

    platform: str
    busiest: int  # reminders due in its busiest upcoming minute
    late_seconds: float  # how late the last reminder of its worst upcoming minute goes out


class BusyMinutes:
    def __init__(
        self, load: LoadStore, rates: Mapping[str, float], *, ahead: timedelta = AHEAD,
        refresh: timedelta = REFRESH,
    ) -> None:
        self.load = load
        self.rates = dict(rates)
        self.ahead = ahead
        self.refresh = refresh
        self.counted_until: datetime | None = None  # minutes before this one are counted
        self.upcoming: dict[tuple[str, datetime], MinuteLoad] = {}
        self._per_reminder: dict[str, float] = {}
        self._measured: datetime | None = None
        # per platform: (the last minute counted that had reminders, its lateness)
        self._queue: dict[str, tuple[datetime, float]] = {}

    async def look(self, horizon: datetime, now: datetime) -> list[MinuteLoad]:
        """Count the minutes that came within ``ahead`` of ``horizon`` (the sweep claims up
        to it: minutes after it are still whole in the reminders table); warn once of each
        overfull one. Returns the minutes counted in this call."""
        start = self.counted_until or minute_of(horizon) + MINUTE
        end = minute_of(horizon + self.ahead)
        for key in [k for k in self.upcoming if k[1] < minute_of(now)]:
            del self.upcoming[key]
        if end <= start:
            return []
        counts = await self.load.due_by_minute(start, end)
        self.counted_until = end
        if counts:
            await self._measure(now)
        loads = []
        for count in counts:
            rate = self.rates.get(count.platform)
            if rate is None:
                continue  # no door for that platform in this process: nothing to send with
            per = self._per_reminder.get(count.platform, 1.0)
            send = seconds_to_send(count.reminders, per, rate)
            last, late = self._queue.get(count.platform, (count.minute, 0.0))
            waiting = max(0.0, late - (count.minute - last).total_seconds())
            load = MinuteLoad(count.minute, count.platform, count.reminders,
                              count.reminders * per, send, waiting + send)
            self._queue[count.platform] = (count.minute, load.late_seconds)
            self.upcoming[(count.platform, count.minute)] = load
            loads.append(load)
            if load.overfull:
                self._warn(load, rate)
        return loads

    def outlook(self) -> list[Outlook]:
        """Per platform with a door: its busiest upcoming minute and its worst lateness."""
        found = []
        for platform in sorted(self.rates):
            mine = [m for (p, _), m in self.upcoming.items() if p == platform]
            found.append(Outlook(
                platform,
                max((m.reminders for m in mine), default=0),
                max((m.late_seconds for m in mine), default=0.0),
            ))
        return found

    async def _measure(self, now: datetime) -> None:
        if self._measured is not None and now - self._measured < self.refresh:
            return
        self._measured = now
        for platform in self.rates:
            self._per_reminder[platform] = await self.load.messages_per_reminder(platform)

    @staticmethod
    def _warn(load: MinuteLoad, rate: float) -> None:
        messages = "" if round(load.messages) == load.reminders else (
            f" ({round(load.messages):,} messages)")
        waiting = load.late_seconds - load.send_seconds
        earlier = f", after {span_text(waiting)} left from the minutes before" if (
            waiting >= 1) else ""
        log.warning(
            "%s UTC: %s reminders due on %s%s, about %s to send at %s/s%s; the last about %s"
            " late", load.minute.strftime("%H:%M"), f"{load.reminders:,}", load.platform,
            messages, span_text(load.send_seconds), f"{rate:g}", earlier,
            span_text(load.late_seconds),
        )

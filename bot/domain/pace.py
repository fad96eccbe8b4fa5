"""How long sending takes at a platform's pace, and when a minute counts as busy.

A platform takes a bot's messages at a pace of its own (``Capabilities.messages_per_second``:
Telegram 30 a second, Discord 50), and a reminder may be more than one message (what one
actually sends is measured: ``LoadStore.messages_per_reminder``). Reminders are set to a
whole minute, so everything due in one minute is due at its start; the last of them goes out
as late as sending all of them takes. The scheduler warns of an overfull minute with these
figures (``bot.schedule.spread``) and the programme offers quieter times at sign-up when a
minute already holds more than ``BUSY_SECONDS`` of sending (``busy_limit``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

# A minute is busy when what is due in it takes longer than this to send: its last reminder
# would arrive more than five minutes late.
BUSY_SECONDS = 300.0
MINUTE = timedelta(minutes=1)


def seconds_to_send(reminders: int, per_reminder: float, per_second: float) -> float:
    """Seconds ``reminders`` take to send at ``per_second`` messages a second."""
    if reminders <= 0 or math.isinf(per_second):
        return 0.0
    return reminders * per_reminder / per_second


def busy_limit(per_second: float, per_reminder: float, seconds: float = BUSY_SECONDS) -> float:
    """The most reminders one minute may hold before sending them takes longer than
    ``seconds`` (Telegram at 30 a second, one message each: 9,000)."""
    return per_second * seconds / max(per_reminder, 1.0)


def minute_of(instant: datetime) -> datetime:
    """The start of the minute ``instant`` falls in."""
    return instant.replace(second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class MinuteLoad:
    """What is due in one UTC minute on one platform, and what sending it means."""

    minute: datetime
    platform: str
    reminders: int
    messages: float  # reminders x the messages one sends
    send_seconds: float  # to send this minute's messages alone
    late_seconds: float  # how late its last reminder goes out (with what earlier left over)

    @property
    def overfull(self) -> bool:
        """It holds more than can be sent within it (a minute late only because an earlier
        one spilled over is not: that one's warning says so)."""
        return self.send_seconds > MINUTE.total_seconds()


def span_text(seconds: float) -> str:
    """A duration for an operator's log line: "6 min 40 s", "45 s", "1 h 5 min"."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"

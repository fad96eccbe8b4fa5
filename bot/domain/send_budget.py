"""The arithmetic of a platform's send budget (the engine's ``SendBudget`` port): one start
every ``1 / messages_per_second`` seconds, evenly spaced, whoever sends; a reply is promised
the next free start, a bulk send takes only a start that is free (almost) now. The database
keeps the shared one (``bot.store.send_budget``); ``MemorySendBudget`` is one process's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SendSlot:
    """A ``SendBudget``'s answer. ``granted``: the start ``wait`` seconds from now is this
    message's (wait, then send, without asking again). Not granted: nothing was taken; ask
    again after ``wait`` seconds (always more than 0)."""

    granted: bool
    wait: float = 0.0


# How far ahead of its start a bulk send may be granted it (seconds): enough for a timer
# that fires a little late and a database round trip, so a reminder that asks just before
# its start keeps the pace; short next to the 33 ms between Telegram's starts, so a reply
# waits at most that much longer for it.
BULK_AHEAD = 0.005
# The clocks' grain (seconds): a refusal never says less, and a start no further than it
# beyond ``ahead`` is granted (a sleep rounded to it must not wake to "a microsecond more").
SHORTEST_WAIT = 1e-6


@dataclass(slots=True)
class MemorySendBudget:
    """A ``SendBudget`` kept in this process only (the shared one's arithmetic: the tests
    compare them, and a budget per process is what the shared one must not be)."""

    messages_per_second: float
    ahead: float = BULK_AHEAD
    next_at: float | None = None  # when the next message may start, seconds since the epoch

    async def take(self, now: datetime, *, replying: bool) -> SendSlot:
        at = now.timestamp()
        free = at if self.next_at is None else max(self.next_at, at)
        if not replying and free > at + self.ahead + SHORTEST_WAIT:
            return SendSlot(False, max(SHORTEST_WAIT, free - self.ahead - at))
        self.next_at = free + 1.0 / self.messages_per_second
        return SendSlot(True, free - at)

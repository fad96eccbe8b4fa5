"""Telegram's outgoing limits, on PTB's ``BaseRateLimiter`` extension point.

``TelegramRateLimiter`` never retries a 429 itself: the outbound module reports it
(``RetryAfter`` for the outbox, a bounded wait for an interactive reply). Why not PTB's
``AIORateLimiter``: docs/DESIGN.md and bench/telegram_delivery.py.

It also keeps the number of messages "in flight" (sent, and not yet recorded as delivered
by whoever sent them) at ``RateLimits.in_flight``: Telegram has no idempotency key, so each
of them is one that a crash can repeat. A sender that records its messages wraps the send
and the record in ``until_recorded()``; the flight slot is taken after the chat's and the
bot's pace allowed the message (a chat waiting for its own pace never holds it) and given
back once the record is written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import BaseRateLimiter

from bot.adapters.telegram.capabilities import (
    MESSAGES_PER_MINUTE_PER_GROUP,
    MESSAGES_PER_SECOND,
    MESSAGES_PER_SECOND_PER_CHAT,
)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Outgoing limits (Telegram's published ones by default)."""

    messages_per_second: float = MESSAGES_PER_SECOND
    per_chat_per_second: float = MESSAGES_PER_SECOND_PER_CHAT
    per_chat_burst: int = 3
    group_messages_per_minute: float = MESSAGES_PER_MINUTE_PER_GROUP
    # Messages sent and not yet recorded, at most (each can arrive twice after a crash).
    # One costs nothing while Telegram answers within the 1/messages_per_second spacing.
    in_flight: int = 1


TELEGRAM_LIMITS = RateLimits()  # Telegram's published limits: the adapter's default

# The flight slots a task holds until its sender recorded what it sent (see until_recorded).
_LANDING: ContextVar[list[Callable[[], None]] | None] = ContextVar("kneecoach-tg-landing",
                                                                  default=None)


@contextlib.contextmanager
def until_recorded() -> Iterator[None]:
    """Hold the flight slot of the message sent inside until the block ends (the sender has
    recorded it), instead of until Telegram answered."""
    landing: list[Callable[[], None]] = []
    token = _LANDING.set(landing)
    try:
        yield
    finally:
        _LANDING.reset(token)
        for release in landing:
            release()


class SlidingWindow:
    """At most ``count`` requests in any ``seconds`` long window, evenly paced when busy.

    A request may start only once the ``count``-th request before it has been ANSWERED and
    ``seconds`` have passed since: Telegram received that one before answering it, and
    receives this one after it starts, so no window of Telegram's can hold more than
    ``count`` of them, however late a timer fires or however slow a request is. Starts are
    also spaced ``seconds / count`` apart, counted from the previous *scheduled* start (a
    timer that fires late makes the next wait shorter, so lateness does not add up into a
    slower pace), which spreads a burst over the window instead of sending it at once.
    """

    def __init__(self, count: int, seconds: float) -> None:
        if count < 1 or seconds <= 0:
            raise ValueError("a sliding window needs a positive count and length")
        self.count = count
        self.seconds = seconds
        self._spacing = seconds / count
        self._answered: deque[asyncio.Future[float]] = deque()  # the last ``count`` requests
        self._next = 0.0
        self._turn = asyncio.Lock()  # first come, first served

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[float] = loop.create_future()
        async with self._turn:
            start = max(loop.time(), self._next)
            if len(self._answered) >= self.count:
                oldest = await asyncio.shield(self._answered[0])
                start = max(start, oldest + self.seconds)
            delay = start - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(self._answered) >= self.count:
                self._answered.popleft()
            self._answered.append(answered)
            self._next = start + self._spacing
        try:
            yield
        finally:
            answered.set_result(loop.time())


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Telegram's limits, never retrying a 429 itself (``send()`` reports it instead).

    In order: a private chat's bucket (a short burst, then ``per_chat_per_second``) or a
    group's (``group_messages_per_minute``), then the overall ``SlidingWindow`` of
    ``messages_per_second`` per second, for every request addressed to a chat (sends and
    edits; answerCallbackQuery, getUpdates and the like are not messages and pass).
    """

    def __init__(self, limits: RateLimits) -> None:
        self._window = SlidingWindow(max(1, int(limits.messages_per_second)), 1.0)
        self._burst = max(1, limits.per_chat_burst)
        self._chat_period = self._burst / limits.per_chat_per_second
        self._group_rate = limits.group_messages_per_minute
        self._chats: dict[int, AsyncLimiter] = {}
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._flight = asyncio.Semaphore(max(1, limits.in_flight))

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    @staticmethod
    def _forget_idle(limiters: dict[Any, AsyncLimiter], keep: object) -> None:
        if len(limiters) > 1024:
            for other, limiter in list(limiters.items()):
                if other != keep and limiter.has_capacity(limiter.max_rate):
                    del limiters[other]

    def _chat_limiter(self, chat_id: object) -> AsyncLimiter | None:
        """The bucket of a private chat (positive id) or of a group / channel."""
        key: int | str
        try:
            key = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            if not isinstance(chat_id, str):
                return None
            key = chat_id  # "@channelname"
        if isinstance(key, int) and key > 0:
            self._forget_idle(self._chats, key)
            if key not in self._chats:
                self._chats[key] = AsyncLimiter(self._burst, self._chat_period)
            return self._chats[key]
        self._forget_idle(self._groups, key)
        if key not in self._groups:
            self._groups[key] = AsyncLimiter(self._group_rate, 60)
        return self._groups[key]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await callback(*args, **kwargs)
        limiter = self._chat_limiter(chat_id)
        async with contextlib.AsyncExitStack() as stack:
            if limiter is not None:
                await stack.enter_async_context(limiter)
            await stack.enter_async_context(self._window.slot())
            await self._flight.acquire()
            landing = _LANDING.get()
            if landing is None:  # nobody records it: in flight until Telegram answered
                try:
                    return await callback(*args, **kwargs)
                finally:
                    self._flight.release()
            landing.append(self._flight.release)
            return await callback(*args, **kwargs)

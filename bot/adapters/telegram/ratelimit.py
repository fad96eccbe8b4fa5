"""Telegram's outgoing limits, on PTB's ``BaseRateLimiter`` extension point.

``TelegramRateLimiter`` never retries a 429 itself: the outbound module reports it
(``RetryAfter`` for the outbox, a bounded wait for an interactive reply). Why not PTB's
``AIORateLimiter``: docs/DESIGN.md and bench/telegram_delivery.py.

Paid broadcast (``RateLimits.paid_broadcast``, off by default): the bulk sends made inside
``broadcasting()`` (the outbox's reminders, never a reply) carry ``allow_paid_broadcast`` and
are paced by a window of their own at Telegram's paid rate (1000 a second, 0.1 Stars a
message); every other request keeps the free window of 30. A request carrying the flag while
paid broadcast is off, or a reply, is paced as usual.

It also keeps the number of messages "in flight" (sent, and not yet recorded as delivered
by whoever sent them) at ``RateLimits.in_flight``: Telegram has no idempotency key, so each
of them is one that a crash can repeat. A sender that records its messages wraps the send
and the record in ``until_recorded()``; the flight slot is taken after the chat's and the
bot's pace allowed the message (a chat waiting for its own pace never holds it) and given
back once the record is written.

Several processes (PostgreSQL): the overall window of 30 a second is the bot's, so given a
``SendBudget`` (the engine's port; ``bot.store.send_budget`` keeps it in the database) the
limiter draws every message's start from it: a reply is promised the next free start
across all processes, a bulk send waits (one of this process's at a time asking) until a
start is free. The message then still passes the process's own ``SlidingWindow``, which
counts the sends Telegram has answered, so a start that goes out late never puts more than
its count of this process's messages in one of Telegram's seconds. The per-chat and
per-group windows stay in the process (one person's turns run in one process at a time),
and so does the paid broadcast window (only the leader's ticker sends reminders). Should
the budget fail (the database unreachable), the process's own window paces alone and it
says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import BaseRateLimiter

from bot.adapters.telegram.capabilities import (
    MESSAGES_PER_MINUTE_PER_GROUP,
    MESSAGES_PER_SECOND,
    MESSAGES_PER_SECOND_PER_CHAT,
    PAID_MESSAGES_PER_SECOND,
    TYPICAL_ANSWER_SECONDS,
)
from bot.domain.clock import Clock, SystemClock
from bot.engine.ports import SendBudget

log = logging.getLogger(__name__)


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
    # Of each second's messages, as many as replies took in the last second (at most this
    # many) are kept for replies (bulk reminders fill the rest; with nobody writing, all).
    reply_reserve: int = 3
    # Bulk sends (reminders) carry allow_paid_broadcast and are paced at the paid rate
    # instead (Telegram charges 0.1 Stars a message): off unless TELEGRAM_PAID_BROADCAST.
    paid_broadcast: bool = False
    paid_messages_per_second: float = PAID_MESSAGES_PER_SECOND

    @property
    def bulk_messages_per_second(self) -> float:
        """What reminders go out at: ``messages_per_second``; with paid broadcast up to the
        paid rate, as far as ``in_flight`` messages at Telegram's usual answer time reach
        (1 in flight: about 33 a second; about 30 reach 1000)."""
        if not self.paid_broadcast:
            return self.messages_per_second
        reach = max(1, self.in_flight) / TYPICAL_ANSWER_SECONDS
        return min(self.paid_messages_per_second, max(self.messages_per_second, reach))


TELEGRAM_LIMITS = RateLimits()  # Telegram's published limits: the adapter's default

# The flight slots a task holds until its sender recorded what it sent (see until_recorded).
_LANDING: ContextVar[list[Callable[[], None]] | None] = ContextVar("kneecoach-tg-landing",
                                                                  default=None)
# Whether the messages sent in this task answer someone who just wrote (see replying).
_REPLYING: ContextVar[bool] = ContextVar("kneecoach-tg-replying", default=False)
# Whether the messages sent in this task are bulk sends that may use paid broadcast.
_BROADCASTING: ContextVar[bool] = ContextVar("kneecoach-tg-broadcasting", default=False)
PAID_FLAG = "allow_paid_broadcast"  # the Bot API parameter of sendMessage and the other sends


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


@contextlib.contextmanager
def replying() -> Iterator[None]:
    """Messages sent inside answer someone who just wrote: they go before bulk sends (the
    outbox's reminders) waiting for the same window, and a share of it is kept for them."""
    token = _REPLYING.set(True)
    try:
        yield
    finally:
        _REPLYING.reset(token)


@contextlib.contextmanager
def broadcasting() -> Iterator[None]:
    """Messages sent inside are bulk sends (reminders, nobody waiting) that carry
    ``allow_paid_broadcast`` (``BotApiOutput`` adds it; only with paid broadcast on)."""
    token = _BROADCASTING.set(True)
    try:
        yield
    finally:
        _BROADCASTING.reset(token)


def paid_broadcast() -> bool:
    """Whether the message about to be sent is a bulk send that may pay for broadcast."""
    return _BROADCASTING.get() and not _REPLYING.get()


class _Turns:
    """A lock whose waiters take their turn replies first, then bulk, each in arrival order."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(), deque())

    async def acquire(self, reply: bool) -> None:
        if not self._held and not any(self._waiting):
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting[0 if reply else 1]
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # it was handed the turn just as it was cancelled
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(turn)
            raise

    def release(self) -> None:
        for queue in self._waiting:
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the lock passes on, still held
                    return
        self._held = False


class SlidingWindow:
    """At most ``count`` requests in any ``seconds`` long window, evenly paced when busy.

    A request may start only once the ``count``-th request before it has been ANSWERED and
    ``seconds`` have passed since: Telegram received that one before answering it, and
    receives this one after it starts, so no window of Telegram's can hold more than
    ``count`` of them, however late a timer fires or however slow a request is. Starts are
    also spaced ``seconds / count`` apart, counted from the previous *scheduled* start (a
    timer that fires late makes the next wait shorter, so lateness does not add up into a
    slower pace), which spreads a burst over the window instead of sending it at once.

    Replies first: a waiting reply takes the next start before any waiting bulk request,
    and bulk requests leave free in every window as many starts as replies took in the
    last one (at most ``reserve``), so the replies' share is kept for them while people
    write. With no one writing, bulk has the whole window.
    """

    def __init__(self, count: int, seconds: float, reserve: int = 0) -> None:
        if count < 1 or seconds <= 0:
            raise ValueError("a sliding window needs a positive count and length")
        self.count = count
        self.seconds = seconds
        self.reserve = min(max(0, reserve), count - 1)
        self._spacing = seconds / count
        self._answered: deque[asyncio.Future[float]] = deque()  # the last ``count`` requests
        self._bulk: deque[asyncio.Future[float]] = deque()  # the last bulk ones
        self._next = 0.0
        self._replies: deque[float] = deque()  # when the replies of the last window started
        self._turns = _Turns()
        self.started = 0  # requests it let start (for the tests and benchmarks)

    @contextlib.asynccontextmanager
    async def slot(self, reply: bool = False) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[float] = loop.create_future()
        await self._turns.acquire(reply)
        try:
            start = max(loop.time(), self._next)
            if len(self._answered) >= self.count:
                oldest = await asyncio.shield(self._answered[0])
                start = max(start, oldest + self.seconds)
            if not reply:
                while self._replies and self._replies[0] < loop.time() - self.seconds:
                    self._replies.popleft()
                bulk_share = self.count - min(self.reserve, len(self._replies))
                if len(self._bulk) >= bulk_share:
                    oldest_bulk = await asyncio.shield(self._bulk[-bulk_share])
                    start = max(start, oldest_bulk + self.seconds)
            delay = start - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(self._answered) >= self.count:
                self._answered.popleft()
            self._answered.append(answered)
            if not reply:
                if len(self._bulk) >= self.count:
                    self._bulk.popleft()
                self._bulk.append(answered)
            self._next = start + self._spacing
            self.started += 1
            if reply:
                self._replies.append(start)
        finally:
            self._turns.release()
        try:
            yield
        finally:
            answered.set_result(loop.time())


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Telegram's limits, never retrying a 429 itself (``send()`` reports it instead).

    In order: a private chat's bucket (a short burst, then ``per_chat_per_second``) or a
    group's (``group_messages_per_minute``), then, given a ``budget``, the bot's start from
    the budget its processes share (waited for with ``sleep`` on ``clock``'s time), then the
    overall ``SlidingWindow`` of ``messages_per_second`` per second, for every
    request addressed to a chat (sends and edits; answerCallbackQuery, getUpdates and the
    like are not messages and pass).
    """

    def __init__(
        self,
        limits: RateLimits,
        *,
        budget: SendBudget | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.window = SlidingWindow(max(1, int(limits.messages_per_second)), 1.0,
                                    limits.reply_reserve)
        # The bot's overall window shared by its processes (None: ``window`` is the bot's).
        self.budget = budget
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self._bulk_asking = asyncio.Lock()  # one bulk send of this process asks at a time
        self._budget_failing = False
        self.shared_starts = 0  # messages started on the shared budget (tests, benchmarks)
        self._burst = max(1, limits.per_chat_burst)
        self._chat_period = self._burst / limits.per_chat_per_second
        self._group_rate = limits.group_messages_per_minute
        self._chats: dict[int, AsyncLimiter] = {}
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._flight = asyncio.Semaphore(max(1, limits.in_flight))
        # Bulk sends that pay for broadcast: a window of their own at the paid rate.
        self.paid = (SlidingWindow(max(1, int(limits.paid_messages_per_second)), 1.0)
                     if limits.paid_broadcast else None)

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

    async def _shared_start(self, budget: SendBudget, reply: bool) -> None:
        """Wait for this message's start on the bot's shared budget; when the budget cannot
        be asked, say so (once) and let the process's own window pace alone."""
        try:
            if reply:  # always granted: a start kept for it
                slot = await budget.take(self._clock.now(), replying=True)
            else:
                async with self._bulk_asking:
                    while not (slot := await budget.take(self._clock.now(),
                                                          replying=False)).granted:
                        await self._sleep(slot.wait)
            if slot.wait > 0:
                await self._sleep(slot.wait)  # until the start granted
        except Exception as exc:
            if not self._budget_failing:
                log.warning("the shared send budget failed (%s): this process paces its"
                            " messages alone until it answers again", type(exc).__name__)
                self._budget_failing = True
            return
        if self._budget_failing:
            log.warning("the shared send budget answers again")
            self._budget_failing = False
        self.shared_starts += 1

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
            replying = _REPLYING.get()
            if self.paid is not None and data.get(PAID_FLAG) is True and not replying:
                await stack.enter_async_context(self.paid.slot())
            else:
                # The bot's pace across processes (when the budget answers), then this
                # process's own window: it starts a message only once the one ``count``
                # before it was answered a window ago, so however late a timer fires no
                # second Telegram counts holds more than ``count`` of this process's.
                if self.budget is not None:
                    await self._shared_start(self.budget, replying)
                await stack.enter_async_context(self.window.slot(replying))
            await self._flight.acquire()
            landing = _LANDING.get()
            if landing is None:  # nobody records it: in flight until Telegram answered
                try:
                    return await callback(*args, **kwargs)
                finally:
                    self._flight.release()
            landing.append(self._flight.release)
            return await callback(*args, **kwargs)

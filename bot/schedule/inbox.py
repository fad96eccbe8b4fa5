"""The inbox at work: events in, one turn per person at a time, answers out (the engine's
``Inbox`` port; the rows are ``bot.store.inbox``).

* ``accept(envelopes)`` stores them (a repeat of an event id is dropped) and returns; only
  then does the adapter acknowledge them to the platform. Each new event joins its person's
  lane (``ConversationRef.person``).
* A lane is one person's events, in order. One task per lane takes at most ONE of the
  ``max_concurrent`` slots, and gives it back after every event: a backlog in one chat never
  holds more than one slot, and other people's events take turns with it. A run of presses
  of the same button on the same message waiting in a lane is answered once: the first is
  handled, the repeats are marked done in its turn.
* Each event: in the person's turn (one transaction, ``Stores.turn``) the coach handles it
  and the row is marked handled with the replies to send (repeats done with it); then the
  replies are sent with the row's progress (each message recorded as soon as the platform
  took it). Rows whose replies are all delivered are marked done a few at a time, after
  the lane has moved on (a row left "handled" with every message recorded is a no-op for
  the next start: nothing is sent again). An answer the platform cannot take now (a 429
  longer than ``answer_wait``, the platform down) pauses the lane until it is due
  (``wake``, from the ticker): nothing else of that person's overtakes it. Retries go on
  until ``late_limit`` after the platform first failed to take them; then the replies are
  given up with the reason (an event is always handled and answered once, however late
  it comes: the late limit is for a platform that stays away).
* ``recover()`` queues everything a previous process left unfinished, in order, before
  anything new of the same person, and holds the lanes until ``start()`` (once the doors can
  send); ``stop(grace)`` starts no new turn, gives those in hand ``grace`` seconds and
  cancels the rest (their rows stay; the next start finishes them).

On a shared backend the same rows are claimed with a lease instead of in-memory lanes (the
oldest open row of a lane whose earlier rows are done): docs/DESIGN.md.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.clock import Clock
from bot.domain.events import Envelope, Press, Reply
from bot.domain.results import (
    Blocked,
    Failed,
    NotPermitted,
    RetryAfter,
    SendResult,
    Sent,
    Unreachable,
)
from bot.engine.ports import CoachPort, Sender
from bot.schedule.gate import PlatformGate
from bot.schedule.worker import LATE_LIMIT, NO_ADAPTER_RETRY, StoredProgress, backoff
from bot.store.stores import Stores

if TYPE_CHECKING:
    from bot.engine.ports import Inbox

log = logging.getLogger(__name__)

ANSWER_WAIT = 30.0  # seconds an answer may wait in place for a rate limit
PAUSE_AFTER_ERROR = timedelta(seconds=60)


@dataclass(slots=True)
class _Item:
    row_id: int
    envelope: Envelope
    received_at: datetime
    handled: bool = False
    replies: tuple[Reply, ...] = ()
    sent: tuple[str, ...] = ()
    attempts: int = 0
    failing_since: datetime | None = None  # the first time the platform could not take it


class Dispatcher:
    def __init__(
        self,
        stores: Stores,
        coach: CoachPort,
        clock: Clock,
        senders: Mapping[str, Sender] | None = None,
        *,
        gate: PlatformGate | None = None,
        max_concurrent: int = 64,
        answer_wait: float = ANSWER_WAIT,
        late_limit: timedelta = LATE_LIMIT,
    ) -> None:
        self.stores = stores
        self.inbox = stores.inbox
        self.coach = coach
        self.clock = clock
        self.senders: dict[str, Sender] = dict(senders or {})
        self.gate = gate or PlatformGate()
        self.answer_wait = answer_wait
        self.late_limit = late_limit
        self.max_concurrent = max_concurrent
        self.turns = 0  # turns handled by this process (repeats not counted)
        self.repeats = 0  # presses answered with an earlier identical one
        self._slots = asyncio.Semaphore(max_concurrent)
        self._lanes: dict[str, deque[_Item]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._paused: dict[str, datetime] = {}
        self._closing = False
        self._held = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._delivered: list[int] = []  # rows whose replies are all on the platform
        self._flushing: asyncio.Task[None] | None = None

    # ----- the port ------------------------------------------------------------------------

    async def accept(self, envelopes: Sequence[Envelope]) -> list[bool]:
        """Store the events (a repeat is dropped) and queue the new ones; see ``Inbox``."""
        if not envelopes:
            return []
        now = self.clock.now()
        ids = await self.inbox.add(list(envelopes), now)
        for envelope, row_id in zip(envelopes, ids, strict=True):
            if row_id is not None:
                self._push(_Item(row_id, envelope, now))
        return [row_id is not None for row_id in ids]

    # ----- lifecycle -----------------------------------------------------------------------

    async def recover(self) -> int:
        """Queue what a previous process left unfinished, oldest first, and hold the lanes
        until ``start()`` (call before the adapters receive anything); how many rows."""
        self._held = True
        rows = await self.inbox.open_rows()
        now = self.clock.now()
        for row in rows:
            self._push(_Item(
                row.id, row.envelope, row.received_at or now, row.status == "handled",
                row.replies, row.sent, row.attempts,
            ))
        if rows:
            log.info("inbox: %d event(s) left unfinished by the last run, taken up again",
                     len(rows))
        return len(rows)

    def start(self) -> None:
        """Let the lanes run (the doors can send now)."""
        self._held = False
        self._closing = False
        for lane in list(self._lanes):
            if lane not in self._paused:
                self._run(lane)

    async def stop(self, grace: float = 3.0) -> None:
        """No new turn; the turns and answers in hand get ``grace`` seconds, then they are
        cancelled (whatever is left stays in the inbox for the next start)."""
        self._closing = True
        tasks = list(self._tasks.values())
        if self._flushing is not None:
            tasks.append(self._flushing)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            log.info("inbox: %d lane(s) cut short at shutdown; finished at the next start",
                     len(pending))

    def wake(self, now: datetime) -> int:
        """Resume the lanes whose paused answer is due (called by the ticker)."""
        woken = 0
        for lane, until in list(self._paused.items()):
            if until <= now:
                del self._paused[lane]
                woken += self._run(lane)
        return woken

    def next_wake(self) -> datetime | None:
        return min(self._paused.values(), default=None)

    async def idle(self) -> None:
        """Until no lane is working (paused lanes wait for ``wake``) and every delivered
        row is marked done."""
        await self._idle.wait()
        while self._flushing is not None:
            await asyncio.shield(self._flushing)

    @property
    def waiting(self) -> int:
        """Events queued or paused in lanes."""
        return sum(len(queue) for queue in self._lanes.values())

    # ----- lanes ---------------------------------------------------------------------------

    def _push(self, item: _Item) -> None:
        lane = item.envelope.ref.person
        self._lanes.setdefault(lane, deque()).append(item)
        if lane not in self._paused:
            self._run(lane)

    def _run(self, lane: str) -> int:
        if self._closing or self._held or lane in self._tasks or not self._lanes.get(lane):
            return 0
        self._idle.clear()
        self._tasks[lane] = asyncio.create_task(self._lane(lane), name="kneecoach-inbox-lane")
        return 1

    async def _lane(self, lane: str) -> None:
        queue = self._lanes[lane]
        try:
            while queue and not self._closing:
                async with self._slots:
                    if self._closing or not queue:
                        break
                    try:
                        finished = await self._work(lane, queue)
                    except Exception as exc:  # a store error: try again later, never spin
                        log.error("inbox: an event could not be handled (%s); retrying in %d s",
                                  type(exc).__name__, PAUSE_AFTER_ERROR.seconds)
                        self._paused[lane] = self.clock.now() + PAUSE_AFTER_ERROR
                        finished = False
                    if not finished:
                        break
                    queue.popleft()
        finally:
            self._tasks.pop(lane, None)
            if not queue:
                self._lanes.pop(lane, None)
                self._paused.pop(lane, None)
            if not self._tasks:
                self._idle.set()

    async def _work(self, lane: str, queue: deque[_Item]) -> bool:
        """Handle (if not yet) and answer the head of ``queue``; False when it waits."""
        item = queue[0]
        if not item.handled:
            repeats = _repeats(item, queue)
            envelope = item.envelope
            now = self.clock.now()
            try:
                async with self.stores.turn(lane):
                    try:
                        replies = await self.coach.handle(envelope.ref, envelope.inbound)
                    except Exception as exc:
                        raise _CoachRaised(type(exc).__name__) from exc
                    to_send = await self.inbox.handled(
                        item.row_id, replies, now, [r.row_id for r in repeats]
                    )
            except _CoachRaised as raised:
                # The coach answers its own errors; one that raises anyway would raise
                # again: the event is dropped (its turn rolled back), the lane goes on.
                log.error("inbox: the coach raised %s; the event is dropped", raised)
                await self.inbox.done(item.row_id, now, f"failed: the coach raised {raised}")
                return True
            self.turns += 1
            self.repeats += len(repeats)
            for _ in repeats:  # done in the same transaction as the turn
                del queue[1]
            if not to_send:
                return True
            item.handled, item.replies = True, tuple(replies)
        return await self._answer(lane, item)

    async def _answer(self, lane: str, item: _Item) -> bool:
        envelope = item.envelope
        platform = envelope.platform
        now = self.clock.now()
        if item.failing_since is not None and now - item.failing_since > self.late_limit:
            log.warning("inbox: replies on %s given up after the late limit", platform)
            await self.inbox.done(item.row_id, now, "missed: the platform did not take them"
                                  f" within the late limit ({item.attempts} attempt(s))")
            return True
        sender = self.senders.get(platform)
        if sender is None:
            until = now + timedelta(seconds=NO_ADAPTER_RETRY)
            return await self._later(lane, item, until, "no adapter running")
        if not await self.gate.admit(platform, now):
            until = self.gate.next_probe(platform) or now + timedelta(seconds=5)
            return await self._later(lane, item, until, f"{platform} unreachable", count=False)

        async def keep(ids: list[str]) -> None:
            item.sent = tuple(ids)
            await self.inbox.record_sent(item.row_id, ids)

        progress = StoredProgress(item.sent, keep)
        try:
            result: SendResult = await sender.send(
                envelope.ref, item.replies, f"kc-in-{item.row_id}", progress=progress,
                answering=envelope.note, wait=self.answer_wait,
            )
        except Exception as exc:  # an adapter bug must not stop the lane for good
            log.error("inbox: answering raised %s", type(exc).__name__)
            result = RetryAfter(60.0, type(exc).__name__)
        now = self.clock.now()
        self.gate.settle(platform, result, now)
        if isinstance(result, Sent):
            self._delivered.append(item.row_id)
            if self._flushing is None:
                self._flushing = asyncio.create_task(self._flush(), name="kneecoach-inbox-done")
            return True
        if isinstance(result, Blocked | NotPermitted | Failed):
            if not isinstance(result, Blocked):
                log.warning("inbox: replies on %s not delivered: %s", platform,
                            result.reason[:200])
            kind = ("blocked" if isinstance(result, Blocked)
                    else "refused" if isinstance(result, NotPermitted) else "failed")
            await self.inbox.done(item.row_id, now, f"{kind}: {result.reason}"[:200])
            return True
        if isinstance(result, Unreachable):
            until = self.gate.next_probe(platform) or now + timedelta(seconds=result.seconds)
            return await self._later(lane, item, until, result.reason)
        wait = backoff(item.attempts + 1, result.seconds)
        return await self._later(lane, item, now + timedelta(seconds=wait), result.reason)

    async def _flush(self) -> None:
        """Mark the delivered rows done, a batch per statement (a row that stays "handled"
        after an error here has every message recorded: the next start sends nothing)."""
        try:
            while self._delivered:
                rows, self._delivered = self._delivered, []
                await self.inbox.done_many(rows, self.clock.now())
        except Exception as exc:
            log.error("inbox: delivered rows could not be marked done (%s)",
                      type(exc).__name__)
        finally:
            self._flushing = None

    async def _later(
        self, lane: str, item: _Item, until: datetime, detail: str, *, count: bool = True
    ) -> bool:
        item.attempts += int(count)
        if item.failing_since is None:
            item.failing_since = self.clock.now()
        await self.inbox.retry(item.row_id, item.attempts, until, detail[:200])
        self._paused[lane] = until
        return False


class _CoachRaised(Exception):
    """``CoachPort.handle`` raised (it should answer errors itself)."""


def _repeats(item: _Item, queue: deque[_Item]) -> list[_Item]:
    """The presses right behind ``item`` that press the same button on the same message."""
    envelope = item.envelope
    if not isinstance(envelope.inbound, Press) or not envelope.origin:
        return []
    same: list[_Item] = []
    for other in itertools.islice(queue, 1, None):
        e = other.envelope
        if other.handled or (e.ref, e.inbound, e.origin) != (
            envelope.ref, envelope.inbound, envelope.origin
        ):
            break
        same.append(other)
    return same


if TYPE_CHECKING:  # the dispatcher is the engine's Inbox

    def _is_an_inbox(dispatcher: Dispatcher) -> Inbox:
        return dispatcher

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
  took it; the last message's record is the row marked done, one write instead of two).
  Shared mode: rows whose replies are all delivered are marked done a few at a time, after
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

Shared mode (PostgreSQL: several ``kneecoach run`` processes on one database; SQLite keeps
the in-memory lanes above). A lane runs in a process only while it holds the lane's lease
(``inbox_lanes``, ``lane_lease`` long, renewed at half time). The lane's task takes the
lease and reads the lane's open rows from the database in id order (rows another process
received included; one statement), works them as above, marks the delivered ones done and
reads again (one statement), and lets the lane go when nothing is left (then looks once
more: a row stored meanwhile by a process that could not take the lane is not stranded).
Each turn is fenced: it commits only if its row is still pending and the lane still this
process's (a frozen holder that wakes up after its lease was taken over rolls back). The
process that received an event takes its lane itself; one that cannot work it now (starting,
closing) announces it (NOTIFY) and the others try to take it. ``scan()`` (from ``wake``,
which the ticker calls, and from the dispatcher's own loop, so that a process without a
ticker scans too) renews this process's leases, resumes its paused lanes that are due, and
takes the lanes with open rows whose lease is absent or ran out (their holder died).
``recover()`` takes only lanes nobody holds; ``stop()`` lets this process's lanes go and
announces those with work left.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.clock import Clock
from bot.domain.events import Envelope, Press, Reply, platform_of
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
from bot.schedule.worker import LATE_LIMIT, NO_ADAPTER_RETRY, Nap, StoredProgress, backoff, rest
from bot.store.inbox import InboxRow, LaneLost
from bot.store.outbox import LEASE
from bot.store.stores import Stores

if TYPE_CHECKING:
    from bot.engine.ports import Inbox

log = logging.getLogger(__name__)

ANSWER_WAIT = 30.0  # seconds an answer may wait in place for a rate limit
PAUSE_AFTER_ERROR = timedelta(seconds=60)
# Shared mode: how long a lane is a process's without renewing (the outbox's lease, by
# default), and how often the dispatcher's own loop scans (at most a quarter of the lease).
LANE_LEASE = LEASE
SCAN_EVERY = 15.0


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

    @classmethod
    def of(cls, row: InboxRow, now: datetime) -> _Item:
        return cls(row.id, row.envelope, row.received_at or now, row.status == "handled",
                   row.replies, row.sent, row.attempts)


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
        shared: bool | None = None,
        lane_lease: timedelta = LANE_LEASE,
        scan_every: float = SCAN_EVERY,
        nap: Nap = rest,
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
        # Shared mode (see the module's docstring): on by default on PostgreSQL.
        self.shared = stores.db.dialect == "postgres" if shared is None else shared
        self.lane_lease = lane_lease
        self.scan_every = min(scan_every, lane_lease.total_seconds() / 4)
        self.scans = 0  # scans done (the loop's, ``wake``'s, ``scan()``'s)
        self._nap = nap
        self._leases: dict[str, datetime] = {}  # lanes this process holds, until when
        self._again: set[str] = set()  # lanes with new rows since their task last read
        self._undone: set[int] = set()  # delivered rows not marked done yet
        # each lane's delivered rows, marked done with its next read (one statement)
        self._done_in: dict[str, list[int]] = {}
        self._scanning: asyncio.Task[int] | None = None
        self._patrol: asyncio.Task[None] | None = None
        self._patrol_wake = asyncio.Event()
        self._unlisten: Callable[[], Awaitable[None]] | None = None

    # ----- the port ------------------------------------------------------------------------

    async def accept(self, envelopes: Sequence[Envelope]) -> list[bool]:
        """Store the events (a repeat is dropped) and queue the new ones; see ``Inbox``."""
        if not envelopes:
            return []
        now = self.clock.now()
        ids = await self.inbox.add(list(envelopes), now)
        if self.shared:
            lanes = list(dict.fromkeys(e.ref.person for e, row_id in zip(envelopes, ids,
                                                                          strict=True)
                                       if row_id is not None))
            if lanes and (self._held or self._closing or self._unlisten is not None):
                # Every listening process hears of the new lanes, this one too, and tries
                # to take them: the least busy answers first (the one that polls Telegram
                # does not keep every person to itself); not working now, the others do.
                await self._announce(lanes)
            else:
                for lane in lanes:
                    self._run(lane)
            return [row_id is not None for row_id in ids]
        for envelope, row_id in zip(envelopes, ids, strict=True):
            if row_id is not None:
                self._push(_Item(row_id, envelope, now))
        return [row_id is not None for row_id in ids]

    # ----- lifecycle -----------------------------------------------------------------------

    async def recover(self) -> int:
        """Queue what a previous process left unfinished, oldest first, and hold the lanes
        until ``start()`` (call before the adapters receive anything); how many rows."""
        self._held = True
        if self.shared:
            return await self._recover_lanes()
        rows = await self.inbox.open_rows()
        now = self.clock.now()
        for row in rows:
            self._push(_Item.of(row, now))
        if rows:
            log.info("inbox: %d event(s) left unfinished by the last run, taken up again",
                     len(rows))
        return len(rows)

    def start(self) -> None:
        """Let the lanes run (the doors can send now). Shared mode: and listen for other
        processes' announcements, scan at once (rows stored while the lanes were held),
        then every ``scan_every`` seconds."""
        self._held = False
        self._closing = False
        for lane in list(self._lanes):
            if lane not in self._paused:
                self._run(lane)
        if self.shared:
            self._kick_scan()
            if self._patrol is None:
                self._patrol = asyncio.create_task(self._patrolling(),
                                                   name="kneecoach-inbox-scan")

    async def stop(self, grace: float = 3.0) -> None:
        """No new turn; the turns and answers in hand get ``grace`` seconds, then they are
        cancelled (whatever is left stays in the inbox for the next start)."""
        self._closing = True
        if self.shared:
            await self._stop_listening()
        tasks: list[asyncio.Task[Any]] = list(self._tasks.values())
        for task in (self._flushing, self._scanning):
            if task is not None:
                tasks.append(task)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
                log.info("inbox: %d lane(s) cut short at shutdown; finished at the next start",
                         len(pending))
        if self.shared:
            await self._let_all_go()

    def wake(self, now: datetime) -> int:
        """Resume the lanes whose paused answer is due (called by the ticker); shared mode:
        and start a scan (``scan``) in the background. How many lanes were resumed."""
        woken = self._resume(now)
        if self.shared:
            self._kick_scan()
        return woken

    def _resume(self, now: datetime) -> int:
        woken = 0
        for lane, until in list(self._paused.items()):
            if until <= now:
                del self._paused[lane]
                woken += self._run(lane)
        return woken

    def next_wake(self) -> datetime | None:
        return min(self._paused.values(), default=None)

    async def idle(self) -> None:
        """Until no lane is working (paused lanes wait for ``wake``), no scan is under way
        and every delivered row is marked done."""
        while True:
            await self._idle.wait()
            busy = self._scanning or self._flushing
            if busy is None:
                if self._idle.is_set():
                    return
                continue
            await asyncio.wait([busy])

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
        if self.shared:
            if self._closing or self._held:
                return 0
            if lane in self._tasks:
                self._again.add(lane)  # its task reads the lane again before letting go
                return 0
            if lane in self._paused:
                return 0
            work = self._shared_lane(lane)
        else:
            if self._closing or self._held or lane in self._tasks or not self._lanes.get(lane):
                return 0
            work = self._lane(lane)
        self._idle.clear()
        self._tasks[lane] = asyncio.create_task(work, name="kneecoach-inbox-lane")
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
                        item.row_id, replies, now, [r.row_id for r in repeats],
                        fenced=self.shared,
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

        async def end(ids: list[str]) -> None:
            item.sent = tuple(ids)
            await self.inbox.done(item.row_id, self.clock.now(), None, urgent=True)

        # On one process the record of the last message is the row marked done (one write,
        # not two). Across processes a lane marks its rows done with its next read, so
        # there every message is recorded as it comes.
        progress = StoredProgress(item.sent, keep, None if self.shared else end)
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
        if progress.ended:  # every message is on the platform and the row done
            return True
        if isinstance(result, Sent):
            if self.shared:  # (marked done with the lane's next read)
                self._undone.add(item.row_id)
                self._done_in.setdefault(lane, []).append(item.row_id)
                return True
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
        rows: list[int] = []
        try:
            while self._delivered:
                rows, self._delivered = self._delivered, []
                await self.inbox.done_many(rows, self.clock.now())
                self._undone.difference_update(rows)
        except Exception as exc:
            log.error("inbox: delivered rows could not be marked done (%s)",
                      type(exc).__name__)
            # (left "handled" with every message recorded: answering them again sends
            # nothing, whichever process reads them next)
            self._undone.difference_update(rows)
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
        self._patrol_wake.set()  # (shared mode: the loop resumes it when it is due)
        return False

    # ----- shared mode: lanes leased across processes ---------------------------------------

    async def _shared_lane(self, lane: str) -> None:
        """Work ``lane`` while this process holds its lease: take it and read its open rows,
        work them, mark them done and read again; let it go when nothing is left."""
        queue = self._lanes.setdefault(lane, deque())
        try:
            while not self._closing:
                self._again.discard(lane)
                if lane not in self._leases:
                    if not await self._take_and_read(lane, queue):
                        return  # another process holds it: its task reads the new rows
                elif not queue:
                    await self._done_and_read(lane, queue)
                    if not queue and lane not in self._paused:
                        # Worked through: let it go unless rows came meanwhile (rows an
                        # earlier task of it delivered are marked done first: no statement
                        # when there are none).
                        await self._settle()
                        released = await self.inbox.release_lane(lane)
                        if released == "lost":
                            self._lost(lane)
                            return
                        if released == "kept":
                            continue  # (rows came: read again)
                        self._leases.pop(lane, None)
                        if released == "gone" and lane not in self._again:
                            return
                        continue  # stored while it was let go: take it again
                if lane in self._paused:
                    return  # its head waits for a retry that is not due yet
                while queue and not self._closing:
                    if not await self._keep(lane):
                        return
                    async with self._slots:
                        if self._closing or not queue:
                            break
                        try:
                            finished = await self._work(lane, queue)
                        except LaneLost:
                            log.warning("inbox: a lane was taken over by another process")
                            self._lost(lane)
                            return
                        except Exception as exc:  # a store error: try again later
                            log.error("inbox: an event could not be handled (%s); retrying in"
                                      " %d s", type(exc).__name__, PAUSE_AFTER_ERROR.seconds)
                            self._paused[lane] = self.clock.now() + PAUSE_AFTER_ERROR
                            self._patrol_wake.set()
                            return
                        if not finished:
                            return
                        queue.popleft()
        except Exception as exc:  # taking, reading or letting go failed: the scan retries
            log.error("inbox: a lane could not be taken or read (%s)", type(exc).__name__)
            if lane in self._leases:
                self._paused[lane] = self.clock.now() + PAUSE_AFTER_ERROR
                self._patrol_wake.set()
        finally:
            self._tasks.pop(lane, None)
            self._hand_over_done(lane)
            if not queue and lane not in self._paused:
                self._lanes.pop(lane, None)
            if not self._tasks:
                self._idle.set()

    async def _take_and_read(self, lane: str, queue: deque[_Item]) -> bool:
        """Take ``lane`` and queue its open rows; False when another process holds it."""
        now = self.clock.now()
        until = now + self.lane_lease
        rows = await self.inbox.take_lane_rows(lane, now, until)
        if rows is None:
            return False
        self._leases[lane] = until
        queue.extend(self._items(lane, rows, now))
        return True

    async def _done_and_read(self, lane: str, queue: deque[_Item]) -> None:
        """Mark the lane's delivered rows done and queue its open rows (one statement)."""
        done = self._done_in.get(lane, [])
        now = self.clock.now()
        rows = await self.inbox.done_and_read(lane, done, now)
        if done:
            self._done_in.pop(lane, None)
            self._undone.difference_update(done)
        queue.extend(self._items(lane, rows, now))

    def _hand_over_done(self, lane: str) -> None:
        """A lane task ending with delivered rows not marked done yet (paused, lost,
        stopped): they are marked in the background, as outside shared mode."""
        done = self._done_in.pop(lane, None)
        if done:
            self._delivered.extend(done)
            if self._flushing is None and not self._closing:
                self._flushing = asyncio.create_task(self._flush(), name="kneecoach-inbox-done")

    def _items(self, lane: str, rows: Sequence[InboxRow], now: datetime) -> list[_Item]:
        """``rows`` as queue items (those delivered here and not marked done yet left
        out); a head waiting for a retry pauses the lane until it is due."""
        rows = [row for row in rows if row.id not in self._undone]
        if rows:
            head = rows[0]
            due = head.next_attempt
            if head.status == "handled" and head.attempts and due is not None and due > now:
                self._paused[lane] = due
                self._patrol_wake.set()
        return [_Item.of(row, now) for row in rows]

    async def _keep(self, lane: str) -> bool:
        """The lane's lease, renewed once half of it is gone; False when it was lost."""
        until = self._leases.get(lane)
        if until is None:
            return False
        now = self.clock.now()
        if until - now > self.lane_lease / 2:
            return True
        if lane in await self.inbox.renew_lanes([lane], now + self.lane_lease):
            self._leases[lane] = now + self.lane_lease
            return True
        log.warning("inbox: a lane's lease ran out and another process took it")
        self._lost(lane)
        return False

    def _lost(self, lane: str) -> None:
        """Another process has ``lane`` now: forget what was queued of it here."""
        self._leases.pop(lane, None)
        self._paused.pop(lane, None)
        queue = self._lanes.get(lane)
        if queue is not None:
            queue.clear()

    async def _settle(self) -> None:
        """Every delivered row marked done (before a lane is let go: the next holder must
        not find them "handled")."""
        while self._delivered or self._flushing is not None:
            if self._flushing is None:
                self._flushing = asyncio.create_task(self._flush(), name="kneecoach-inbox-done")
            await asyncio.wait([self._flushing])

    async def _recover_lanes(self) -> int:
        """Shared mode's ``recover``: the lanes with open rows that nobody holds (or whose
        holder's lease ran out), taken and read; held until ``start()``."""
        now = self.clock.now()
        count = 0
        for lane in await self.inbox.stranded_lanes(now):
            if lane in self._leases or not self._answers(lane):
                continue
            queue = self._lanes.setdefault(lane, deque())
            before = len(queue)
            taken = await self._take_and_read(lane, queue)
            count += len(queue) - before
            if not queue:
                self._lanes.pop(lane, None)
                if taken:  # (finished meanwhile; any row stored just then: the first scan)
                    if await self.inbox.release_lane(lane) != "kept":
                        self._leases.pop(lane, None)
        if count:
            log.info("inbox: %d event(s) nobody was working on, taken up", count)
        return count

    async def scan(self) -> int:
        """Shared mode, now and then: renew this process's leases, resume its paused lanes
        that are due, and take up the lanes with open rows whose lease is absent or ran out
        (a dead holder's, a lost announcement's). How many lanes it started."""
        if not self.shared or self._closing:
            return 0
        self.scans += 1
        now = self.clock.now()
        await self._renew(now)
        started = self._resume(now)
        if self._held:
            return started
        for lane in await self.inbox.stranded_lanes(now):
            if lane not in self._tasks and lane not in self._paused and self._answers(lane):
                started += self._run(lane)
        await self.inbox.forget_lanes(now)
        return started

    async def _renew(self, now: datetime) -> None:
        due = [lane for lane, until in self._leases.items()
               if until - now <= self.lane_lease / 2]
        if not due:
            return
        until = now + self.lane_lease
        kept = await self.inbox.renew_lanes(due, until)
        for lane in due:
            if lane in kept:
                self._leases[lane] = until
            elif lane not in self._tasks:  # (a running task finds out at its next event)
                log.warning("inbox: a lane's lease ran out and another process took it")
                self._lost(lane)
                if not self._lanes.get(lane):
                    self._lanes.pop(lane, None)

    def _kick_scan(self) -> None:
        """A scan in the background, unless one is under way."""
        if self._scanning is None and not self._closing:
            self._idle.clear()
            self._scanning = asyncio.create_task(self._scan_once(),
                                                 name="kneecoach-inbox-scan-once")

    async def _scan_once(self) -> int:
        try:
            return await self.scan()
        except Exception as exc:
            log.error("inbox: the scan for lanes nobody works failed (%s)",
                      type(exc).__name__)
            return 0
        finally:
            self._scanning = None
            if not self._tasks:
                self._idle.set()

    async def _patrolling(self) -> None:
        """The dispatcher's own loop (a process without a ticker scans too): listen for
        announcements, then scan every ``scan_every`` seconds, or when a paused lane is
        due."""
        try:
            self._unlisten = await self.inbox.listen(self._heard)
        except Exception as exc:
            log.error("inbox: not listening for new rows (%s); scanning only",
                      type(exc).__name__)
        while not self._closing:
            due = self.next_wake()
            seconds = self.scan_every
            if due is not None:
                seconds = max(0.0, min(seconds, (due - self.clock.now()).total_seconds()))
            await self._nap(self._patrol_wake, seconds)
            self._patrol_wake.clear()
            if self._closing:
                break
            if self._scanning is None:
                self._kick_scan()
            scanning = self._scanning
            if scanning is not None:
                await asyncio.wait([scanning])

    def _heard(self, lanes: list[str]) -> None:
        """Another process stored rows it does not work itself: try to take their lanes."""
        for lane in lanes:
            if self._answers(lane):
                self._run(lane)

    def _answers(self, lane: str) -> bool:
        """This process can send on the lane's platform ('<platform>:<user id>'): a door
        only the leader opens (Discord's gateway) leaves its people to the leader."""
        return platform_of(lane) in self.senders

    async def _announce(self, lanes: Sequence[str]) -> None:
        try:
            await self.inbox.announce(lanes)
        except Exception as exc:  # the rows are kept: worked here, or found by the scan
            log.error("inbox: new rows could not be announced (%s)", type(exc).__name__)
            for lane in lanes:
                self._run(lane)

    async def _stop_listening(self) -> None:
        if self._patrol is not None:
            self._patrol.cancel()
            await asyncio.gather(self._patrol, return_exceptions=True)
            self._patrol = None
        if self._unlisten is not None:
            unlisten, self._unlisten = self._unlisten, None
            with contextlib.suppress(Exception):
                await unlisten()

    async def _let_all_go(self) -> None:
        """Closing: every lane of this process let go (the others take those with work left
        at once, told so; the others' leases would run out otherwise)."""
        left = [lane for lane in self._leases if self._lanes.get(lane)]
        try:
            await self._settle()
            # (all of this process's, by its name: a take cut short may have gone through)
            await self.inbox.release_lanes()
        except Exception as exc:
            log.error("inbox: the lanes could not be let go (%s); their leases run out",
                      type(exc).__name__)
            return
        finally:
            self._leases.clear()
            self._paused.clear()
            self._lanes.clear()
        if left:
            await self._announce(left)


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

"""The delivery worker: drains the outbox through each platform's Sender.

Per row: compose it once (the coach decides what it says; what it composed is kept on the
row, so a retry or a restart sends the very same messages), send it with a stable
idempotency key and the row's progress (the ids of its messages the platform already has:
each is recorded as soon as the platform accepted it, before the next is sent), and record
what the platform answered:
sent -> done; retry after N s -> later, with backoff (capped at ``MAX_BACKOFF``);
unreachable -> the platform's gate closes (one probe at a time until it answers again,
``bot.schedule.gate``) and the row waits, not charged an attempt; blocked -> the person is
marked inactive and gets nothing more (a club whose channel blocks the bot is switched
off); not permitted (the bot may not post there) -> recorded as 'refused'; failed -> recorded.
The coach is told how each row ended (``Composer.settle``: the club feature counts refusals
and tells its admin). Retries go on until the row is
more than ``late_limit`` past its due time: then it is recorded as missed, with the reason
(nobody wants yesterday's reminder at night). Rows that fall due while the worker drains
(the admin's notice) go out in the same drain.

After a crash a row is sent again from its first unrecorded message: the messages before
it are not repeated; the one in flight may be (Telegram has no idempotency key; Discord
drops it by its nonce). docs/DESIGN.md, "Nothing lost, nothing doubled".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.clock import Clock
from bot.domain.results import (
    Blocked,
    Failed,
    NotPermitted,
    RetryAfter,
    SendResult,
    Sent,
    Unreachable,
)
from bot.engine.ports import Composer, Sender
from bot.schedule.gate import PlatformGate
from bot.store.outbox import OutboxRow
from bot.store.stores import Stores

log = logging.getLogger(__name__)

LATE_LIMIT = timedelta(hours=3)
MAX_BACKOFF = 60.0  # seconds between two tries of one row, at most (unless told longer)
NO_ADAPTER_RETRY = 300.0

# How a loop rests: until ``wake`` is set or ``seconds`` have passed (``rest`` in production;
# tests pass one that waits for ``wake`` only and move the fake clock themselves).
Nap = Callable[[asyncio.Event, float], Awaitable[None]]


async def rest(wake: asyncio.Event, seconds: float) -> None:
    """Wait until ``wake`` is set or ``seconds`` have passed on the wall clock."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=seconds)


def backoff(attempts: int, asked: float) -> float:
    """Seconds until the next try: what the platform asked for, and at least 2^attempts
    (capped), so nothing spins."""
    return max(asked, min(2.0 ** max(attempts, 0), MAX_BACKOFF))


class StoredProgress:
    """A delivery's progress, written through to its row (``keep``) message by message.
    With ``end``, the record of the delivery's last message is the row's end instead (one
    write, not two: ``end`` marks the row done); ``ended`` says it was."""

    def __init__(
        self, sent: Sequence[str], keep: Callable[[list[str]], Awaitable[None]],
        end: Callable[[list[str]], Awaitable[None]] | None = None,
    ) -> None:
        self._sent = list(sent)
        self._keep = keep
        self._end = end
        self.ended = False

    @property
    def sent(self) -> Sequence[str]:
        return self._sent

    async def record(self, message_id: str, *, last: bool = False) -> None:
        self._sent.append(message_id)
        if last and self._end is not None:
            await self._end(list(self._sent))
            self.ended = True
            return
        await self._keep(list(self._sent))


@dataclass(slots=True)
class DrainStats:
    sent: int = 0
    retried: int = 0
    blocked: int = 0
    refused: int = 0
    failed: int = 0
    missed: int = 0
    skipped: int = 0
    waiting: int = 0  # rows held back while their platform is down
    details: list[str] = field(default_factory=list)
    late: list[float] = field(default_factory=list)  # seconds after due, of each row sent

    def add(self, other: DrainStats) -> None:
        """Count ``other`` in (the delivery loop's running totals; ``late`` is not kept)."""
        self.sent += other.sent
        self.retried += other.retried
        self.blocked += other.blocked
        self.refused += other.refused
        self.failed += other.failed
        self.missed += other.missed
        self.skipped += other.skipped
        self.waiting += other.waiting


class DeliveryWorker:
    def __init__(
        self,
        stores: Stores,
        composer: Composer,
        senders: Mapping[str, Sender],
        clock: Clock,
        late_limit: timedelta = LATE_LIMIT,
        concurrency: int = 16,
        gate: PlatformGate | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.outbox = stores.outbox
        self.clubs = stores.clubs
        self.composer = composer
        self.senders = dict(senders)
        self.clock = clock
        self.late_limit = late_limit
        self.gate = gate or PlatformGate()
        self.stopping = False
        self.wake = asyncio.Event()  # set to end the loop's rest early
        self.idle = asyncio.Event()  # set while the loop rests (nothing due)
        self.total = DrainStats()

    async def drain(self, batch: int = 500) -> DrainStats:
        """Deliver everything due, earliest due first, until nothing more is due. Different
        targets are served concurrently (at most ``concurrency`` at once), so one slow or
        rate-limited chat never holds up the rest; one target's rows stay in order. Rows are
        fed to free slots as they free up (no batch waits for its slowest row). Stops
        starting new rows once ``stopping`` is set."""
        stats = DrainStats()
        seen: set[int] = set()  # each row at most once a drain
        queued: dict[str, list[OutboxRow]] = {}  # targets being served -> their next rows
        slots = asyncio.Semaphore(self.concurrency)
        freed = asyncio.Event()

        async def serve(row: OutboxRow) -> None:
            try:
                current: OutboxRow | None = row
                while current is not None and not self.stopping:
                    await self._deliver_one(current, self.clock.now(), stats)
                    waiting = queued[row.target]
                    current = waiting.pop(0) if waiting else None
            finally:
                del queued[row.target]
                slots.release()
                freed.set()

        async with asyncio.TaskGroup() as group:
            while not self.stopping:
                now = self.clock.now()
                for platform, until in self.gate.closed_platforms().items():
                    if until > now:
                        stats.waiting += await self.outbox.postpone(platform, until, now)
                busy = sum(1 + len(waiting) for waiting in queued.values())  # in hand
                rows = [
                    row
                    for row in await self.outbox.due(now, batch + busy)
                    if row.id not in seen
                ][:batch]
                if not rows:
                    if not queued:
                        break
                    freed.clear()
                    await freed.wait()  # a row ended: it may have queued another (a notice)
                    continue
                for row in rows:
                    seen.add(row.id)
                    if row.target in queued:
                        queued[row.target].append(row)
                        continue
                    await slots.acquire()
                    if self.stopping:
                        slots.release()
                        break
                    queued[row.target] = []
                    group.create_task(serve(row))
        return stats

    def nudge(self) -> None:
        """Wake the delivery loop now (rows were claimed or added)."""
        self.idle.clear()
        self.wake.set()

    async def run(
        self,
        nap: Nap,
        drained: Callable[[DrainStats], None] | None = None,
        failed: Callable[[], None] | None = None,
        max_nap: float = 60.0,
    ) -> None:
        """The delivery loop: drain what is due, then rest until the next row falls due, or
        until woken (``wake``: the sweep claimed rows, a tick), whichever comes first.
        ``drained`` is told what each pass did, ``failed`` when one raised."""
        while not self.stopping:
            self.wake.clear()
            try:
                stats = await self.drain()
                self.total.add(stats)
                if drained is not None:
                    drained(stats)
            except asyncio.CancelledError:
                raise
            except Exception:
                if failed is not None:
                    failed()
                log.exception("the delivery loop failed; it goes on")
            if self.stopping:
                return
            now = self.clock.now()
            upcoming = await self.outbox.next_pending_after(now)
            rest = max_nap if upcoming is None else (upcoming - now).total_seconds()
            self.idle.set()
            try:
                await nap(self.wake, min(max(rest, 0.0), max_nap))
            finally:
                self.idle.clear()

    async def _deliver_one(self, r: OutboxRow, now: datetime, stats: DrainStats) -> None:
        outbox_id = r.id
        if now - r.due_at > self.late_limit:
            reason = f"missed: not sent within {_span(self.late_limit)} of its time"
            await self.outbox.finish(outbox_id, "missed", now, _with_last(reason, r))
            stats.missed += 1
            return
        composed = r.composed()
        if composed is None:
            delivery = await self.composer.compose(r.target, r.kind, r.local_date)
            if delivery is None or not delivery.replies:
                await self.outbox.finish(outbox_id, "failed", now, "nothing to send")
                stats.skipped += 1
                return
            composed = (delivery.ref, list(delivery.replies))
            await self.outbox.keep(outbox_id, *composed)
        ref, replies = composed
        platform = ref.platform
        sender = self.senders.get(platform)
        if sender is None:
            await self._retry(r, now, NO_ADAPTER_RETRY, "no adapter running")
            stats.retried += 1
            return
        if not await self.gate.admit(platform, now):
            until = self.gate.next_probe(platform) or now + timedelta(seconds=MAX_BACKOFF)
            await self.outbox.postpone(platform, until, now)
            stats.waiting += 1
            return
        progress = StoredProgress(r.sent, lambda ids: self.outbox.record_sent(outbox_id, ids))
        try:
            result: SendResult = await sender.send(
                ref, replies, f"kc-ob-{outbox_id}", progress=progress
            )
        except Exception as exc:  # an adapter bug must not stop everyone else's reminders
            log.error("sending outbox row %s raised %s", outbox_id, type(exc).__name__)
            result = RetryAfter(60.0, type(exc).__name__)
        now = self.clock.now()  # when the platform answered: what people saw
        self.gate.settle(platform, result, now)
        if isinstance(result, Sent):
            await self.outbox.finish(outbox_id, "sent", now, None)
            stats.late.append(max(0.0, (now - r.due_at).total_seconds()))
            stats.sent += 1
        elif isinstance(result, Unreachable):
            until = self.gate.next_probe(platform) or now + timedelta(seconds=result.seconds)
            await self.outbox.retry(outbox_id, r.attempts + 1, until, result.reason[:200])
            stats.retried += 1
        elif isinstance(result, RetryAfter):
            await self._retry(r, now, result.seconds, result.reason)
            stats.retried += 1
        elif isinstance(result, Blocked):
            await self.outbox.finish(outbox_id, "blocked", now, result.reason[:200])
            if r.user_id is not None:
                await self.outbox.block_person(r.user_id)
            elif r.club_id is not None and ref.shared:  # not a note to its admin
                await self.clubs.deactivate(r.club_id)
            stats.blocked += 1
        elif isinstance(result, NotPermitted):
            log.warning("outbox row %s: the bot may not post there: %s", outbox_id,
                        result.reason[:200])
            await self.outbox.finish(outbox_id, "refused", now, result.reason[:200])
            stats.refused += 1
        elif isinstance(result, Failed):
            log.warning("delivery of outbox row %s failed: %s", outbox_id, result.reason[:200])
            await self.outbox.finish(outbox_id, "failed", now, result.reason[:200])
            stats.failed += 1
        if not isinstance(result, RetryAfter | Unreachable):  # the row has ended
            await self.composer.settle(r.target, r.kind, r.local_date, result)

    async def _retry(self, r: OutboxRow, now: datetime, seconds: float, reason: str) -> None:
        attempts = r.attempts + 1
        wait = backoff(attempts, seconds)
        await self.outbox.retry(r.id, attempts, now + timedelta(seconds=wait), reason[:200])


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def _with_last(reason: str, r: OutboxRow) -> str:
    """The reason a row is missed, with the last thing that held it up, if anything did."""
    if r.attempts == 0:
        return reason
    return f"{reason} ({r.attempts} attempt(s); last: {r.detail or 'no answer'})"[:200]

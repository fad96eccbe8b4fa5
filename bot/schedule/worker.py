"""The delivery worker: drains the outbox through each platform's Sender.

Per row: build the messages (the coach decides what they say), mark the row 'sending', send
with a stable idempotency key, and record what the platform answered:
sent -> done; retry after N s -> back to pending with backoff; blocked -> the person is marked
inactive and gets nothing more (a club whose channel blocks the bot is switched off); not
permitted (the bot may not post there) -> recorded as 'refused' and the delivery's
``on_refused`` is told (the club feature tells its admin); failed -> recorded. A row more
than ``late_limit`` past its due time is recorded as missed instead of waking someone at
night. Rows that fall due while the worker drains (the admin's notice) go out in the same
drain.

A row left in 'sending' by a crash is sent again with the SAME idempotency key, so a platform
that honours it (Discord's nonce) drops the duplicate; we prefer a rare duplicate on a
platform without one over a lost reminder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.clock import Clock
from bot.domain.results import Blocked, Failed, NotPermitted, RetryAfter, SendResult, Sent
from bot.engine.ports import Composer, Sender
from bot.store.outbox import OutboxRow
from bot.store.stores import Stores

log = logging.getLogger(__name__)

LATE_LIMIT = timedelta(hours=3)
MAX_ATTEMPTS = 8


@dataclass(slots=True)
class DrainStats:
    sent: int = 0
    retried: int = 0
    blocked: int = 0
    refused: int = 0
    failed: int = 0
    missed: int = 0
    skipped: int = 0
    details: list[str] = field(default_factory=list)
    late: list[float] = field(default_factory=list)  # seconds after due, of each row sent


class DeliveryWorker:
    def __init__(
        self,
        stores: Stores,
        composer: Composer,
        senders: Mapping[str, Sender],
        clock: Clock,
        late_limit: timedelta = LATE_LIMIT,
        concurrency: int = 16,
    ) -> None:
        self.concurrency = concurrency
        self.outbox = stores.outbox
        self.clubs = stores.clubs
        self.composer = composer
        self.senders = dict(senders)
        self.clock = clock
        self.late_limit = late_limit

    async def drain(self, batch: int = 500) -> DrainStats:
        """Deliver everything due. Different people are served concurrently (bounded), so
        one slow or rate-limited chat never holds up the rest; one person's rows stay in
        order."""
        stats = DrainStats()
        seen: set[int] = set()  # each row at most once a drain
        while True:
            now = self.clock.now()
            rows = [row for row in await self.outbox.due(now, batch) if row.id not in seen]
            if not rows:
                return stats
            seen.update(row.id for row in rows)
            by_target: dict[str, list[OutboxRow]] = {}
            for row in rows:
                by_target.setdefault(row.target, []).append(row)
            gate = asyncio.Semaphore(self.concurrency)
            async with asyncio.TaskGroup() as group:
                for queue in by_target.values():
                    group.create_task(self._serve(queue, gate, now, stats))

    async def _serve(
        self, queue: list[OutboxRow], gate: asyncio.Semaphore, now: datetime,
        stats: DrainStats,
    ) -> None:
        async with gate:
            for row in queue:
                await self._deliver_one(row, now, stats)

    async def _deliver_one(self, r: OutboxRow, now: datetime, stats: DrainStats) -> None:
        outbox_id = r.id
        if now - r.due_at > self.late_limit:
            await self._finish(outbox_id, "missed", now, "more than the late limit after due")
            stats.missed += 1
            return
        delivery = await self.composer.compose(r.target, r.kind, r.local_date)
        if delivery is None or not delivery.replies:
            await self._finish(outbox_id, "failed", now, "nothing to send")
            stats.skipped += 1
            return
        sender = self.senders.get(delivery.ref.platform)
        if sender is None:
            await self._retry(outbox_id, r.attempts, now, 300.0, "no adapter running")
            stats.retried += 1
            return
        await self.outbox.mark_sending(outbox_id)
        try:
            result: SendResult = await sender.send(
                delivery.ref, delivery.replies, f"kc-ob-{outbox_id}"
            )
        except Exception as exc:  # an adapter bug must not stop everyone else's reminders
            log.error("sending outbox row %s raised %s", outbox_id, type(exc).__name__)
            result = RetryAfter(60.0, type(exc).__name__)
        if isinstance(result, Sent):
            await self._finish(outbox_id, "sent", now, None)
            stats.late.append(max(0.0, (self.clock.now() - r.due_at).total_seconds()))
            if delivery.on_sent is not None:
                await delivery.on_sent(result.message_ids)
            stats.sent += 1
        elif isinstance(result, RetryAfter):
            attempts = r.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await self._finish(outbox_id, "failed", now, "too many retries")
                stats.failed += 1
            else:
                await self._retry(outbox_id, attempts, now, result.seconds, result.reason)
                stats.retried += 1
        elif isinstance(result, Blocked):
            await self._finish(outbox_id, "blocked", now, result.reason[:200])
            if r.user_id is not None:
                await self.outbox.block_person(r.user_id)
            elif r.club_id is not None and delivery.ref.shared:  # not a note to its admin
                await self.clubs.deactivate(r.club_id)
            stats.blocked += 1
        elif isinstance(result, NotPermitted):
            log.warning("outbox row %s: the bot may not post there: %s", outbox_id,
                        result.reason[:200])
            await self._finish(outbox_id, "refused", now, result.reason[:200])
            if delivery.on_refused is not None:
                await delivery.on_refused()
            stats.refused += 1
        elif isinstance(result, Failed):
            log.warning("delivery of outbox row %s failed: %s", outbox_id, result.reason[:200])
            await self._finish(outbox_id, "failed", now, result.reason[:200])
            stats.failed += 1

    async def _retry(
        self, outbox_id: int, attempts: int, now: datetime, seconds: float, reason: str
    ) -> None:
        backoff = max(seconds, min(2.0**attempts, 600.0))
        await self.outbox.retry(
            outbox_id, attempts, now + timedelta(seconds=backoff), reason[:200]
        )

    async def _finish(
        self, outbox_id: int, status: str, now: datetime, detail: str | None
    ) -> None:
        await self.outbox.finish(outbox_id, status, now, detail)

"""A whole little world for scheduling tests: coach, fake clock, a recording platform, the
ticker, and helpers to enrol runners through the real intake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.clock import FakeClock
from bot.domain.events import ConversationRef, Reply
from bot.domain.readiness import Readiness
from bot.domain.results import Blocked, NotPermitted, RetryAfter, SendResult, Sent, Unreachable
from bot.engine.coach import Coach
from bot.engine.ports import Progress
from bot.schedule.gate import PlatformGate
from bot.schedule.simulate import advance
from bot.schedule.ticker import Ticker
from bot.schedule.worker import DeliveryWorker
from tests.support.client import CoachClient, enrol


class ProcessDied(BaseException):
    """Stands for the process being killed: not an error any code could catch."""


@dataclass
class Delivered:
    ref: ConversationRef
    replies: list[Reply]
    key: str
    at: datetime


@dataclass
class RecordingPlatform:
    """A fake platform. Like Discord's nonce, a repeated idempotency key is not re-posted."""

    clock: FakeClock
    platform: str = "console"
    delivered: list[Delivered] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    # chat ids where the bot may not post (a server channel's permissions)
    not_permitted: set[str] = field(default_factory=set)
    retry_once: dict[str, float] = field(default_factory=dict)
    crash_after_send: bool = False
    broken_once: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)  # user ids whose platform does not answer
    crash_after_parts: int | None = None  # die after recording this many parts of a send
    parts: list[tuple[str, int]] = field(default_factory=list)  # (key, part) delivered
    calls: list[str] = field(default_factory=list)
    # user id -> the test client's history, so proactive messages can be pressed
    inboxes: dict[str, list[Reply]] = field(default_factory=dict)

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        idempotency_key: str,
        *,
        progress: Progress | None = None,
        answering: str = "",
        wait: float = 0.0,
    ) -> SendResult:
        self.calls.append(idempotency_key)
        if ref.user_id in self.broken_once:
            self.broken_once.discard(ref.user_id)
            raise RuntimeError("an adapter bug")
        if ref.user_id in self.blocked:
            return Blocked("bot was blocked by the user")
        if ref.chat_id in self.not_permitted:
            return NotPermitted("missing permissions")
        if ref.user_id in self.retry_once:
            return RetryAfter(self.retry_once.pop(ref.user_id), "429")
        if ref.user_id in self.down:
            return Unreachable(5.0, "network: down")
        if all(d.key != idempotency_key for d in self.delivered):
            self.delivered.append(Delivered(ref, list(replies), idempotency_key, self.clock.now()))
            self.inboxes.setdefault(ref.user_id, []).extend(replies)
        if self.crash_after_send:
            self.crash_after_send = False
            raise ProcessDied("the process died between sending and recording")
        if progress is not None:
            for n in range(len(progress.sent), len(replies)):
                self.parts.append((idempotency_key, n))
                await progress.record(f"{idempotency_key}#{n}")
                if self.crash_after_parts is not None and len(progress.sent) >= (
                    self.crash_after_parts
                ):
                    self.crash_after_parts = None
                    raise ProcessDied("the process died between two messages of one send")
        return Sent((idempotency_key,))

    def to(self, user_id: str) -> list[Delivered]:
        return [d for d in self.delivered if d.ref.user_id == user_id]


class World:
    def __init__(self, coach: Coach, clock: FakeClock) -> None:
        self.coach = coach
        self.clock = clock
        self.platform = RecordingPlatform(clock)
        self.readiness = Readiness(clock)
        self.worker = DeliveryWorker(coach.stores, coach, {"console": self.platform}, clock,
                                     gate=PlatformGate(self.readiness))
        self.ticker = Ticker(coach.stores.outbox, self.worker, clock)

    def client(self, user_id: str) -> CoachClient:
        client = CoachClient(self.coach, user_id=user_id)
        self.platform.inboxes[user_id] = client.history
        return client

    async def enrol(
        self,
        user_id: str,
        zone: str = "Europe/London",
        at: str = "07:30",
        race: str = "No race planned",
    ) -> CoachClient:
        client = self.client(user_id)
        await enrol(client, at=at, zone=zone, race=race)
        return client

    async def advance(self, delta: timedelta) -> None:
        await advance(self.ticker, self.clock, delta)

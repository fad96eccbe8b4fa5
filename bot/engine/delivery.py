"""The port for proactive messages: what an adapter's ``send`` returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.engine.events import ConversationRef, Reply


@dataclass(frozen=True, slots=True)
class Sent:
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RetryAfter:
    seconds: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Blocked:
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str = ""


SendResult = Sent | RetryAfter | Blocked | Failed


class Sender(Protocol):
    """Implemented by each adapter: deliver replies to one conversation, unprompted.

    ``idempotency_key`` is stable across retries of the same outbox row, so a platform that
    supports it (Discord's nonce) can refuse a duplicate.
    """

    platform: str

    async def send(
        self, ref: ConversationRef, replies: Sequence[Reply], idempotency_key: str
    ) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the coach wants sent for one outbox row."""

    ref: ConversationRef
    replies: Sequence[Reply]
    # Called after the platform accepted the messages, with their ids.
    on_sent: Callable[[tuple[str, ...]], Awaitable[None]] | None = None


class Composer(Protocol):
    """Implemented by the coach: what to send for one due outbox row (None = nothing)."""

    async def compose(self, target: str, kind: str, local_day: date) -> Delivery | None: ...

"""What adapters may call on the engine: the coach port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.domain.events import ConversationRef, Inbound, Reply
from bot.domain.results import SendResult


class CoachPort(Protocol):
    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        """Handle one inbound event from one person; return the replies, in order."""
        ...

    def text(self, key: str, **values: object) -> str:
        """A UI string from content/messages.yaml, for adapter chrome (menus, notes)."""
        ...

    def command_menu(self) -> list[tuple[str, str]]:
        """(command, short description) pairs for the platform's commands menu."""
        ...


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

"""The coach port handed to adapters in end-to-end tests: the real coach, with every
answered call recorded, so a test can wait until the coach has answered someone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.domain.events import ConversationRef, Inbound, Reply
from bot.engine.coach import Coach

WITHIN = 10.0


@dataclass
class Call:
    ref: ConversationRef
    inbound: Inbound
    replies: list[Reply]


@dataclass
class Recorder:
    coach: Coach
    calls: list[Call] = field(default_factory=list)
    _cond: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        replies = await self.coach.handle(ref, inbound)
        self.calls.append(Call(ref, inbound, list(replies)))
        async with self._cond:
            self._cond.notify_all()
        return replies

    def text(self, key: str, **values: object) -> str:
        return self.coach.text(key, **values)

    def command_menu(self) -> list[tuple[str, str]]:
        return self.coach.command_menu()

    async def _wait(self, ready: Callable[[], bool], what: str, within: float) -> None:
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(ready), within)
            except TimeoutError:
                seen = [(c.inbound, [r.key for r in c.replies]) for c in self.calls[-3:]]
                raise AssertionError(f"{what}; last calls: {seen}") from None

    async def wait_calls(self, count: int, within: float = WITHIN) -> list[Call]:
        """All calls, once there are at least ``count``."""
        await self._wait(lambda: len(self.calls) >= count, f"expected call {count}", within)
        return self.calls

    async def wait_call(self, index: int, user_id: int, within: float = WITHIN) -> Call:
        """The first call at or after ``index`` from ``user_id``."""

        def found() -> Call | None:
            return next((c for c in self.calls[index:] if c.ref.user_id == str(user_id)), None)

        await self._wait(lambda: found() is not None, f"the coach never answered {user_id}",
                         within)
        call = found()
        assert call is not None
        return call

"""Sleeping on a ``FakeClock``: ``sleep(seconds)`` returns once the clock has reached the
instant it was called plus ``seconds``, and ``run(*coroutines)`` moves the clock on to the
earliest such instant whenever every one of them is asleep (their I/O, a real database's
answers included, finishes first). Nothing waits on the wall clock.

Only for coroutines that wait on nothing but ``sleep`` and I/O: one blocked on a lock or
an event that a sleeping one holds counts as awake, and ``run`` would wait for it forever.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from bot.domain.clock import FakeClock


class SimulatedTime:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._asleep: list[tuple[datetime, int, asyncio.Task[Any], asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._sleepers: set[asyncio.Task[Any]] = set()

    async def sleep(self, seconds: float) -> None:
        wake = self.clock.now() + timedelta(seconds=max(0.0, seconds))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.current_task()
        assert task is not None
        heapq.heappush(self._asleep, (wake, next(self._order), task, future))
        self._sleepers.add(task)
        try:
            await future
        finally:
            self._sleepers.discard(task)

    async def run(self, *coroutines: Coroutine[Any, Any, Any]) -> list[Any]:
        """Run the coroutines together to their end, moving the clock on as they sleep."""
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        try:
            while not all(t.done() for t in tasks):
                await asyncio.sleep(0)
                awake = [t for t in tasks if not t.done() and t not in self._sleepers]
                if awake or not self._asleep:
                    continue
                if self._asleep[0][0] > self.clock.now():
                    self.clock.set(self._asleep[0][0])
                while self._asleep and self._asleep[0][0] <= self.clock.now():
                    _, _, task, future = heapq.heappop(self._asleep)
                    self._sleepers.discard(task)  # awake from now on
                    if not future.done():  # (not cancelled meanwhile)
                        future.set_result(None)
            return [t.result() for t in tasks]
        finally:
            for t in tasks:
                t.cancel()

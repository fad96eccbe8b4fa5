"""Whose CPU is it? Splitting one process's CPU time between the bot, the fake Bot API and
the simulated people, when all three share one event loop.

Every callback an asyncio loop runs is a ``Handle`` run in a ``contextvars.Context`` (a
task's steps run in the task's context; a socket's read callbacks in the context current
when the reader was registered). So a role set in a context before the fake's server starts
listening is seen by everything the server does later: accepting a connection, reading and
parsing a request, the handler, writing the answer. ``CpuShares.installed()`` wraps
``Handle._run`` and adds the thread CPU time of each callback run in a context whose
``ROLE`` is not "bot" to that role. The bot's own share is the rest: the process's CPU time
(all threads: aiosqlite's thread works for the bot, and is reported on its own too) less
the measured roles. What the loop
does between callbacks (waiting in epoll, picking the next ready callback) is counted as the
bot's; so is the garbage collector whenever the bot's code triggers it.

Cost: a context lookup per callback, and two ``thread_time()`` calls per callback of a
measured role (about a microsecond). Why not a profiler (yappi can tell coroutines apart):
a profiler charges its overhead to every Python call, which changes the very shares it
measures; this wraps the loop's callbacks only, and the split is exact to the callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

ROLE: contextvars.ContextVar[str] = contextvars.ContextVar("bench_role", default="bot")
FAKE = "fake"
PEOPLE = "people"

T = TypeVar("T")


def in_role(role: str) -> contextvars.Context:
    """A context whose callbacks (and every task and reader started from it) count as
    ``role``."""
    context = contextvars.copy_context()
    context.run(ROLE.set, role)
    return context


async def run_as(role: str, job: Callable[[], Awaitable[T]]) -> T:
    """Await ``job()`` in a task of its own running as ``role``."""

    async def wrapped() -> T:
        return await job()

    task: asyncio.Task[T] = asyncio.get_running_loop().create_task(
        wrapped(), context=in_role(role)
    )
    return await task


@dataclass(frozen=True)
class CpuSample:
    """Process CPU seconds over a window, how much of it the measured roles took, and how
    much went to threads other than the event loop's (aiosqlite's, counted as the bot's)."""

    process: float
    roles: dict[str, float]
    other_threads: float = 0.0

    def share(self, role: str) -> float:
        return self.roles.get(role, 0.0)

    @property
    def bot(self) -> float:
        return self.process - sum(self.roles.values())


class CpuShares:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def installed(self) -> Iterator[CpuShares]:
        handle_class: Any = asyncio.events.Handle
        original = handle_class._run
        seconds = self.seconds
        clock = time.thread_time

        def _run(handle: Any) -> None:
            role = handle._context.get(ROLE, "bot")
            if role == "bot":
                original(handle)
                return
            start = clock()
            try:
                original(handle)
            finally:
                seconds[role] = seconds.get(role, 0.0) + clock() - start

        handle_class._run = _run
        try:
            yield self
        finally:
            handle_class._run = original

    def mark(self) -> tuple[float, float, dict[str, float]]:
        """Call on the event loop's thread; pass the result to ``since``."""
        return time.process_time(), time.thread_time(), dict(self.seconds)

    def since(self, mark: tuple[float, float, dict[str, float]]) -> CpuSample:
        process, thread, roles = mark
        process = time.process_time() - process
        return CpuSample(
            process,
            {role: spent - roles.get(role, 0.0) for role, spent in self.seconds.items()},
            max(0.0, process - (time.thread_time() - thread)),
        )

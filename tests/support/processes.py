"""Real ``kneecoach run`` processes for tests that kill them (tests/support/zygote.py forks
them from one warm process, so a start costs a fork, not seconds of imports)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WITHIN = 60.0


class Zygote:
    """Talks to the zygote over its pipes; ``start``/``wait`` are awaitable (the wait runs in
    a thread, so the test's event loop, and the fake server on it, keep running)."""

    def __init__(self, process: subprocess.Popen[str], logs: Path) -> None:
        self.process = process
        self.logs = logs
        self.lives = 0
        self.alive: set[int] = set()  # started and not waited for
        self._talk = threading.Lock()

    def _ask(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        with self._talk:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            return self.process.stdout.readline().strip()

    async def start(self, settings: dict[str, Any]) -> int:
        """A new ``kneecoach run`` with these settings; its pid."""
        self.lives += 1
        log = self.logs / f"life-{self.lives}.log"
        line = f"start {json.dumps(settings, separators=(',', ':'))} {log}"
        answer = await asyncio.wait_for(asyncio.to_thread(self._ask, line), WITHIN)
        kind, _, pid = answer.partition(" ")
        assert kind == "pid", answer
        self.alive.add(int(pid))
        return int(pid)

    async def wait(self, pid: int) -> int:
        """The exit code of a child (negative: the signal that killed it)."""
        answer = await asyncio.wait_for(asyncio.to_thread(self._ask, f"wait {pid}"), WITHIN)
        kind, _, code = answer.partition(" ")
        assert kind == "exit", answer
        self.alive.discard(pid)
        return int(code)

    async def kill(self, pid: int) -> int:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return await self.wait(pid)

    def kill_all(self) -> None:
        """Kill every child still running (a test that failed half-way) and reap it."""
        for pid in sorted(self.alive):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._ask(f"wait {pid}")
        self.alive.clear()

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


@contextlib.contextmanager
def zygote(logs: Path) -> Iterator[Zygote]:
    logs.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.zygote"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().strip()
        assert ready == "ready", ready
        z = Zygote(process, logs)
        try:
            yield z
        finally:
            z.kill_all()
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

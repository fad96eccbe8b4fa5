"""The tests' throwaway PostgreSQL goes when the test run is stopped with SIGTERM (a CI
timeout, a supervisor): the signal's default action would skip ``atexit`` and leave the
server running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.postgres import find_bindir

ROOT = Path(__file__).resolve().parents[2]
CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from tests.support.postgres import PostgresServer
    server = PostgresServer(Path(sys.argv[1]))
    server.start()
    print(server.data, flush=True)
    time.sleep(600)
""")


def _alive(pid: int) -> bool:
    """A process, not a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_sigtermed_run_stops_its_postgres() -> None:
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL server binaries")
        pytest.skip("no PostgreSQL server binaries")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(bindir)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout is not None
        data = Path(child.stdout.readline().strip())
        pid_file = data / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        os.kill(postmaster, 0)  # running
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == -signal.SIGTERM
        assert not data.exists()  # stopped (pg_ctl waited for it) and removed
        assert not _alive(postmaster)
    finally:
        if child.poll() is None:
            child.kill()

"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, started on
127.0.0.1 with a free port (and its socket in that folder), stopped and removed at the end.

The binaries: KNEECOACH_PG_BINDIR, else `pg_config --bindir`, else Debian's
/usr/lib/postgresql/<newest>/bin, else `initdb` on PATH, else the `pgserver` wheel's
(`make test` installs Debian's package, or that wheel, when none is there:
tests/support/ensure_postgres.sh). initdb refuses to run as root, so as root the server runs
as the `postgres` user (Debian's package makes it) or `nobody`.

Each test gets a database of its own, copied from a migrated template (about 50 ms).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from bot.store.postgres import PostgresDatabase

START_WITHIN = 60  # seconds pg_ctl may wait for the server
TEMPLATE = "kc_template"


def find_bindir() -> Path | None:
    candidates: list[Path] = []
    if os.environ.get("KNEECOACH_PG_BINDIR"):
        candidates.append(Path(os.environ["KNEECOACH_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            candidates.append(Path(out))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                    key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                    else 0)
    candidates += [Path(p) for p in reversed(debian)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    with contextlib.suppress(ImportError):
        import pgserver  # type: ignore[import-not-found]  # the fallback wheel

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _reachable_by_others(folder: Path) -> bool:
    """Every folder up to ``folder`` lets other users through (o+x)."""
    for part in [folder, *folder.parents]:
        if not os.stat(part).st_mode & 0o001:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One cluster for the test session."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="kneecoach-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres").pw_name
            except KeyError:
                self.user = "nobody"
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            if not _reachable_by_others(bindir):
                # (the pgserver wheel inside a venv under /root, say): a copy the user can run
                install = self.root / "install"
                shutil.copytree(bindir.parent, install, symlinks=True)
                self.bindir = install / bindir.name
        self._names = itertools.count(1)
        self.started = False

    def _run(self, *args: str, timeout: float = START_WITHIN) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "--no-sync", "--auth=trust",
                  "--username=postgres", "--encoding=UTF8", "--locale=C")
        options = (f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                   " -c max_connections=200")
        self._run("pg_ctl", "start", "-w", "-t", str(START_WITHIN), "-D", str(self.data),
                  "-l", str(self.root / "server.log"), "-o", options)
        self.started = True
        atexit.register(self.stop)
        self._stop_on_sigterm()

    def _stop_on_sigterm(self) -> None:
        """A test run ended by SIGTERM (a CI timeout, a supervisor) stops the server too:
        the signal's default action skips ``atexit``. Only where nothing else handles it."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def stop_then_die(signum: int, _frame: object) -> None:
            self.stop()
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        signal.signal(signal.SIGTERM, stop_then_die)

    def stop(self) -> None:
        if self.started:
            self.started = False
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-t", "30", "-D",
                          str(self.data), timeout=40)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def make_template(self) -> None:
        """The template every test database is copied from: migrated once."""
        admin = await asyncpg.connect(self.url())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        db = await PostgresDatabase.open(self.url(TEMPLATE))
        await db.close()

    async def new_database(self, *, migrated: bool = True) -> str:
        """A database of its own for one test (a copy of the migrated template, or empty)."""
        name = f"kc_{os.getpid()}_{next(self._names)}"
        admin = await asyncpg.connect(self.url())
        try:
            template = TEMPLATE if migrated else "template0"
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            await admin.close()
        return self.url(name)


@contextlib.asynccontextmanager
async def processes_on_one_database(
    postgres: PostgresServer, count: int = 3, pool_max: int = 3
) -> AsyncIterator[list[PostgresDatabase]]:
    """``count`` pools on one new database: what as many `kneecoach run` processes hold."""
    url = await postgres.new_database()
    pools = [await PostgresDatabase.open(url, pool_max=pool_max, migrate=False)
             for _ in range(count)]
    try:
        yield pools
    finally:
        for pool in pools:
            await pool.close()

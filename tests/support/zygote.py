"""A process that starts ``kneecoach run`` processes cheaply, so tests can kill them.

Run as ``python -m tests.support.zygote``: it imports the bot and builds the checked content
bundle ONCE, then for every ``start`` line on stdin forks a child that runs exactly what
``kneecoach run`` runs (the logging rules, then ``bot.app.run_app``) with the settings given,
and prints its pid. The test kills the child (SIGKILL, at a moment of its choosing) or
stops it (SIGTERM), then asks the zygote to ``wait`` for it and gets its exit status. A
fresh ``kneecoach run`` costs about two seconds of imports and content checks; a fork costs
milliseconds, and the child is as real a process as any.

Protocol (one line each way):
  start <settings as JSON> <stderr file>  ->  pid <n>
  wait <pid>                              ->  exit <code>   (negative: killed by that signal)

A benchmark may add ``"telegram_rate_limits_off": true`` to the settings: that child's
Telegram adapter then sends without its rate limiter (as bench/telegram_updates.py's bots
do: against the fake, a limiter would measure itself). Nothing else is changed.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import sys
from typing import Any


def _child(settings_json: str, stderr_path: str, checked: object) -> None:
    fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    code = 1
    try:
        from bot.app import run_app
        from bot.config import Settings
        from bot.logging_policy import quiet_noisy_loggers

        values = json.loads(settings_json)
        if values.pop("telegram_rate_limits_off", False):
            _telegram_rate_limits_off()
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        logging.basicConfig(
            level=getattr(logging, settings.kneecoach_log_level.upper(), logging.INFO),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        quiet_noisy_loggers()
        if "checked" in inspect.signature(run_app).parameters:
            code = asyncio.run(run_app(settings, checked=checked))  # type: ignore[arg-type]
        else:  # an older run_app (to show what a test found before a fix): checks again
            code = asyncio.run(run_app(settings))
    except BaseException:
        logging.getLogger("zygote").exception("the child failed")
    finally:
        logging.shutdown()
        os._exit(code)


def _telegram_rate_limits_off() -> None:
    """Every Telegram adapter of this process sends without a rate limiter."""
    from bot.adapters.telegram.adapter import TelegramAdapter

    init = TelegramAdapter.__init__

    def unlimited(self: TelegramAdapter, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.rate_limits = None

    TelegramAdapter.__init__ = unlimited  # type: ignore[method-assign]


def main() -> int:
    from bot.check import build_checked
    from bot.content import default_content_root, default_dialogs_root

    checked = asyncio.run(build_checked(default_content_root(), default_dialogs_root()))
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if command == "start":
            settings_json, _, stderr_path = rest.rpartition(" ")
            pid = os.fork()
            if pid == 0:
                _child(settings_json, stderr_path, checked)
            print(f"pid {pid}", flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(rest), 0)
            print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)
        else:
            print(f"error unknown command {command!r}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Logs an operator can ship: ``KNEECOACH_LOG_FORMAT=json`` writes one JSON object per line
(``time``, ``level``, ``logger``, ``event``, and ``platform`` while a turn or a delivery is
under way), the human format stays the default.

Who a line is about is never written as an id: at DEBUG only, a line written during a
person's turn carries ``person``, a keyed hash of platform and user id (BLAKE2b with a key
made at random when the process starts: the lines of one run can be followed, nothing can
be looked up). The rules of ``bot.logging_policy`` hold in both formats: no token, no
health text at INFO.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import secrets
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

HUMAN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("human", "json")

_KEY = secrets.token_bytes(16)
# (platform, opaque person hash) of the turn this task is running, if any.
_TURN: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "kneecoach_turn", default=None)


def person_hash(platform: str, user_id: str) -> str:
    return hashlib.blake2b(f"{platform}\x00{user_id}".encode(), key=_KEY,
                           digest_size=8).hexdigest()


@contextlib.contextmanager
def turn_context(platform: str, user_id: str) -> Iterator[None]:
    """Lines logged inside (and in tasks started inside) name the platform and, at DEBUG,
    the opaque person hash."""
    token = _TURN.set((platform, person_hash(platform, user_id)))
    try:
        yield
    finally:
        _TURN.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        turn = _TURN.get()
        platform = getattr(record, "platform", None) or (turn[0] if turn else None)
        if platform:
            entry["platform"] = str(platform)
        if turn is not None and record.levelno <= logging.DEBUG:
            entry["person"] = turn[1]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter()
    if kind == "human":
        return logging.Formatter(HUMAN)
    raise ValueError(f"KNEECOACH_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {kind!r}")


def configure_logging(
    level: str, kind: str, stream: TextIO | None = None, root: logging.Logger | None = None
) -> logging.Handler | None:
    """The root logger writes to ``stream`` (stderr) in the chosen format. Like
    ``logging.basicConfig``, it leaves a logger that already has handlers of someone else's
    (a test runner's) alone, apart from its level; its own earlier handler is replaced."""
    root = root or logging.getLogger()
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    if any(h.get_name() != "kneecoach" for h in root.handlers):
        return None
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(kind))
    handler.set_name("kneecoach")
    root.addHandler(handler)
    return handler

"""Logging rules: tokens and health answers never reach the logs, at any level.

* ``quiet_noisy_loggers``: libraries that log request URLs (which hold a Telegram token),
  payloads or SQL statements with their values (aiosqlite logs each statement with what
  people typed, at DEBUG) are held above the level at which they do.
* ``redact_secrets``: a ``logging.Filter`` (``Redactor``) on the root logger and its
  handlers that replaces every secret (the bot tokens, the webhook secret, and
  ``bot<token>`` as it appears in a Bot API path) in the message, the arguments and the
  exception text of every record. It is also run as each record is made
  (``logging.setLogRecordFactory``), so records that propagate from any library logger, or
  reach handlers added later, are redacted before anything formats them: python-telegram-bot
  logs a non-JSON error page (which can quote the request path) at ERROR.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

# httpx logs every request URL at INFO, and a Telegram URL contains the bot token; aiosqlite
# logs every statement with its values at DEBUG.
NOISY = ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler.executors.default",
         "apscheduler.scheduler", "discord.gateway", "discord.client", "discord.http",
         "aiohttp.access", "aiosqlite")
MASK = "[redacted]"
MIN_SECRET = 6  # shorter strings would mask ordinary words


def quiet_noisy_loggers() -> None:
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


class Redactor(logging.Filter):
    """Replaces the secrets in every record it sees (and never drops a record)."""

    def __init__(self) -> None:
        super().__init__("kneecoach-redactor")
        self._secrets: list[str] = []

    def add(self, secrets: Iterable[str | None]) -> None:
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET and secret not in self._secrets:
                self._secrets.append(secret)
        # Longest first, so "bot<token>" is replaced whole before "<token>".
        self._secrets.sort(key=len, reverse=True)

    @property
    def active(self) -> bool:
        return bool(self._secrets)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets or getattr(record, "_kneecoach_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
            # The text is complete: formatters use it instead of formatting the exception.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        setattr(record, "_kneecoach_redacted", True)  # noqa: B010
        return True


REDACTOR = Redactor()
_factory_installed: Callable[..., logging.LogRecord] | None = None


def redact_secrets(secrets: Iterable[str | None]) -> Redactor:
    """Never log these: installed once per process, secrets added on every call."""
    global _factory_installed
    REDACTOR.add(secrets)
    for secret in list(REDACTOR._secrets):
        # The Bot API path form, and the token's secret half alone.
        if ":" in secret:
            REDACTOR.add([f"bot{secret}", secret.split(":", 1)[1]])
    root = logging.getLogger()
    if REDACTOR not in root.filters:
        root.addFilter(REDACTOR)
    for handler in root.handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
    if _factory_installed is None:
        previous = logging.getLogRecordFactory()

        def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            REDACTOR.filter(record)
            return record

        logging.setLogRecordFactory(make_record)
        _factory_installed = make_record
    return REDACTOR

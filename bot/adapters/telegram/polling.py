"""Long polling that confirms an update only once the inbox has it.

Telegram confirms every update below the ``offset`` of the next ``getUpdates``. PTB's own
``Updater`` asks for the next batch as soon as it has queued the last one for its handlers,
before they ran, so an update fetched just before a crash was confirmed and lost; and a 401
or 404 from ``getUpdates`` ends its loop for good while the process runs on, deaf. This loop
(on PTB's ``Bot.get_updates``, its transport and its errors):

* hands each batch to ``receive`` (the inbox keeps it) and only then asks for the next one
  with the higher offset; if ``receive`` fails, the batch is fetched again (the inbox drops
  the repeats);
* on a network error, a timeout, a 5xx or a 409 (another consumer), waits 1, 2, 4... up to
  ``MAX_BACKOFF`` seconds and polls on, reporting the platform not connected meanwhile
  (``on_down``/``on_up``);
* on a 401 or 404 (the token was revoked or the bot deleted) stops and calls ``on_refused``
  with a clear reason: the process must end (``Readiness.fail``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.adapters.telegram.outbound import retry_seconds

logger = logging.getLogger(__name__)

POLL_TIMEOUT = timedelta(seconds=10)
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0


class Poller:
    def __init__(
        self,
        bot: Bot,
        receive: Callable[[Sequence[Update]], Awaitable[None]],
        allowed_updates: Sequence[str],
        *,
        on_up: Callable[[], None],
        on_down: Callable[[str], None],
        on_refused: Callable[[str], None],
        timeout: timedelta = POLL_TIMEOUT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.receive = receive
        self.allowed_updates = list(allowed_updates)
        self.on_up = on_up
        self.on_down = on_down
        self.on_refused = on_refused
        self.timeout = timeout
        self.sleep = sleep
        self.offset = 0  # everything below it is kept by the inbox
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self.run(), name="telegram-poll")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                updates = await self.bot.get_updates(
                    offset=self.offset or None,
                    timeout=self.timeout,
                    allowed_updates=self.allowed_updates,
                )
            except InvalidToken as exc:
                reason = f"getUpdates was refused ({exc.message})"
                logger.critical(
                    "telegram: %s: the bot token was revoked or the bot deleted; "
                    "the bot cannot hear anyone and stops", reason,
                )
                self.on_refused(reason)
                return
            except RetryAfter as exc:
                await self.sleep(retry_seconds(exc))
                continue
            except TelegramError as exc:
                failures += 1
                wait = min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF)
                reason = f"getUpdates failed: {type(exc).__name__}"
                (logger.warning if failures == 1 else logger.debug)(
                    "telegram: %s; polling again in %.0f s", reason, wait
                )
                self.on_down(reason)
                await self.sleep(wait)
                continue
            if failures:
                logger.info("telegram: getUpdates answers again after %d failure(s)", failures)
                failures = 0
            self.on_up()
            if not updates:
                continue
            try:
                await self.receive(updates)
            except Exception as exc:  # not confirmed: Telegram gives them again
                failures += 1
                wait = min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF)
                logger.error("telegram: %d update(s) could not be kept (%s); fetching them "
                             "again in %.0f s", len(updates), type(exc).__name__, wait)
                await self.sleep(wait)
                continue
            self.offset = updates[-1].update_id + 1

    async def stop(self) -> None:
        """Stop polling and confirm what the inbox kept (so Telegram does not resend it)."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.offset:
            try:
                await self.bot.get_updates(offset=self.offset, timeout=0,
                                           allowed_updates=self.allowed_updates)
            except TelegramError as exc:
                logger.info("telegram: confirming the last updates failed (%s); they will "
                            "come again and be dropped as repeats", type(exc).__name__)

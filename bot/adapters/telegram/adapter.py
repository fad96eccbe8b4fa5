"""``TelegramAdapter``: the lifecycle of the Telegram door and the wiring of its parts.

``start()``/``stop()`` run inside the caller's event loop (initialize, poll or serve the
webhook, and the reverse), so Telegram, Discord and the scheduler can share one process.
Long polling by default (``polling.Poller``: an update is confirmed to Telegram only once
the inbox has it); a webhook server when ``webhook_url`` is set, checking Telegram's
``X-Telegram-Bot-Api-Secret-Token`` header and answering 200 only once the inbox has the
update (``webhook.WebhookServer``).

``start()`` is two steps, which ``kneecoach run`` on a shared database takes by role
(``bot.app``): ``connect()``, what every process does (getMe: it can send; in webhook mode
it serves the webhook too), and ``lead()``, what one process at a time does (the command
menu, and polling or ``setWebhook``). The adapter decides neither.

Every update goes to the engine's ``Inbox`` (``inbox``), which handles it in its turn and
answers through this adapter's ``send`` (the ``Sender``, with the press's note). A refused
token (getUpdates or a send answered 401/404) is reported to ``readiness`` as fatal: the
process stops with a non-zero exit instead of running on deaf. Whether Telegram answers at
all is reported there too (the "receiving" part).

``attach(app)`` is the part of ``start()`` that receives nothing: it initializes an
``Application`` from ``build_application()`` (getMe) and points the outbound at the
``Output``. A test that needs no HTTP hands the adapter its own ``Output``, builds the
application over a request that only answers getMe, attaches it and hands real
``telegram.Update`` objects to ``adapter.receiver.receive([...])``.

Logging: never the token (PTB's own loggers that print request URLs or payloads are held at
INFO, httpx/httpcore at WARNING, see ``_QUIET_LOGGERS``; transport errors name only their
class; PTB's ``InvalidToken`` message, which quotes the token, is replaced; and
``kneecoach run`` redacts the token from every log record whatever its source,
``bot.logging_policy``) and never message text.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest

from bot.adapters.telegram import render
from bot.adapters.telegram.capabilities import CAPABILITIES, PLATFORM
from bot.adapters.telegram.inbound import ALLOWED_UPDATES, Receiver, TgApplication
from bot.adapters.telegram.outbound import BotApiOutput, Outbound, Output
from bot.adapters.telegram.polling import Poller
from bot.adapters.telegram.ratelimit import TELEGRAM_LIMITS, RateLimits, TelegramRateLimiter
from bot.adapters.telegram.settings import TelegramSettings
from bot.adapters.telegram.transport import AiohttpRequest
from bot.adapters.telegram.webhook import WebhookServer
from bot.domain.events import ConversationRef, Reply
from bot.domain.readiness import Readiness
from bot.domain.results import SendResult
from bot.engine.ports import CoachPort, Inbox, Progress, QuestionMemory, SendBudget

if TYPE_CHECKING:
    from bot.engine.ports import SharedDoor

logger = logging.getLogger(__name__)


# Loggers that would print the token (request URLs) or message payloads below these levels.
_QUIET_LOGGERS: dict[str, int] = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram.Bot": logging.INFO,  # DEBUG: base URL (with token), request parameters
    "telegram.ext.ExtBot": logging.INFO,  # same, for the ExtBot subclass
    "telegram.ext.Application": logging.INFO,  # DEBUG: whole updates
    "telegram.ext.Updater": logging.INFO,  # DEBUG: webhook payloads and secret tokens
}


def quiet_third_party_loggers() -> None:
    """Raise the level of loggers that could print the token or message text."""
    for name, level in _QUIET_LOGGERS.items():
        lg = logging.getLogger(name)
        if lg.level == logging.NOTSET or lg.level < level:
            lg.setLevel(level)


class TelegramAdapter:
    """Telegram door of the coach; also the proactive ``Sender`` for platform "telegram".

    ``inbox``: where updates go (needed to receive; a send-only adapter has none).
    ``readiness``: where connection state and a refused token are reported.
    ``output``: where messages go; ``None`` (production) is the Bot API of the attached
    application (``BotApiOutput``).
    ``send_budget``: the bot's overall send rate shared with its other processes (PostgreSQL);
    ``None``: this process's own window is the bot's (SQLite, one process).
    ``questions``: each chat's open question shared with its other processes (PostgreSQL), so
    a typed answer drops the buttons another process sent; ``None``: kept in this process.
    """

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: TelegramSettings,
        coach: CoachPort,
        *,
        inbox: Inbox | None = None,
        readiness: Readiness | None = None,
        rate_limits: RateLimits | None = TELEGRAM_LIMITS,
        send_budget: SendBudget | None = None,
        questions: QuestionMemory | None = None,
        connection_pool_size: int = 16,
        output: Output | None = None,
    ) -> None:
        self.settings = settings
        self.coach = coach
        self.readiness = readiness
        self.rate_limits = rate_limits
        self.send_budget = send_budget
        self.connection_pool_size = connection_pool_size
        self.outbound = Outbound()
        if questions is not None:  # shared by the bot's processes (PostgreSQL)
            self.outbound.questions = questions
        self.outbound.on_refused = self._refused
        self.outbound.paid_broadcast = bool(rate_limits and rate_limits.paid_broadcast)
        if rate_limits is not None and rate_limits.paid_broadcast:  # reminders go out faster
            self.capabilities = dataclasses.replace(
                CAPABILITIES, messages_per_second=rate_limits.bulk_messages_per_second)
            if rate_limits.bulk_messages_per_second < rate_limits.paid_messages_per_second:
                logger.warning(
                    "paid broadcast is on, but with %d message(s) in flight (TELEGRAM_IN_FLIGHT)"
                    " reminders go out at about %.0f a second, not %.0f: each message in flight"
                    " takes Telegram's answer time", rate_limits.in_flight,
                    rate_limits.bulk_messages_per_second, rate_limits.paid_messages_per_second)
        self.receiver = Receiver(inbox, self.outbound)
        self.poller: Poller | None = None
        self._output = output
        self._app: TgApplication | None = None
        self._running = False
        self._webhook_secret: str | None = None
        self._webhook: WebhookServer | None = None
        quiet_third_party_loggers()

    # -- state -----------------------------------------------------------------------------

    @property
    def application(self) -> TgApplication:
        if self._app is None:
            raise RuntimeError("TelegramAdapter has not been started")
        return self._app

    @property
    def running(self) -> bool:
        return self._running

    @property
    def bot_username(self) -> str | None:
        return self.outbound.username

    @property
    def webhook_secret(self) -> str | None:
        """The secret token in use (generated at start when the settings had none)."""
        return self._webhook_secret

    @property
    def sleep(self) -> Callable[[float], Awaitable[None]]:
        """How a reply waits out a short flood (tests put a fake here)."""
        return self.outbound.sleep

    @sleep.setter
    def sleep(self, value: Callable[[float], Awaitable[None]]) -> None:
        self.outbound.sleep = value

    # -- lifecycle -------------------------------------------------------------------------

    def build_application(self, *, request: BaseRequest | None = None) -> TgApplication:
        """A configured, not yet initialized PTB ``Application`` with the handlers attached.

        ``request``: PTB's transport for every call (default: ``AiohttpRequest``, one pool
        for sends and a single connection for getUpdates). PTB's handlers are not used:
        updates go to the inbox (the webhook's update queue keeps them there).
        """
        quiet_third_party_loggers()
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(self.settings.token)
            .job_queue(None)
            .updater(None)  # polling.Poller polls, webhook.WebhookServer serves
            .request(request or AiohttpRequest(self.connection_pool_size))
            .get_updates_request(request or AiohttpRequest(1))
        )
        urls = self.settings.api_urls()
        if urls is not None:
            builder = builder.base_url(urls[0]).base_file_url(urls[1])
        if self.rate_limits is not None:
            builder = builder.rate_limiter(
                TelegramRateLimiter(self.rate_limits, budget=self.send_budget))
        app: TgApplication = builder.build()
        return app

    async def attach(self, app: TgApplication) -> None:
        """Initialize ``app`` (getMe) and send through the ``Output`` from now on.

        Updates fed to ``app`` reach the coach; nothing is fetched (``start()`` polls or
        serves the webhook). Raises ``telegram.error.TelegramError`` (e.g. ``InvalidToken``)
        when Telegram refuses; PTB's own ``InvalidToken`` message quotes the token, so it is
        replaced by one that does not.
        """
        if self._app is not None:
            raise RuntimeError("TelegramAdapter is already running")
        try:
            await app.initialize()
        except InvalidToken:
            await app.bot.shutdown()  # the HTTP sessions were opened before getMe failed
            raise InvalidToken("the bot token was rejected by Telegram") from None
        except BaseException:
            await app.bot.shutdown()
            raise
        self._app = app
        self.outbound.username = app.bot.username
        self.outbound.output = self._output or BotApiOutput(app.bot)

    async def start(self) -> None:
        """Connect, then lead: one process alone on its database does both."""
        await self.connect()
        try:
            await self.lead()
        except BaseException:
            await self.stop()
            raise

    async def connect(self) -> None:
        """What every process does: connect (getMe), able to send from now on, and in
        webhook mode serve the webhook's path (Telegram's posts reach any process behind
        the proxy). Nothing is registered with Telegram and nothing is fetched."""
        if self._running or self._app is not None:
            raise RuntimeError("TelegramAdapter is already running")
        if self.receiver.inbox is None:
            raise RuntimeError("TelegramAdapter needs an inbox to receive updates")
        app = self.build_application()
        await self.attach(app)
        try:
            if self.settings.webhook:
                await self._serve_webhook(app)
                self._report(True)
        except BaseException:
            await self.stop()
            raise
        self._running = True
        logger.info("telegram: connected as @%s%s", self.bot_username,
                    ", serving the webhook" if self.settings.webhook else "")

    async def lead(self) -> None:
        """What one process at a time does for the bot (after ``connect``): publish the
        command menu, then register the webhook (``setWebhook``) or poll."""
        app = self.application
        await self._set_commands(app.bot)
        if self.settings.webhook:
            assert self.settings.webhook_url is not None
            await app.bot.set_webhook(
                url=self.settings.webhook_url,
                secret_token=self._webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
            )
        else:
            # A webhook left over from another deployment would make every getUpdates
            # a 409: polling means no webhook.
            await app.bot.delete_webhook(drop_pending_updates=False)
            if self.poller is None:
                self.poller = Poller(
                    app.bot, self.receiver.receive, ALLOWED_UPDATES,
                    on_up=lambda: self._report(True), on_down=lambda r: self._report(False, r),
                    on_refused=self._refused, sleep=self.outbound.sleep,
                )
                self.poller.start()
        self._report(True)
        logger.info(
            "telegram adapter started (%s) as @%s",
            "webhook" if self.settings.webhook else "polling",
            self.bot_username,
        )

    async def _serve_webhook(self, app: TgApplication) -> None:
        assert self.settings.webhook_url is not None
        secret = self.settings.webhook_secret or secrets.token_urlsafe(32)
        self._webhook_secret = secret
        self._webhook = WebhookServer(
            app.bot, self.receiver.receive,
            path=urlsplit(self.settings.webhook_url).path,
            secret=secret,
            listen=self.settings.webhook_listen,
            port=self.settings.webhook_port,
        )
        await self._webhook.start()

    async def stop(self) -> None:
        """Stop receiving (confirming what the inbox kept), let the press answers in flight
        finish, close connections. Idempotent."""
        app = self._app
        if app is None:
            return
        self._running = False
        try:
            if self.poller is not None:
                await self.poller.stop()
                self.poller = None
            if self._webhook is not None:
                await self._webhook.stop()
                self._webhook = None
            if app.running:
                await app.stop()
            await self.receiver.settle()
        finally:
            self.outbound.output = None
            self.outbound.username = None
            await app.shutdown()
            self._app = None
        logger.info("telegram adapter stopped")

    async def _set_commands(self, bot: Bot) -> None:
        commands = render.menu_commands(self.coach.command_menu())
        if not commands:
            return
        try:
            await bot.set_my_commands(commands)
        except TelegramError as exc:
            logger.warning("setMyCommands failed: %s", exc.message)

    def _report(self, connected: bool, reason: str = "") -> None:
        if self.readiness is None:
            return
        if connected:
            self.readiness.up(PLATFORM, "receiving")
        else:
            self.readiness.down(PLATFORM, "receiving", reason)

    def _refused(self, reason: str) -> None:
        """Telegram refuses the token: nothing will ever work again in this process."""
        if self.readiness is not None:
            self.readiness.fail(PLATFORM, reason)

    # -- Sender ----------------------------------------------------------------------------

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        idempotency_key: str,
        *,
        progress: Progress | None = None,
        answering: str = "",
        wait: float = 0.0,
    ) -> SendResult:
        """Deliver ``replies`` (a reminder, or the answer to an update); see
        ``Outbound.send``."""
        return await self.outbound.send(
            ref, replies, idempotency_key, progress=progress, answering=answering, wait=wait
        )


if TYPE_CHECKING:  # the adapter is the Telegram door (on every process) and its Sender

    def _is_an_adapter(adapter: TelegramAdapter) -> SharedDoor:
        return adapter

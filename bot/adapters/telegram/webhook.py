"""The webhook's HTTP server: Telegram's POSTs to the webhook's path, on aiohttp in the bot's
event loop.

A post must carry the secret (``X-Telegram-Bot-Api-Secret-Token``, compared in constant
time; otherwise 403) and a JSON update (otherwise 400). It is answered 200 only once the
inbox has the update (``receive``); a failure there is a 500, and Telegram sends the update
again (the inbox drops a repeat).

Serving the path is not registering it: every process behind the proxy serves it, and one,
the leader, calls ``setWebhook`` (``TelegramAdapter.lead``). PTB's ``Updater.start_webhook``
always calls ``setWebhook`` as it starts its server, so this is the server PTB's own
"custom webhook" example describes instead: ``Update.de_json`` of the posted body.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from telegram import Bot, Update

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(
        self,
        bot: Bot,
        receive: Callable[[Sequence[Update]], Awaitable[None]],
        *,
        path: str,
        secret: str,
        listen: str,
        port: int,
    ) -> None:
        self.bot = bot
        self.receive = receive
        self.path = "/" + path.strip("/")
        self._secret = secret.encode()
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._post)
        if self.path != "/":
            app.router.add_post(self.path + "/", self._post)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.debug("webhook: a post without the right secret was refused")
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception as exc:  # not JSON, or not an update
            logger.warning("webhook: a post that is not an update (%s)", type(exc).__name__)
            return web.Response(status=400)
        try:
            await self.receive([update])
        except Exception as exc:  # not kept: Telegram sends it again
            logger.warning("webhook: update %d not kept (%s); Telegram will send it again",
                           update.update_id, type(exc).__name__)
            return web.Response(status=500)
        return web.Response(status=200)

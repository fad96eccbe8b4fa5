"""How to reach Telegram: the bot token, a self-hosted Bot API server, the webhook."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.adapters.telegram.capabilities import MAX_SECRET_TOKEN

SECRET_RE = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_SECRET_TOKEN}}}")


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How to reach Telegram. ``repr`` never shows the token or the webhook secret.

    ``api_base_url``: a self-hosted Bot API server, either its root (``http://host:8081``),
    a URL ending in ``/bot``, or a PTB template containing ``{token}``.
    ``webhook_url``: the public HTTPS URL Telegram posts to; its path is also the path served
    on ``webhook_listen:webhook_port``. ``webhook_secret``: Telegram's secret token (1-256 of
    ``A-Z a-z 0-9 _ -``); a random one is made at start when it is ``None``.
    """

    token: str = field(repr=False)
    api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.token.strip():
            raise ValueError("TelegramSettings.token is empty")
        if not 0 < self.webhook_port < 65536:
            raise ValueError("TelegramSettings.webhook_port must be 1-65535")
        if self.webhook_secret is not None and not SECRET_RE.fullmatch(self.webhook_secret):
            raise ValueError(
                "TelegramSettings.webhook_secret must be 1-256 characters of A-Z a-z 0-9 _ -"
            )
        if self.webhook_url is not None and urlsplit(self.webhook_url).scheme not in (
            "http",
            "https",
        ):
            raise ValueError("TelegramSettings.webhook_url must be an http(s) URL")

    @property
    def webhook(self) -> bool:
        return bool(self.webhook_url)

    def api_urls(self) -> tuple[str, str] | None:
        """(base_url, base_file_url) for PTB, or ``None`` for Telegram's own servers."""
        if not self.api_base_url:
            return None
        url = self.api_base_url.strip()
        if "{token}" in url:
            return url, url.replace("/bot{token}", "/file/bot{token}")
        root = url.rstrip("/")
        if root.endswith("/bot"):
            root = root[: -len("/bot")]
        return f"{root}/bot", f"{root}/file/bot"

"""Logging rules: tokens and health answers never reach the logs."""

from __future__ import annotations

import logging

# httpx logs every request URL at INFO, and a Telegram URL contains the bot token; aiosqlite
# logs every statement with its values at DEBUG.
NOISY = ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler.executors.default",
         "apscheduler.scheduler", "discord.gateway", "discord.client", "discord.http",
         "aiohttp.access", "aiosqlite")


def quiet_noisy_loggers() -> None:
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)

"""The platforms Kneecoach can talk on, in one table: what each can show (its
``Capabilities``), whether it is configured, and how its adapter is built. A new platform is
its package under ``bot/adapters/`` plus one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.engine.coach import Coach
from bot.engine.ports import Adapter, Capabilities, CoachPort


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    capabilities: Callable[[], Capabilities]
    configured: Callable[[Settings], bool]
    build: Callable[[Settings, Coach, CoachPort], Adapter]  # port: what the door calls


def _telegram_capabilities() -> Capabilities:
    from bot.adapters.telegram.capabilities import CAPABILITIES

    return CAPABILITIES


def _telegram(settings: Settings, coach: Coach, port: CoachPort) -> Adapter:
    from bot.adapters.telegram import TelegramAdapter, TelegramSettings

    assert settings.telegram_bot_token is not None
    secret = settings.telegram_webhook_secret
    return TelegramAdapter(
        TelegramSettings(
            token=settings.telegram_bot_token.get_secret_value(),
            api_base_url=settings.telegram_api_base_url,
            webhook_url=settings.telegram_webhook_url,
            webhook_listen=settings.telegram_webhook_listen,
            webhook_port=settings.telegram_webhook_port,
            webhook_secret=secret.get_secret_value() if secret else None,
        ),
        port,
    )


def _discord_capabilities() -> Capabilities:
    from bot.adapters.discord.capabilities import CAPABILITIES

    return CAPABILITIES


def _discord(settings: Settings, coach: Coach, port: CoachPort) -> Adapter:
    from bot.adapters.discord import DiscordAdapter, DiscordSettings

    assert settings.discord_bot_token is not None
    return DiscordAdapter(
        DiscordSettings(
            token=settings.discord_bot_token.get_secret_value(),
            application_id=settings.discord_application_id,
        ),
        port,
        dm_channel_store=coach.stores.dm_channels,
    )


def _console_capabilities() -> Capabilities:
    from bot.adapters.console import CAPABILITIES

    return CAPABILITIES


PLATFORMS: tuple[Platform, ...] = (
    Platform("telegram", _telegram_capabilities,
             lambda s: s.telegram_bot_token is not None, _telegram),
    Platform("discord", _discord_capabilities,
             lambda s: s.discord_bot_token is not None, _discord),
)


def all_capabilities() -> list[Capabilities]:
    """What every door can show, the terminal included."""
    return [_console_capabilities(), *(p.capabilities() for p in PLATFORMS)]


def configured(settings: Settings) -> list[Platform]:
    return [p for p in PLATFORMS if p.configured(settings)]


def build_adapters(
    settings: Settings, coach: Coach, port: CoachPort | None = None
) -> list[Adapter]:
    """An adapter for every platform whose token is configured; ``port``: what the doors
    call (the coach itself unless it is wrapped, as the service's metrics do)."""
    return [p.build(settings, coach, port or coach) for p in configured(settings)]


def start_error(exc: BaseException) -> str:
    """Why a door did not open at start: "unreachable" (the network, a timeout, a 5xx, a
    rate limit: worth trying again), "refused" (the platform refuses the bot itself: a
    wrong or revoked token) or "broken" (anything else)."""
    import aiohttp
    import discord
    from telegram import error as tg

    if isinstance(exc, tg.InvalidToken | tg.Forbidden | discord.LoginFailure):
        return "refused"
    if isinstance(exc, tg.RetryAfter | tg.TimedOut | tg.Conflict):
        return "unreachable"
    if isinstance(exc, tg.NetworkError) and not isinstance(exc, tg.BadRequest):
        return "unreachable"
    if isinstance(exc, discord.HTTPException):
        return "unreachable" if exc.status >= 500 or exc.status == 429 else "broken"
    if isinstance(exc, discord.GatewayNotFound | discord.ConnectionClosed
                  | aiohttp.ClientError | OSError | TimeoutError):
        return "unreachable"
    return "broken"

"""The platforms Kneecoach can talk on, in one table: what each can show (its
``Capabilities``), whether it is configured, and how its adapter is built. A new platform is
its package under ``bot/adapters/`` plus one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.domain.readiness import Readiness
from bot.engine.coach import Coach
from bot.engine.ports import Adapter, Capabilities, Inbox

if TYPE_CHECKING:
    from bot.adapters.telegram import RateLimits


@dataclass(frozen=True, slots=True)
class Wiring:
    """What every door is plugged into besides the coach."""

    inbox: Inbox  # where what arrives is kept before it is acknowledged
    readiness: Readiness  # where connection state and a refused token are reported


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    capabilities: Callable[[], Capabilities]
    configured: Callable[[Settings], bool]
    build: Callable[[Settings, Coach, Wiring], Adapter]
    # Messages a second its reminders go out at with these settings (Telegram's paid
    # broadcast raises it); by default its capabilities' ``messages_per_second``.
    send_rate: Callable[[Settings], float] | None = None

    def rate(self, settings: Settings | None) -> float:
        if settings is None or self.send_rate is None:
            return self.capabilities().messages_per_second
        return self.send_rate(settings)


def _telegram_capabilities() -> Capabilities:
    from bot.adapters.telegram.capabilities import CAPABILITIES

    return CAPABILITIES


def _telegram_limits(settings: Settings) -> RateLimits:
    from bot.adapters.telegram import RateLimits

    return RateLimits(in_flight=max(1, settings.telegram_in_flight),
                      paid_broadcast=settings.telegram_paid_broadcast)


def _telegram_rate(settings: Settings) -> float:
    """What reminders go out at (paid broadcast: up to 1000 a second, as far as the messages
    in flight reach)."""
    return _telegram_limits(settings).bulk_messages_per_second


def _telegram(settings: Settings, coach: Coach, wiring: Wiring) -> Adapter:
    from bot.adapters.telegram import TelegramAdapter, TelegramSettings
    from bot.store.questions import shared_questions
    from bot.store.send_budget import shared_send_budget

    assert settings.telegram_bot_token is not None
    secret = settings.telegram_webhook_secret
    limits = _telegram_limits(settings)  # on PostgreSQL its overall rate is the processes'
    return TelegramAdapter(
        TelegramSettings(
            token=settings.telegram_bot_token.get_secret_value(),
            api_base_url=settings.telegram_api_base_url,
            webhook_url=settings.telegram_webhook_url,
            webhook_listen=settings.telegram_webhook_listen,
            webhook_port=settings.telegram_webhook_port,
            webhook_secret=secret.get_secret_value() if secret else None,
        ),
        coach,
        inbox=wiring.inbox,
        readiness=wiring.readiness,
        rate_limits=limits,
        send_budget=shared_send_budget(coach.stores.db, "telegram", limits.messages_per_second),
        questions=shared_questions(coach.stores.db, "telegram"),
    )


def _discord_capabilities() -> Capabilities:
    from bot.adapters.discord.capabilities import CAPABILITIES

    return CAPABILITIES


def _discord(settings: Settings, coach: Coach, wiring: Wiring) -> Adapter:
    from bot.adapters.discord import DiscordAdapter, DiscordSettings

    assert settings.discord_bot_token is not None
    return DiscordAdapter(
        DiscordSettings(
            token=settings.discord_bot_token.get_secret_value(),
            application_id=settings.discord_application_id,
            api_base=settings.discord_api_base_url,
            shard_count=settings.discord_shard_count,
        ),
        coach,
        dm_channel_store=coach.stores.dm_channels,
        readiness=wiring.readiness,
        inbox=wiring.inbox,
    )


def _console_capabilities() -> Capabilities:
    from bot.adapters.console import CAPABILITIES

    return CAPABILITIES


PLATFORMS: tuple[Platform, ...] = (
    Platform("telegram", _telegram_capabilities,
             lambda s: s.telegram_bot_token is not None, _telegram, _telegram_rate),
    Platform("discord", _discord_capabilities,
             lambda s: s.discord_bot_token is not None, _discord),
)


def all_capabilities() -> list[Capabilities]:
    """What every door can show, the terminal included."""
    return [_console_capabilities(), *(p.capabilities() for p in PLATFORMS)]


def send_rates(settings: Settings | None = None) -> dict[str, float]:
    """Messages a second each door sends reminders at (with ``settings``: as configured,
    Telegram's paid broadcast included; without: the platforms' own limits)."""
    rates = {"console": _console_capabilities().messages_per_second}
    rates.update({p.name: p.rate(settings) for p in PLATFORMS})
    return rates


def configured(settings: Settings) -> list[Platform]:
    return [p for p in PLATFORMS if p.configured(settings)]


def build_adapters(settings: Settings, coach: Coach, wiring: Wiring) -> list[Adapter]:
    """An adapter for every platform whose token is configured."""
    return [p.build(settings, coach, wiring) for p in configured(settings)]


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

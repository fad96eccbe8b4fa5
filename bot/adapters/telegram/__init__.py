"""The Telegram door, on python-telegram-bot 22: translation only, every decision is the
coach's. One module per concern:

* ``capabilities``: every Telegram limit, once, from ``telegram.constants`` (``CAPABILITIES``);
* ``settings``: ``TelegramSettings`` (token, self-hosted Bot API, webhook);
* ``transport``: ``AiohttpRequest``, PTB's HTTP transport on aiohttp;
* ``ratelimit``: ``RateLimits``, ``SlidingWindow``, ``TelegramRateLimiter``;
* ``inbound``: updates -> ``Envelope`` (``ConversationRef`` + ``Inbound``) for the engine's
  inbox, press answers, the webhook's durable update queue;
* ``polling``: long polling that confirms an update only once the inbox has it;
* ``outbound``: the ``Output`` seam (``BotApiOutput`` in production), sending with typed
  results and progress, marking the chosen answer;
* ``render``: pure translation of replies into Telegram HTML, keyboards and parts;
* ``adapter``: ``TelegramAdapter``, lifecycle and wiring only.

What the fake Bot API (tests/fakes/telegram_api.py) still proves and the ``Output`` seam
cannot: HTTP itself (the transport, multipart uploads, timeouts), polling and the webhook,
the rate limiter's pace against Telegram's answers, Telegram's errors as they come back
over the wire, and the process itself (killed mid-flight, restarted).
"""

from bot.adapters.telegram.adapter import TelegramAdapter, quiet_third_party_loggers
from bot.adapters.telegram.capabilities import CAPABILITIES, PLATFORM
from bot.adapters.telegram.inbound import Receiver, envelope_of
from bot.adapters.telegram.outbound import (
    NETWORK_BACKOFF,
    BotApiOutput,
    Outbound,
    Output,
    Pressed,
)
from bot.adapters.telegram.polling import Poller
from bot.adapters.telegram.ratelimit import RateLimits, SlidingWindow, TelegramRateLimiter
from bot.adapters.telegram.settings import TelegramSettings
from bot.adapters.telegram.transport import AiohttpRequest

__all__ = [
    "CAPABILITIES",
    "NETWORK_BACKOFF",
    "PLATFORM",
    "AiohttpRequest",
    "BotApiOutput",
    "Outbound",
    "Output",
    "Poller",
    "Pressed",
    "RateLimits",
    "Receiver",
    "SlidingWindow",
    "TelegramAdapter",
    "TelegramRateLimiter",
    "TelegramSettings",
    "envelope_of",
    "quiet_third_party_loggers",
]

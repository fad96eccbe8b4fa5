"""What a platform answered to a send: sent, retry after N seconds, unreachable, blocked,
not permitted, failed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sent:
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RetryAfter:
    seconds: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The platform itself did not answer (network, timeout, a 5xx): the chat is not at
    fault. Try again in ``seconds`` at the earliest, once the platform is back (the delivery
    worker then probes with one message instead of retrying every one)."""

    seconds: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Blocked:
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NotPermitted:
    """The platform refused because the bot lacks a permission where it posted (a server
    channel it may not view or send in: Discord's 403 50001/50013, Telegram's "not enough
    rights"). Unlike ``Blocked``, the conversation is still there and a server's admin can
    fix it; retrying as it is would be refused again."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str = ""


SendResult = Sent | RetryAfter | Unreachable | Blocked | NotPermitted | Failed

"""Plain records of a person and their programme, as the store hands them to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain.events import ConversationRef


@dataclass(slots=True)
class User:
    id: int
    platform: str
    platform_user_id: str
    chat_id: str
    consent_at: str | None
    age_band: str | None
    active: bool
    locale: str = "en"

    @property
    def ref(self) -> ConversationRef:
        return ConversationRef(self.platform, self.platform_user_id, self.chat_id)


@dataclass(slots=True)
class DialogState:
    dialog: str | None = None
    step: str | None = None
    seq: int = 0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    user_id: int
    started_on: date
    status: str
    paused_until: date | None
    strength_days: list[int]
    race: str | None


@dataclass(slots=True)
class Reminder:
    user_id: int
    local_time: str
    timezone: str
    next_due: datetime
    active: bool


@dataclass(slots=True)
class Checkin:
    local_date: date
    worst_pain: int
    worse_morning: bool
    swelling: bool


@dataclass(slots=True)
class Club:
    """A server's running club: where and when its daily prehab post goes."""

    id: int
    platform: str
    guild_id: str
    channel_id: str
    local_time: str
    timezone: str
    active: bool
    # Who set the post up (their platform user id), to be told privately when it cannot go
    # out; None for a club set up before that was kept.
    admin_id: str | None = None
    channel_name: str = ""
    refused_posts: int = 0  # posts in a row the platform refused for lack of permission

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
    equipment: list[str] = field(default_factory=list)  # what they have beyond the assumed
    minutes: int = 20  # for strength work on a strength day


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


@dataclass(frozen=True, slots=True)
class Workout:
    """The session one day showed: strength and daily exercise ids."""

    local_date: date
    strength: tuple[str, ...]
    daily: tuple[str, ...]
    short: bool = False
    card_shown: bool = False


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A move along a ladder, and why (easy, steady, hard, hurt, worse_morning, top, bottom)."""

    id: int
    ladder: str
    from_level: str
    to_level: str
    reason: str
    local_date: date
    at: datetime
    told_on: date | None


@dataclass(frozen=True, slots=True)
class Feedback:
    """How a strength session felt for one of its moves."""

    local_date: date
    ladder: str
    level: str
    rating: str  # too_easy | about_right | too_hard | hurt
    at: datetime


@dataclass(frozen=True, slots=True)
class RunningWeek:
    """A weekly running suggestion and the week of running it was based on."""

    week: int
    mode: str  # walk_run | distance
    stage: int | None
    target_km: float | None
    km: float
    verdict: str  # none | fine | acceptable | ease
    suggestion: str

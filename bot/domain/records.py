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


@dataclass(slots=True)
class TriageRecord:
    """One triage outcome, when (UTC) and the signals that fired."""

    at: datetime
    outcome: str
    signals: list[str]


@dataclass(slots=True)
class SafetyEvent:
    """A red flag (``level`` urgent / see_clinician, with its signals and where it came up:
    ``context``) or ``cleared`` (the person said a clinician had seen the knee)."""

    at: datetime
    level: str
    signals: list[str]
    context: str


@dataclass(slots=True)
class Recommendation:
    """A recommendation the coach made (``key``: the message it said) and why."""

    at: datetime
    key: str
    reason: str

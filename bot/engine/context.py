"""The working set of one handled event, shared by the coach and its services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.records import DialogState, User
from bot.engine.conversation import Turn


@dataclass(slots=True)
class Ctx:
    user: User
    state: DialogState
    turn: Turn
    now: datetime
    # A dialog to begin as soon as the current one has ended (check-in after the session).
    then: str | None = None

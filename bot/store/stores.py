"""Every repository over one database: what the composition root hands out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.clubs import ClubStore
from bot.store.database import Database
from bot.store.dm_channels import StoredDMChannels
from bot.store.outbox import OutboxStore
from bot.store.outcomes import OutcomeStore
from bot.store.programme import ProgrammeStore
from bot.store.progression import ProgressionStore
from bot.store.users import UserStore


@dataclass(frozen=True, slots=True)
class Stores:
    db: Database
    users: UserStore
    programme: ProgrammeStore
    progression: ProgressionStore
    outcomes: OutcomeStore
    clubs: ClubStore
    outbox: OutboxStore
    dm_channels: StoredDMChannels

    @classmethod
    def over(cls, db: Database) -> Stores:
        return cls(
            db=db,
            users=UserStore(db),
            programme=ProgrammeStore(db),
            progression=ProgressionStore(db),
            outcomes=OutcomeStore(db),
            clubs=ClubStore(db),
            outbox=OutboxStore(db),
            dm_channels=StoredDMChannels(db),
        )

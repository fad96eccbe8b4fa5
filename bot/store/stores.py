"""Every repository over one database: what the composition root hands out."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta

from bot.store.clubs import ClubStore
from bot.store.database import Database, Tx
from bot.store.dm_channels import StoredDMChannels
from bot.store.inbox import InboxStore
from bot.store.load import LoadStore
from bot.store.outbox import LEASE, OutboxStore
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
    inbox: InboxStore
    dm_channels: StoredDMChannels
    load: LoadStore

    def turn(self, person: str) -> AbstractAsyncContextManager[Tx]:
        """``person``'s turn: every repository call of this task inside it is one
        transaction, and no other turn of theirs runs meanwhile (``Database.turn``)."""
        return self.db.turn(person)

    @classmethod
    def over(cls, db: Database, *, lease: timedelta = LEASE) -> Stores:
        """The repositories on ``db``; ``lease``: how long work this process takes from a
        shared database stays its own (KNEECOACH_LEASE_SECONDS)."""
        return cls(
            db=db,
            users=UserStore(db),
            programme=ProgrammeStore(db),
            progression=ProgressionStore(db),
            outcomes=OutcomeStore(db),
            clubs=ClubStore(db),
            outbox=OutboxStore(db, lease=lease),
            inbox=InboxStore(db),
            dm_channels=StoredDMChannels(db),
            load=LoadStore(db),
        )

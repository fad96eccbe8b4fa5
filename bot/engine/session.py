"""What a feature may touch while it handles one event for one person.

A session is made by the coach with the person's lock held: the person, their dialog state,
the clock's now, their language's content and texts, the user store, and the replies so
far. Features add replies, begin or end a dialog, and ask for a dialog to follow the
current one; they never reach into the coach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.content.locale import Content
from bot.content.texts import Texts
from bot.domain.events import Reply
from bot.domain.records import DialogState, User
from bot.engine.conversation import Turn
from bot.store.users import UserStore

if TYPE_CHECKING:
    from bot.engine.textbook import TextBook
    from bot.engine.triage import Triage


class DialogHost(Protocol):
    async def begin(self, session: Session, dialog_id: str, data: dict[str, Any] | None) -> None:
        ...

    def question(self, session: Session) -> Reply: ...

    def then_allowed(self, session: Session, dialog_id: str) -> bool: ...

    async def back(self, session: Session) -> bool: ...


@dataclass(slots=True)
class Session:
    host: DialogHost
    user: User
    state: DialogState
    now: datetime
    content: Content
    book: TextBook
    triage: Triage
    users: UserStore
    turn: Turn
    # A dialog to begin as soon as the current one has ended (the check-in after a session).
    then: str | None = None

    @property
    def texts(self) -> Texts:
        return self.content.texts

    @property
    def replies(self) -> list[Reply]:
        return self.turn.replies

    def text(self, key: str, **values: object) -> str:
        return self.content.texts.get(key, **values)

    def say(self, key: str, **values: object) -> None:
        self.turn.replies.append(Reply(key=key, text=self.text(key, **values)))

    def add(self, reply: Reply) -> None:
        self.turn.replies.append(reply)

    async def begin(self, dialog_id: str, data: dict[str, Any] | None = None) -> None:
        await self.host.begin(self, dialog_id, data)

    async def back(self) -> bool:
        """One question back; False when there is nowhere to go back to."""
        return await self.host.back(self)

    def end_dialog(self) -> None:
        self.state.dialog = None
        self.state.step = None
        self.state.data = {}

    def follow_with(self, dialog_id: str) -> None:
        """Begin ``dialog_id`` once the current dialog ends (the step must declare it in
        ``then``, so the diagrams show every jump)."""
        if not self.host.then_allowed(self, dialog_id):
            raise RuntimeError(
                f"{self.state.dialog}.{self.state.step} does not declare then: [{dialog_id}]"
            )
        self.then = dialog_id

    def reask(self) -> None:
        if self.state.dialog is not None and self.state.step is not None:
            self.turn.replies.append(self.host.question(self))

    def stale(self) -> None:
        self.say("input.stale")
        self.reask()

    def erase(self) -> None:
        """The person was erased: nothing more may be stored this turn."""
        self.turn.erased = True

    @property
    def erased(self) -> bool:
        return self.turn.erased

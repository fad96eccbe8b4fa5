"""Finding one's way: /help, /back (one question back) and /cancel (leave the questions)."""

from __future__ import annotations

from bot.engine.feature import Registry
from bot.engine.session import Session

TEXTS = {
    "help.text": (),
    "back.nothing": (),
    "cancel.done": (),
    "cancel.nothing": (),
}


class Navigation:
    name = "navigation"

    def register(self, registry: Registry) -> None:
        registry.command("help", self.help, menu=True)
        registry.command("back", self.back)
        registry.command("cancel", self.cancel)
        registry.texts(TEXTS)

    async def help(self, session: Session, args: str) -> None:
        session.say("help.text")
        session.reask()

    async def back(self, session: Session, args: str) -> None:
        if not await session.back():
            session.say("back.nothing")
            session.reask()

    async def cancel(self, session: Session, args: str) -> None:
        if session.state.dialog is None:
            session.say("cancel.nothing")
            return
        session.end_dialog()
        session.say("cancel.done")

"""The person's data: /export (everything stored, as JSON) and /forget (erase all)."""

from __future__ import annotations

import json

from bot.domain.events import Reply
from bot.engine.feature import Registry
from bot.engine.session import Session

TEXTS = {
    "export.intro": (),
    "forget.done": (),
}


class Privacy:
    name = "privacy"

    def register(self, registry: Registry) -> None:
        registry.command("export", self.export, menu=True)
        registry.command("forget", self.forget, menu=True)
        registry.action("forget", self.erase)
        registry.texts(TEXTS)

    async def export(self, session: Session, args: str) -> None:
        data = await session.users.export(session.user.id)
        payload = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True)
        session.add(Reply(key="export.data", text=session.text("export.intro") + "\n\n" + payload))

    async def forget(self, session: Session, args: str) -> None:
        await session.begin("forget")

    async def erase(self, session: Session) -> str | None:
        await session.users.forget(session.user.id)
        session.erase()
        session.say("forget.done")
        return None

"""The person's data: /export (everything stored, as one JSON file) and /forget (erase all).

Both answer only in a private chat: in a group or a server channel the host never hands a
command to a feature, so no file with health data can be posted there.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.domain.events import Document, Reply
from bot.domain.localtime import local_date
from bot.domain.zones import zone_from_name
from bot.engine.feature import Registry
from bot.engine.session import Session

TEXTS = {
    "export.intro": (),
    "export_file.description": (),
    "forget.done": (),
}
JSON = "application/json"


def export_filename(day: date) -> str:
    return f"kneecoach-export-{day.isoformat()}.json"


def export_day(data: dict[str, Any], now: datetime) -> date:
    """Today in the person's own time zone (from their reminder), else in UTC."""
    reminders = data.get("reminders") or []
    zone_name = reminders[0].get("timezone") if reminders else None
    try:
        return local_date(now, zone_from_name(str(zone_name or "UTC")))
    except (KeyError, ValueError):
        return local_date(now, zone_from_name("UTC"))


class Privacy:
    name = "privacy"

    def register(self, registry: Registry) -> None:
        registry.command("export", self.export, menu=True)
        registry.command("forget", self.forget, menu=True)
        registry.action("forget", self.erase)
        registry.texts(TEXTS)

    async def export(self, session: Session, args: str) -> None:
        """Everything stored about the person, table by table, as one valid JSON document
        (kneecoach-export-<date>.json) with a one-line explanation."""
        data = await session.users.export(session.user.id)
        payload = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True)
        document = Document(payload.encode("utf-8"), export_filename(export_day(data, session.now)),
                            JSON, session.text("export_file.description"))
        session.add(Reply(key="export.data", text=session.text("export.intro"),
                          attachment=document))

    async def forget(self, session: Session, args: str) -> None:
        await session.begin("forget")

    async def erase(self, session: Session) -> str | None:
        await session.users.forget(session.user.id)
        session.erase()
        session.say("forget.done")
        return None

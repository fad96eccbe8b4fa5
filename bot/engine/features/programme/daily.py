"""The daily session: /today, the daily prompt a reminder sends, its short version,
snoozing, and recording how it went (which leads on to the feedback question after
strength work, then the check-in)."""

from __future__ import annotations

from datetime import date

from bot.domain.weeks import DONE
from bot.engine.features.programme.plan import SNOOZE, Kit
from bot.engine.features.programme.progression import Progression
from bot.engine.session import Session

TEXTS = {
    "daily.greeting": (),
    "daily.snoozed": (),
    "daily.snooze_used": (),
    "daily.recorded.done": (),
    "daily.recorded.partial": (),
    "daily.recorded.skipped": (),
}
RECORDED = {"done": "done", "partial": "partial", "skip": "skipped"}


class Daily:
    def __init__(self, kit: Kit, progression: Progression) -> None:
        self.kit = kit
        self.store = kit.store
        self.progression = progression

    async def today(self, session: Session, args: str) -> None:
        blocked = await self.kit.gate(session)
        if blocked is not None:
            session.add(blocked)
            return
        _, today = await self.kit.zone_today(session.user.id, session.now)
        session.add(await self.kit.session_reply(session, today, "today.session"))

    async def show_session(self, session: Session) -> str | None:
        blocked = await self.kit.gate(session)
        if blocked is not None:
            session.add(blocked)
            session.end_dialog()
            return None
        _, today = await self.kit.zone_today(session.user.id, session.now)
        session.state.data["day"] = today.isoformat()
        greeting = session.text("daily.greeting") if session.state.data.get("greeting") else None
        session.add(await self.kit.session_reply(session, today, "daily.session", greeting))
        return None

    async def show_short(self, session: Session) -> str | None:
        """The busy-day version: one knee move, one hip move, one stretch."""
        blocked = await self.kit.gate(session)
        if blocked is not None:
            session.add(blocked)
            session.end_dialog()
            return None
        _, today = await self.kit.zone_today(session.user.id, session.now)
        day = date.fromisoformat(session.state.data.get("day", today.isoformat()))
        session.add(await self.kit.session_reply(session, day, "daily.short", short=True))
        return None

    async def snooze(self, session: Session) -> str | None:
        _, today = await self.kit.zone_today(session.user.id, session.now)
        if await self.store.add_snooze(session.user.id, today, session.now + SNOOZE):
            session.say("daily.snoozed")
        else:
            session.say("daily.snooze_used")
        return None

    async def record_session(self, session: Session) -> str | None:
        answers = session.state.data.get("answers", {})
        status = RECORDED[str(answers["session"])]
        _, today = await self.kit.zone_today(session.user.id, session.now)
        day = date.fromisoformat(session.state.data.get("day", today.isoformat()))
        await self.store.record_session(session.user.id, day, status, session.now)
        session.say(f"daily.recorded.{status}")
        if (status in DONE and await self.kit.gate(session) is None
                and await self.progression.ask_about(session, day)):
            answers["feedback"] = "ask"  # how it felt; the check-in follows that
            return None
        if not any(c.local_date == day for c in await self.store.checkins(session.user.id)):
            session.follow_with("checkin")
        return None

    async def compose(self, session: Session, local_day: date) -> bool:
        """The daily prompt (and a snoozed one): today's session and its buttons."""
        plan = await self.store.plan(session.user.id)
        if plan is None or plan.status not in {"active", "paused"}:
            return False
        if plan.paused_until is not None and local_day < plan.paused_until:
            return False
        if plan.status == "paused":
            await self.store.set_status(session.user.id, "active", session.now)
        if await self.kit.gate(session) is not None:
            return False  # no prompt for someone who may not have the programme now
        await session.begin("daily", {"greeting": True})
        return True

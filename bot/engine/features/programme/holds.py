"""Holds for a clinician: a red flag typed anywhere pauses the programme, and the buttons
that follow (a clinician has checked it; pause or keep going after an escalation)."""

from __future__ import annotations

from bot.engine.features.programme.plan import PROGRAMME_DIALOGS, Kit
from bot.engine.screener import ScreenResult
from bot.engine.session import Session

TEXTS = {
    "safety.hold_cleared": (),
    "escalate.paused": (),
    "escalate.keep_going": (),
}


class Holds:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.store = kit.store

    async def on_red_flag(self, session: Session, screening: ScreenResult) -> None:
        """A red flag typed anywhere pauses the programme until a clinician has seen it; a
        session or check-in under way stops there."""
        plan = await self.store.plan(session.user.id)
        if plan is not None and plan.status == "active":
            await self.kit.hold(session)
        if session.state.dialog in PROGRAMME_DIALOGS:
            session.end_dialog()
            if screening.level != "urgent":
                session.add(self.kit.hold_reply(session))

    async def press(self, session: Session, arg: str) -> None:
        user_id, users = session.user.id, session.users
        plan = await self.store.plan(user_id)
        if arg == "seen" and await users.on_clinician_hold(user_id):
            await users.clear_hold(user_id, session.now)
            if plan is not None and plan.status == "hold":
                await self.kit.resume(session)
            else:
                session.say("safety.hold_cleared")
            return
        if plan is None:
            session.stale()
            return
        if arg == "seen" and plan.status == "hold":
            await users.clear_hold(user_id, session.now)
            await self.kit.resume(session)
        elif arg == "pause" and plan.status == "active":
            await self.store.set_status(user_id, "stopped", session.now)
            await self.store.set_reminder_active(user_id, False)
            session.say("escalate.paused")
        elif arg == "keep" and plan.status == "active":
            session.say("escalate.keep_going")
        else:
            session.stale()

"""What every part of the programme shares: where the runner is in their plan and time
zone, today's session, holds for a clinician, recommendations, and how times are worded."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from bot.domain.events import Button, Reply
from bot.domain.localtime import local_date
from bot.domain.records import Checkin, Plan
from bot.domain.zones import zone_from_name
from bot.engine.session import Session
from bot.store.programme import ProgrammeStore

PROGRAMME_WEEKS = 6
SNOOZE = timedelta(hours=1)
RATING_SCORES = {
    "much_worse": -3, "worse": -2, "slightly_worse": -1, "same": 0,
    "slightly_better": 1, "better": 2, "much_better": 3,
}
PROGRAMME_DIALOGS = frozenset({"daily", "checkin", "weekly"})

TEXTS = {
    "programme.needs_start": (),
    "gate.not_offered": ("outcome",),
    "session.eased": (),
    "safety.hold": (),
    "buttons.clinician_seen": (),
    "settings.when": ("day", "time", "zone"),
    "settings.day_names": (),
    "settings.resumed": ("when",),
}


def week_of(plan: Plan, today: date) -> int:
    return max(0, (today - plan.started_on).days) // 7 + 1


def needs_easing(checkin: Checkin) -> bool:
    return checkin.worst_pain > 5 or checkin.worse_morning


class Kit:
    """The programme store and the helpers the programme's parts share."""

    def __init__(self, store: ProgrammeStore) -> None:
        self.store = store

    async def zone_today(self, user_id: int, now: datetime) -> tuple[tzinfo, date]:
        reminder = await self.store.reminder(user_id)
        zone = zone_from_name(reminder.timezone if reminder else "UTC")
        return zone, local_date(now, zone)

    async def session_reply(
        self, session: Session, today: date, key: str, greeting: str | None = None
    ) -> Reply:
        plan = await self.store.plan(session.user.id)
        if plan is None:
            return session.book.session_reply(week=1, strength_day=True, key=key)
        week = week_of(plan, today)
        checkins = await self.store.checkins(session.user.id)
        recent = [c for c in checkins if (today - c.local_date).days <= 3]
        eased = bool(recent) and needs_easing(recent[-1])
        notes = [greeting, session.text("session.eased") if eased else None]
        preface = "\n\n".join(n for n in notes if n) or None
        return session.book.session_reply(
            week=week,
            strength_day=today.weekday() in plan.strength_days,
            key=key,
            preface=preface,
            eased=eased,
        )

    @staticmethod
    def hold_reply(session: Session) -> Reply:
        return session.book.hold_reply()

    async def gate(self, session: Session) -> Reply | None:
        """Why this person may not have a home-programme session now, as the reply to
        send, or None when they may: no consent (or erased: under 13), on hold for a
        clinician (an urgent or see-a-clinician outcome or red flag, until "a clinician has
        checked it"), or a latest triage that did not suggest the programme (another cause
        likely, a teenager's growth-related pain, not enough to go on)."""
        user_id = session.user.id
        if session.user.consent_at is None:
            return Reply(key="programme.needs_start", text=session.text("programme.needs_start"))
        if await session.users.on_clinician_hold(user_id):
            return self.hold_reply(session)
        latest = await session.users.latest_triage(user_id)
        if latest is None:
            return Reply(key="programme.needs_start", text=session.text("programme.needs_start"))
        outcome = latest[0]
        if outcome != "pfp_program":
            label = session.triage.label_for(outcome)
            return Reply(key="gate.not_offered",
                         text=session.text("gate.not_offered", outcome=label))
        return None

    async def hold(self, session: Session) -> None:
        """No sessions and no reminders until a clinician has seen the knee."""
        user_id = session.user.id
        await self.store.set_status(user_id, "hold", session.now)
        await self.store.set_reminder_active(user_id, False)
        await self.store.cancel_pending(user_id)

    async def resume(self, session: Session) -> None:
        plan = await self.store.plan(session.user.id)
        reminder = await self.store.reminder(session.user.id)
        if plan is None or reminder is None:
            session.say("programme.needs_start")
            return
        await self.store.set_status(session.user.id, "active", session.now)
        due = await self.store.set_reminder(
            session.user.id, reminder.local_time, reminder.timezone, session.now
        )
        session.say("settings.resumed", when=self.when(session, due, reminder.timezone))

    async def recommend(
        self, session: Session, key: str, reason: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> None:
        """A recommendation, made once: it is recorded, and said only the first time."""
        if await self.store.recommend(session.user.id, key, reason, session.now):
            session.add(Reply(key=key, text=session.text(key, reason=reason), buttons=buttons))

    @staticmethod
    def when(session: Session, due: datetime, zone_name: str) -> str:
        local = due.astimezone(zone_from_name(zone_name))
        return session.text("settings.when", day=local.strftime("%a %d %b"),
                            time=local.strftime("%H:%M"), zone=zone_name)

    @staticmethod
    def day_names(session: Session, days: list[int]) -> str:
        names = session.text("settings.day_names").split()
        return ", ".join(names[d] for d in sorted(days))

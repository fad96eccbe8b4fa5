"""What every part of the programme shares: where the runner is in their plan and time
zone, today's workout (built once a day from their ladders, equipment and minutes), the
changes of level told at the top of a session, the day's education card, holds for a
clinician, recommendations, and how times are worded."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.events import Button, Reply
from bot.domain.localtime import local_date, next_occurrence
from bot.domain.records import Checkin, LevelChange, Plan, Workout
from bot.domain.weeks import programme_week
from bot.domain.zones import zone_from_name
from bot.engine.session import Session
from bot.engine.workouts import levels_now, short_moves, strength_moves, usable_equipment
from bot.store.outcomes import OutcomeStore
from bot.store.programme import ProgrammeStore
from bot.store.progression import ProgressionStore

SNOOZE = timedelta(hours=1)
RATING_SCORES = {
    "much_worse": -3, "worse": -2, "slightly_worse": -1, "same": 0,
    "slightly_better": 1, "better": 2, "much_better": 3,
}
PROGRAMME_DIALOGS = frozenset({"daily", "checkin", "weekly", "function"})
# Changes that tell the runner to make a move harder or easier within its level.
IN_PLACE = frozenset({"top", "bottom"})

TEXTS = {
    "programme.needs_start": (),
    "gate.not_offered": ("outcome",),
    "session.eased": (),
    "safety.hold": (),
    "buttons.clinician_seen": (),
    "settings.when": ("day", "time", "zone"),
    "settings.day_names": (),
    "settings.resumed": ("when",),
    "plan.card": ("day", "text", "topic"),
    "review.levels_none": (),
    "plan.change.easy": ("old", "new"),
    "plan.change.steady": ("old", "new", "count"),
    "plan.change.hard": ("old", "new"),
    "plan.change.hurt": ("old", "new"),
    "plan.change.worse_morning": ("old", "new"),
    "plan.change.top": ("old", "how"),
    "plan.change.top_equipment": ("old", "how", "equipment"),
    "equipment.band": (),
    "equipment.weights": (),
    "equipment.step": (),
    "equipment.either": (),
    "equipment.both": (),
    "plan.change.bottom": ("old", "how"),
    "schedule.today": (),
    "schedule.tomorrow": (),
    "schedule.on_date": ("date",),
    "schedule.date": ("weekday", "day", "month"),
    "schedule.months": (),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Scheduled:
    """When the next prompt is due, and whether today (the local day the new time or zone
    would have fallen on) had already had its prompt."""

    due: datetime
    day_taken: bool


def week_of(plan: Plan, today: date) -> int:
    """The programme week of ``today`` (``bot.domain.weeks``)."""
    return programme_week(plan.started_on, today)


def content_equipment(session: Session) -> list[str]:
    """The equipment the programme asks about (each has a name in the texts)."""
    return list(session.content.equipment.asked)


def needs_easing(checkin: Checkin) -> bool:
    return checkin.worst_pain > 5 or checkin.worse_morning


class Kit:
    """The programme's stores and the helpers the programme's parts share."""

    def __init__(
        self, store: ProgrammeStore, progression: ProgressionStore, outcomes: OutcomeStore
    ) -> None:
        self.store = store
        self.progression = progression
        self.outcomes = outcomes

    async def zone_today(self, user_id: int, now: datetime) -> tuple[tzinfo, date]:
        reminder = await self.store.reminder(user_id)
        zone = zone_from_name(reminder.timezone if reminder else "UTC")
        return zone, local_date(now, zone)

    @staticmethod
    def equipment(session: Session, plan: Plan | None) -> frozenset[str]:
        """Everything the runner can use: the assumed equipment and what they said."""
        return usable_equipment(session.content, plan.equipment if plan else ())

    # ----- the day's workout --------------------------------------------------------------

    async def session_reply(
        self, session: Session, today: date, key: str, greeting: str | None = None,
        short: bool = False,
    ) -> Reply:
        """Today's session as a reply, or the gate's reply when this person may not have a
        session now (every view of a session comes here, so none goes round the gate)."""
        blocked = await self.gate(session)
        if blocked is not None:
            return blocked
        plan = await self.store.plan(session.user.id)
        if plan is None:
            return session.book.session_reply(week=1, workout=self.sample(session, today),
                                              key=key)
        week = week_of(plan, today)
        workout, notes = await self.workout(session, plan, today, short)
        card = None
        if not workout.card_shown:
            card = self.card(session, plan, today)
            workout = dataclasses.replace(workout, card_shown=True)
            await self.progression.save_workout(session.user.id, workout, session.now)
        # A tough programme day eases the next strength work (one set fewer): not a
        # stretch-only day, which has no sets, and not pain reported about a day before the
        # programme began (the first check-in asks about yesterday).
        checkins = await self.store.checkins(session.user.id)
        recent = [c for c in checkins if (today - c.local_date).days <= 3
                  and c.local_date > plan.started_on]
        eased = bool(recent) and needs_easing(recent[-1]) and bool(workout.strength)
        parts = [greeting, card, *notes, session.text("session.eased") if eased else None]
        preface = "\n\n".join(p for p in parts if p) or None
        return session.book.session_reply(week=week, workout=workout, key=key,
                                          preface=preface, eased=eased)

    @staticmethod
    def sample(session: Session, today: date) -> Workout:
        """A first-level session for someone without a programme (no equipment)."""
        content = session.content
        has = usable_equipment(content, ())
        moves = strength_moves(content, has, content.programme.selection.minutes.default, {},
                               turn=0)
        return Workout(today, moves, tuple(content.programme.daily))

    async def workout(
        self, session: Session, plan: Plan, today: date, short: bool = False,
        rebuild: bool = False,
    ) -> tuple[Workout, list[str]]:
        """Today's workout (built once a day; the short version on request; ``rebuild``:
        again, as the equipment or minutes changed) and, when it is first built, one
        sentence for each change of level it carries."""
        user_id = session.user.id
        stored = await self.progression.workout(user_id, today)
        if stored is not None and not rebuild and (stored.short or not short):
            return stored, []
        content = session.content
        has = self.equipment(session, plan)
        levels = await self.progression.levels(user_id)
        earlier = await self.progression.workouts(user_id)
        turn = sum(1 for w in earlier if w.strength and w.local_date < today)
        strength_day = today.weekday() in plan.strength_days
        if short:
            strength, daily = short_moves(content, has, levels, turn, strength_day)
        else:
            strength = (strength_moves(content, has, plan.minutes, levels, turn)
                        if strength_day else ())
            daily = tuple(content.programme.daily)
        workout = Workout(today, strength, daily, short=short,
                          card_shown=stored.card_shown if stored else False)
        await self.progression.save_workout(user_id, workout, session.now)
        notes = await self.tell_changes(session, workout, has) if stored is None else []
        return workout, notes

    async def tell_changes(
        self, session: Session, workout: Workout, has: frozenset[str]
    ) -> list[str]:
        """One sentence per ladder of this workout whose level changed since it was last
        told; each change is told once."""
        content = session.content
        ladders = {content.exercises[i].ladder: i for i in workout.strength}
        untold: dict[str, list[LevelChange]] = {}
        said: set[tuple[str, str, str]] = set()
        for change in await self.progression.changes(session.user.id):
            if change.told_on is not None:
                said.add((change.ladder, change.reason, change.to_level))
            elif change.ladder in ladders:
                untold.setdefault(change.ladder, []).append(change)
        notes: list[str] = []
        told: list[int] = []
        for changes in untold.values():
            told.extend(c.id for c in changes)
            last = changes[-1]
            if last.reason in IN_PLACE and (last.ladder, last.reason, last.to_level) in said:
                continue  # "make it harder (easier) within the move" is said once a level
            note = self.change_note(session, changes[0].from_level, last, has)
            if note:
                notes.append(note)
        if told:
            await self.progression.mark_told(session.user.id, told, workout.local_date)
        return notes

    @staticmethod
    def change_note(
        session: Session, did: str, last: LevelChange, has: frozenset[str]
    ) -> str | None:
        exercises = session.content.exercises
        old = exercises[did].name
        if last.reason in IN_PLACE:
            how = exercises[last.to_level]
            levels = session.content.ladders[last.ladder].levels
            above = levels[levels.index(last.to_level) + 1:]
            if last.reason == "top" and above:
                # the ladder goes on, with equipment the runner does not have
                need = exercises[above[0]]
                name = {e: session.text(f"equipment.{e}") for e in content_equipment(session)}
                parts = [name[e] for e in need.equipment if e not in has]
                if need.any_of and not any(e in has for e in need.any_of):
                    parts.append(session.text("equipment.either").join(
                        name[e] for e in need.any_of))
                return session.text("plan.change.top_equipment", old=old, how=how.harder,
                                    equipment=session.text("equipment.both").join(parts))
            return session.text(f"plan.change.{last.reason}", old=old,
                                how=how.harder if last.reason == "top" else how.easier)
        if did == last.to_level:
            return None  # up and back down again (or the other way): nothing to tell
        return session.text(
            f"plan.change.{last.reason}", old=old, new=exercises[last.to_level].name,
            count=session.content.programme.progression.steady_sessions,
        )

    @staticmethod
    def card(session: Session, plan: Plan, today: date) -> str | None:
        """The education card of this programme day (the first two weeks)."""
        day = (today - plan.started_on).days + 1
        card = session.content.programme.cards.get(day)
        if card is None:
            return None
        return session.text("plan.card", day=day, text=card.text, topic=card.topic)

    async def levels_reached(self, session: Session, plan: Plan) -> str:
        """Each ladder the runner has trained, with the level they are on now."""
        content = session.content
        found = levels_now(content, self.equipment(session, plan),
                           await self.progression.levels(session.user.id),
                           await self.progression.workouts(session.user.id))
        parts = [f"{content.ladders[ladder].name}: {content.exercises[level].name}"
                 for ladder, level in found]
        return "; ".join(parts) or session.text("review.levels_none")

    # ----- holds, resuming, recommendations -----------------------------------------------

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
        scheduled = await self.schedule(session, reminder.local_time, reminder.timezone)
        session.say("settings.resumed",
                    when=self.when(session, scheduled.due, reminder.timezone))

    async def recommend(
        self, session: Session, key: str, reason: str,
        buttons: tuple[tuple[Button, ...], ...] = (), say: bool = True,
    ) -> None:
        """A recommendation, made once: it is recorded, and said only the first time (not
        at all with ``say`` False: it was just said in other words)."""
        if await self.store.recommend(session.user.id, key, reason, session.now) and say:
            session.add(Reply(key=key, text=session.text(key, reason=reason), buttons=buttons))

    async def next_prompt(
        self, user_id: int, local_time: str, zone_name: str, after: datetime
    ) -> Scheduled:
        """The first occurrence of the wall time after ``after`` on a local day that has not
        had its prompt yet: one prompt a local day (the outbox keeps one), so a time or zone
        changed after today's prompt starts tomorrow."""
        zone = zone_from_name(zone_name)
        wall = time.fromisoformat(local_time)
        due = next_occurrence(wall, zone, after)
        taken = False
        for _ in range(3):  # a zone change can make the next local day a taken one too
            if not await self.store.daily_taken(user_id, local_date(due, zone)):
                break
            taken = True
            due = next_occurrence(wall, zone, due)
        return Scheduled(due, taken)

    async def schedule(
        self, session: Session, local_time: str, zone_name: str, active: bool = True,
        after: datetime | None = None,
    ) -> Scheduled:
        """Store the reminder's wall time and zone, due at its next prompt (``next_prompt``
        after ``after``, by default now)."""
        user_id = session.user.id
        scheduled = await self.next_prompt(user_id, local_time, zone_name,
                                           after or session.now)
        await self.store.set_reminder(user_id, local_time, zone_name,
                                      scheduled.due - timedelta(seconds=1), active)
        return scheduled

    @staticmethod
    def when(session: Session, due: datetime, zone_name: str) -> str:
        """"today at 18:00 (Europe/London)", "tomorrow at ...", "on Fri 6 Mar at ..."."""
        zone = zone_from_name(zone_name)
        local = due.astimezone(zone)
        today = local_date(session.now, zone)
        day = local.date()
        if day == today:
            said = session.text("schedule.today")
        elif day == today + timedelta(days=1):
            said = session.text("schedule.tomorrow")
        else:
            said = session.text("schedule.on_date", date=Kit.date_text(session, day))
        return session.text("settings.when", day=said, time=local.strftime("%H:%M"),
                            zone=zone_name)

    @staticmethod
    def date_text(session: Session, day: date) -> str:
        """A date in the runner's language ("Fri 6 Mar")."""
        weekdays = session.text("settings.day_names").split()
        months = session.text("schedule.months").split()
        return session.text("schedule.date", weekday=weekdays[day.weekday()], day=day.day,
                            month=months[day.month - 1])

    @staticmethod
    def day_names(session: Session, days: list[int]) -> str:
        names = session.text("settings.day_names").split()
        return ", ".join(names[d] for d in sorted(days))

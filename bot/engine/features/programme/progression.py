"""Progression by feedback: after a strength session, how it felt moves each ladder up, holds
it or steps it back for the next session; the next morning's check-in steps the last
session's moves back when the knee is worse, and moves a ladder up after several "about
right" sessions with pain allowing.

The rules (pain monitoring model: Silbernagel 2007, as used by Rathleff 2019; the clinical
notes: progress when a set feels easy and pain allows, regress when pain is above 5/10 or
the knee is worse the next morning):
- too easy: up one level; about right: hold;
- about right ``steady_sessions`` times in a row at one level, with no check-in pain above
  ``pain_limit`` and never worse the next morning since the first of them: up one level;
- too hard: back one level; it hurt: back one level and the ease-off advice;
- a check-in that says worse this morning: the last session's moves back one level.
Each change is stored with its reason and told once, at the top of the next session that
has the move (``Kit.tell_changes``)."""

from __future__ import annotations

from datetime import date

from bot.domain.events import Reply
from bot.domain.records import Checkin, LevelChange, Plan, Workout
from bot.domain.weeks import DONE
from bot.engine.features.programme.plan import Kit
from bot.engine.session import Session

TEXTS = {
    "feedback.thanks.too_easy": (),
    "feedback.thanks.about_right": (),
    "feedback.thanks.too_hard": (),
    "feedback.thanks.hurt": (),
}
STEPS = {"too_easy": (1, "easy"), "too_hard": (-1, "hard"), "hurt": (-1, "hurt")}
BACK = frozenset({"hard", "hurt", "worse_morning", "bottom"})
# How long after a session the next morning's check-in may still speak for it.
NEXT_MORNING_DAYS = 3


class Progression:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.store = kit.progression

    # ----- after a session ----------------------------------------------------------------

    async def ask_about(self, session: Session, day: date) -> bool:
        """Offer the feedback question for the day's strength moves (the "which exercise"
        options go into the dialog's data); False when the day had no strength work."""
        workout = await self.store.workout(session.user.id, day)
        if workout is None or not workout.strength:
            return False
        exercises = session.content.exercises
        session.state.data["choices"] = {
            "session_moves": [[exercises[i].ladder, exercises[i].name] for i in workout.strength]
        }
        return True

    async def apply_feedback(self, session: Session) -> str | None:
        answers = session.state.data.get("answers", {})
        rating = str(answers.get("feel"))
        which = str(answers.get("which") or "all")
        user_id = session.user.id
        plan = await self.kit.store.plan(user_id)
        _, today = await self.kit.zone_today(user_id, session.now)
        day = date.fromisoformat(session.state.data.get("day", today.isoformat()))
        workout = await self.store.workout(user_id, day)
        if plan is None or workout is None or rating not in {*STEPS, "about_right"}:
            session.say("programme.needs_start")
            return None
        blocked = await self.kit.gate(session)
        if blocked is not None:  # held since the session: no level moves until checked
            session.add(blocked)
            return None
        moves = {session.content.exercises[i].ladder: i for i in workout.strength}
        rated = {which: moves[which]} if which in moves else moves
        await self.store.add_feedback(user_id, day, list(rated.items()), rating, session.now)
        if rating in STEPS:
            delta, reason = STEPS[rating]
            for ladder_id in rated:
                await self.move(session, plan, ladder_id, delta, reason, day)
        session.say(f"feedback.thanks.{rating}")
        if rating == "hurt":
            band = session.content.programme.running_advice.ease
            session.add(Reply(key="advice.ease", text=f"**{band.title}**\n\n{band.text.strip()}"))
        if not any(c.local_date == today for c in await self.kit.store.checkins(user_id)):
            session.follow_with("checkin")
        return None

    # ----- after a check-in ---------------------------------------------------------------

    async def after_checkin(self, session: Session, today: date, checkin: Checkin) -> None:
        """The morning after a session: worse -> its moves back a level; settled and pain
        allowing -> a ladder with enough "about right" sessions in a row moves up."""
        user_id = session.user.id
        plan = await self.kit.store.plan(user_id)
        last = await self.last_session(user_id, today)
        if plan is None or last is None:
            return
        exercises = session.content.exercises
        changes = await self.store.changes(user_id)
        if checkin.worse_morning:
            for move in last.strength:
                ladder_id = exercises[move].ladder
                if any(c.ladder == ladder_id and c.reason in BACK
                       and c.local_date >= last.local_date for c in changes):
                    continue  # already stepped back for this session
                await self.move(session, plan, ladder_id, -1, "worse_morning", today,
                                quiet_at_end=True)
            return
        rules = session.content.programme.progression
        if checkin.worst_pain > rules.pain_limit:
            return
        checkins = await self.kit.store.checkins(user_id)
        for move in last.strength:
            ladder_id = exercises[move].ladder
            if await self.steady(user_id, ladder_id, move, last.local_date, today, checkins,
                                 changes, rules.steady_sessions, rules.pain_limit):
                await self.move(session, plan, ladder_id, 1, "steady", today, quiet_at_end=True)

    async def last_session(self, user_id: int, today: date) -> Workout | None:
        """The latest strength session before today that was done (or partly), if recent."""
        sessions = await self.kit.store.sessions(user_id)
        for workout in reversed(await self.store.workouts(user_id)):
            if workout.local_date >= today or not workout.strength:
                continue
            if (today - workout.local_date).days > NEXT_MORNING_DAYS:
                return None
            if sessions.get(workout.local_date) in DONE:
                return workout
        return None

    async def steady(
        self, user_id: int, ladder_id: str, level: str, session_day: date, today: date,
        checkins: list[Checkin], changes: list[LevelChange], needed: int, pain_limit: int,
    ) -> bool:
        """``needed`` "about right" in a row at ``level`` (the latest on ``session_day``),
        since the ladder last changed, with every check-in since the first of them at or
        below the pain limit and never worse in the morning."""
        changed = max((c.at for c in changes if c.ladder == ladder_id), default=None)
        streak = []
        for fb in reversed(await self.store.feedback(user_id, ladder_id)):
            if changed is not None and fb.at <= changed:
                break
            if fb.rating != "about_right" or fb.level != level:
                break
            streak.append(fb)
        if len(streak) < needed or streak[0].local_date != session_day:
            return False
        first = streak[needed - 1].local_date  # the first of the last ``needed``
        since = [c for c in checkins if first < c.local_date <= today]
        return bool(since) and all(
            c.worst_pain <= pain_limit and not c.worse_morning for c in since)

    # ----- one step along a ladder --------------------------------------------------------

    async def move(
        self, session: Session, plan: Plan, ladder_id: str, delta: int, reason: str,
        day: date, quiet_at_end: bool = False,
    ) -> None:
        """One level up (1) or down (-1) the runner's ladder, stored with its reason. At the
        top or the bottom the level stays and the reason says so (``top``: make it harder
        within the move; ``bottom``: easier), unless ``quiet_at_end``."""
        content = session.content
        ladder = content.ladders[ladder_id]
        levels = await self.store.levels(session.user.id)
        here, there = ladder.step(content.exercises, self.kit.equipment(session, plan),
                                  levels.get(ladder_id), delta)
        if here is None or there is None:
            return
        if here == there:
            if quiet_at_end:
                return
            reason = "top" if delta > 0 else "bottom"
        await self.store.change_level(session.user.id, ladder_id, here, there, reason, day,
                                      session.now)

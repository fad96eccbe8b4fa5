"""Starting the programme and changing it: reminder time, time zone, strength days, the
equipment and minutes strength sessions are built for, pause, resume and stop."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.domain.events import Reply
from bot.domain.localtime import local_date
from bot.domain.zones import zone_from_name
from bot.engine.features.programme.plan import Kit, Scheduled
from bot.engine.measures import BASELINE
from bot.engine.session import Session

TEXTS = {
    "programme.started": ("when", "days"),
    "programme.carried_on": ("when", "days"),
    "equipment.band": (),
    "equipment.weights": (),
    "equipment.step": (),
    "equipment.none": (),
    "equipment.set": ("equipment",),
    "equipment.minutes_set": ("minutes",),
    "escalate.race": ("reason",),
    "escalate.reason.race": (),
    "settings.time_set": ("when",),
    "settings.zone_set": ("zone", "when"),
    "settings.days_set": ("days",),
    "settings.paused": ("days", "when", "first", "last"),
    "schedule.paused_one": ("first", "when"),
    "schedule.one_a_day": (),
    "stop.done": (),
    "held.equipment_saved": ("equipment",),
    "held.minutes_saved": ("minutes",),
}


class Settings:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.store = kit.store

    async def start_programme(self, session: Session) -> str | None:
        blocked = await self.kit.gate(session)
        if blocked is not None:
            session.add(blocked)
            session.end_dialog()
            return None
        answers: dict[str, Any] = session.state.data.get("answers", {})
        zone_name = str(answers.get("timezone") or "UTC")
        local_time = str(answers.get("reminder_time") or "07:00")
        days = [int(d) for d in answers.get("strength_days") or [0, 2, 4]]
        today = local_date(session.now, zone_from_name(zone_name))
        race = str(answers.get("race") or "none")
        user_id = session.user.id
        plan = await self.store.plan(user_id)
        # Answering the questions again mid-programme never resets the week count, the
        # escalation clocks, the levels reached or the function check at the start; after
        # /stop (or the first time) the programme begins afresh.
        carry_on = plan is not None and plan.status != "stopped"
        started_on = plan.started_on if plan is not None and carry_on else today
        await self.store.start_plan(user_id, started_on, days, race, session.now,
                                    equipment=self.equipment(session, answers),
                                    minutes=self.minutes(session, answers))
        if not carry_on:
            await self.kit.progression.reset(user_id)
            await self.kit.outcomes.reset(user_id)
        scheduled = await self.kit.schedule(session, local_time, zone_name)
        await session.users.set_active(user_id, True)
        # Mid-programme the answers change the settings; the programme is not new.
        session.say("programme.carried_on" if carry_on else "programme.started",
                    when=self.kit.when(session, scheduled.due, zone_name),
                    days=self.kit.day_names(session, days))
        if race == "soon":  # recorded for the clinician's page; said once in the intake
            await self.kit.recommend(session, "escalate.race",
                                     session.text("escalate.reason.race"),
                                     say=not session.state.data.get("race_advised"))
        if carry_on and BASELINE in await self.kit.outcomes.function_totals(user_id):
            if await self.rebuild_today(session):  # with the equipment and minutes just given
                session.add(await self.kit.session_reply(session, today, "today.session"))
            return None
        # The function check at the start, which ends with the first session.
        session.follow_with("function")
        return None

    @staticmethod
    def equipment(session: Session, answers: dict[str, Any]) -> list[str]:
        """What the equipment questions said yes to (has_band -> band, ...)."""
        return [item for item in session.content.equipment.asked
                if answers.get(f"has_{item}") == "yes"]

    @staticmethod
    def minutes(session: Session, answers: dict[str, Any]) -> int:
        return int(answers.get("minutes") or session.content.programme.selection.minutes.default)

    async def settings(self, session: Session, args: str) -> None:
        if await self.store.plan(session.user.id) is None:
            session.say("programme.needs_start")
            return
        await session.begin("settings")

    async def stop(self, session: Session, args: str = "") -> None:
        user_id = session.user.id
        if await self.store.plan(user_id) is not None:
            await self.store.set_status(user_id, "stopped", session.now)
            await self.store.set_reminder_active(user_id, False)
            await self.store.cancel_pending(user_id)
        session.say("stop.done")

    async def resume(self, session: Session, args: str = "") -> None:
        """/resume (and the settings' resume): not while the gate holds sessions back."""
        blocked = await self.kit.gate(session)
        if blocked is not None:
            session.add(blocked)
            return
        await self.kit.resume(session)

    async def rebuild_today(self, session: Session) -> bool:
        """Today's session, if it was built, is built again with the new equipment or
        minutes (stored, not shown). False while the gate holds sessions back: then its
        reply is said, and nothing tells the runner a session is ready."""
        plan = await self.store.plan(session.user.id)
        _, today = await self.kit.zone_today(session.user.id, session.now)
        if plan is not None and await self.kit.progression.workout(session.user.id, today):
            await self.kit.workout(session, plan, today, rebuild=True)
        blocked = await self.kit.gate(session)
        if blocked is not None:
            session.add(blocked)
            return False
        return True

    def say_scheduled(
        self, session: Session, key: str, scheduled: Scheduled, zone_name: str, **values: str
    ) -> None:
        """The new time or zone, and when the next session comes; when today has had its
        prompt already, that the change starts tomorrow (one a day)."""
        text = session.text(key, when=self.kit.when(session, scheduled.due, zone_name),
                            **values)
        if scheduled.day_taken:
            text += " " + session.text("schedule.one_a_day")
        session.add(Reply(key=key, text=text))

    async def pause(self, session: Session, count: int, local_time: str, zone_name: str) -> None:
        """No prompts for ``count`` days, counted from the next prompt (today when today's
        has not come yet, otherwise tomorrow), named as dates."""
        user_id, now = session.user.id, session.now
        zone = zone_from_name(zone_name)
        upcoming = await self.kit.next_prompt(user_id, local_time, zone_name, now)
        first = local_date(upcoming.due, zone)
        last = first + timedelta(days=count - 1)
        until = last + timedelta(days=1)
        await self.store.set_status(user_id, "paused", now, paused_until=until)
        midnight = datetime.combine(until, time(0), zone)
        scheduled = await self.kit.schedule(session, local_time, zone_name,
                                            after=midnight - timedelta(seconds=1))
        await self.store.cancel_pending(user_id)
        when = self.kit.when(session, scheduled.due, zone_name)
        if count == 1:
            session.say("schedule.paused_one", first=self.kit.date_text(session, first),
                        when=when)
        else:
            session.say("settings.paused", days=count, when=when,
                        first=self.kit.date_text(session, first),
                        last=self.kit.date_text(session, last))

    async def apply_settings(self, session: Session) -> str | None:
        answers = session.state.data.get("answers", {})
        change = str(answers.get("change"))
        user_id, now = session.user.id, session.now
        reminder = await self.store.reminder(user_id)
        if reminder is None:
            session.say("programme.needs_start")
            return None
        if change == "time":
            local_time, zone_name = str(answers["reminder_time"]), reminder.timezone
            scheduled = await self.kit.schedule(session, local_time, zone_name, reminder.active)
            self.say_scheduled(session, "settings.time_set", scheduled, zone_name)
        elif change == "zone":
            # a quieter time taken for the new zone comes with it
            local_time = str(answers.get("reminder_time") or reminder.local_time)
            zone_name = str(answers["timezone"])
            scheduled = await self.kit.schedule(session, local_time, zone_name, reminder.active)
            self.say_scheduled(session, "settings.zone_set", scheduled, zone_name,
                               zone=zone_name)
        elif change == "days":
            days = [int(d) for d in answers["strength_days"]]
            await self.store.set_strength_days(user_id, days, now)
            session.say("settings.days_set", days=self.kit.day_names(session, days))
        elif change == "equipment":
            items = self.equipment(session, answers)
            await self.store.set_equipment(user_id, items, now)
            names = ", ".join(session.text(f"equipment.{i}") for i in items)
            if await self.rebuild_today(session):
                session.say("equipment.set", equipment=names or session.text("equipment.none"))
            else:
                session.say("held.equipment_saved",
                            equipment=names or session.text("equipment.none"))
        elif change == "minutes":
            minutes = self.minutes(session, answers)
            await self.store.set_minutes(user_id, minutes, now)
            if await self.rebuild_today(session):
                session.say("equipment.minutes_set", minutes=minutes)
            else:
                session.say("held.minutes_saved", minutes=minutes)
        elif change == "pause":
            await self.pause(session, int(answers["pause_days"]), reminder.local_time,
                             reminder.timezone)
        elif change == "resume":
            await self.resume(session)
        elif change == "stop":
            await self.stop(session)
        return None

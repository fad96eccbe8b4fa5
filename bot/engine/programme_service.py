"""The daily programme: sessions by week and weekday, check-ins, the weekly review,
escalation to a clinician, reminder settings, progress, and what each due reminder says.

It plugs into the coach through its extension points (commands, dialog actions, button
actions, red-flag hooks) and is the coach's ``Composer`` for the delivery worker.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.events import Button, Image, Reply
from bot.domain.localtime import local_date, next_occurrence
from bot.domain.records import Checkin, Plan
from bot.domain.zones import zone_from_name
from bot.engine.context import Ctx
from bot.engine.conversation import Turn
from bot.engine.ports import Delivery
from bot.engine.screener import ScreenResult

if TYPE_CHECKING:
    from bot.engine.coach import Coach

PROGRAMME_WEEKS = 6
SNOOZE = timedelta(hours=1)
RATING_SCORES = {
    "much_worse": -3, "worse": -2, "slightly_worse": -1, "same": 0,
    "slightly_better": 1, "better": 2, "much_better": 3,
}
PROGRAMME_DIALOGS = frozenset({"daily", "checkin", "weekly"})
PROGRAMME_ACTIONS = frozenset({
    "start_programme", "show_session", "snooze", "record_session", "apply_checkin",
    "apply_weekly", "apply_settings",
})


class ProgrammeService:
    def __init__(self, coach: Coach) -> None:
        self.coach = coach
        self.store = coach.stores.programme
        self.messages = coach.messages
        coach.commands.update({
            "today": self._cmd_today,
            "checkin": self._cmd_checkin,
            "progress": self._cmd_progress,
            "settings": self._cmd_settings,
            "stop": self._cmd_stop,
            "resume": self._cmd_resume,
        })
        coach.ctx_actions.update({
            "start_programme": self._act_start,
            "show_session": self._act_show_session,
            "snooze": self._act_snooze,
            "record_session": self._act_record_session,
            "apply_checkin": self._act_apply_checkin,
            "apply_weekly": self._act_apply_weekly,
            "apply_settings": self._act_apply_settings,
        })
        coach.press_actions["prog"] = self._press_programme
        coach.on_red_flag.append(self._on_red_flag)

    # ----- where the runner is ------------------------------------------------------------

    async def _zone_today(self, user_id: int, now: datetime) -> tuple[Any, date]:
        reminder = await self.store.reminder(user_id)
        zone = zone_from_name(reminder.timezone if reminder else "UTC")
        return zone, local_date(now, zone)

    @staticmethod
    def week_of(plan: Plan, today: date) -> int:
        return max(0, (today - plan.started_on).days) // 7 + 1

    async def _session(
        self, ctx: Ctx, today: date, key: str, greeting: str | None = None
    ) -> Reply:
        plan = await self.store.plan(ctx.user.id)
        if plan is None:
            return self.coach.book.session_reply(week=1, strength_day=True, key=key)
        week = self.week_of(plan, today)
        checkins = await self.store.checkins(ctx.user.id)
        recent = [c for c in checkins if (today - c.local_date).days <= 3]
        eased = bool(recent) and _needs_easing(recent[-1])
        notes = [greeting, self.messages.get("session.eased") if eased else None]
        preface = "\n\n".join(n for n in notes if n) or None
        return self.coach.book.session_reply(
            week=week,
            strength_day=today.weekday() in plan.strength_days,
            key=key,
            preface=preface,
            eased=eased,
        )

    # ----- commands -----------------------------------------------------------------------

    async def _cmd_today(self, ctx: Ctx, args: str) -> None:
        if await self.coach.users.on_clinician_hold(ctx.user.id):
            ctx.turn.replies.append(self._hold_reply())
            return
        _, today = await self._zone_today(ctx.user.id, ctx.now)
        ctx.turn.replies.append(await self._session(ctx, today, "today.session"))

    async def _cmd_checkin(self, ctx: Ctx, args: str) -> None:
        if ctx.user.consent_at is None:
            self._say(ctx.turn, "programme.needs_start")
            return
        await self.coach.begin(ctx, "checkin")

    async def _cmd_settings(self, ctx: Ctx, args: str) -> None:
        if await self.store.plan(ctx.user.id) is None:
            self._say(ctx.turn, "programme.needs_start")
            return
        await self.coach.begin(ctx, "settings")

    async def _cmd_stop(self, ctx: Ctx, args: str) -> None:
        if await self.store.plan(ctx.user.id) is not None:
            await self.store.set_status(ctx.user.id, "stopped", ctx.now)
            await self.store.set_reminder_active(ctx.user.id, False)
            await self.store.cancel_pending(ctx.user.id)
        self._say(ctx.turn, "stop.done")

    async def _cmd_resume(self, ctx: Ctx, args: str) -> None:
        await self._resume(ctx)

    async def _resume(self, ctx: Ctx) -> None:
        plan = await self.store.plan(ctx.user.id)
        reminder = await self.store.reminder(ctx.user.id)
        if plan is None or reminder is None:
            self._say(ctx.turn, "programme.needs_start")
            return
        await self.store.set_status(ctx.user.id, "active", ctx.now)
        due = await self.store.set_reminder(
            ctx.user.id, reminder.local_time, reminder.timezone, ctx.now
        )
        self._say(ctx.turn, "settings.resumed", when=self._when(due, reminder.timezone))

    async def _cmd_progress(self, ctx: Ctx, args: str) -> None:
        # matplotlib is loaded on first use: it is most of a process's memory otherwise.
        from bot.progress.chart import DayPoint, WeekPoint, progress_bar, render_progress_png

        plan = await self.store.plan(ctx.user.id)
        if plan is None:
            self._say(ctx.turn, "programme.needs_start")
            return
        _, today = await self._zone_today(ctx.user.id, ctx.now)
        checkins = await self.store.checkins(ctx.user.id)
        sessions = await self.store.sessions(ctx.user.id)
        week = self.week_of(plan, today)
        streak = _streak(sessions, today)
        days = [DayPoint(c.local_date, c.worst_pain) for c in checkins]
        per_week: dict[int, int] = {}
        for day, status in sessions.items():
            if status in {"done", "partial"}:
                number = self.week_of(plan, day)
                per_week[number] = per_week.get(number, 0) + 1
        weeks = [WeekPoint(n, per_week.get(n, 0)) for n in range(1, week + 1)]
        chart = self.coach.content.chart
        png = render_progress_png(days, weeks, streak, week, PROGRAMME_WEEKS, chart)
        bar = progress_bar(week, PROGRAMME_WEEKS, chart)
        if checkins:
            first, last = checkins[0].worst_pain, checkins[-1].worst_pain
            summary = self.messages.get(
                "progress.summary", bar=bar, first=first, last=last, checkins=len(checkins),
                sessions=sum(per_week.values()), streak=streak,
            )
        else:
            summary = self.messages.get("progress.empty", bar=bar, streak=streak)
        ctx.turn.replies.append(
            Reply(key="progress.chart", text=summary, image=Image(png, summary, "progress.png"))
        )

    # ----- dialog actions -----------------------------------------------------------------

    async def _act_start(self, ctx: Ctx) -> str | None:
        answers: dict[str, Any] = ctx.state.data.get("answers", {})
        zone_name = str(answers.get("timezone") or "UTC")
        local_time = str(answers.get("reminder_time") or "07:00")
        days = [int(d) for d in answers.get("strength_days") or [0, 2, 4]]
        today = local_date(ctx.now, zone_from_name(zone_name))
        race = str(answers.get("race") or "none")
        await self.store.start_plan(ctx.user.id, today, days, race, ctx.now)
        due = await self.store.set_reminder(ctx.user.id, local_time, zone_name, ctx.now)
        await self.coach.users.set_active(ctx.user.id, True)
        self._say(ctx.turn, "programme.started", when=self._when(due, zone_name),
                  days=self._day_names(days))
        ctx.turn.replies.append(await self._session(ctx, today, "today.session"))
        if race == "soon":
            await self._recommend(ctx, "escalate.race", self.messages.get("escalate.reason.race"))
        return None

    async def _act_show_session(self, ctx: Ctx) -> str | None:
        _, today = await self._zone_today(ctx.user.id, ctx.now)
        ctx.state.data["day"] = today.isoformat()
        greeting = self.messages.get("daily.greeting") if ctx.state.data.get("greeting") else None
        ctx.turn.replies.append(await self._session(ctx, today, "daily.session", greeting))
        return None

    async def _act_snooze(self, ctx: Ctx) -> str | None:
        _, today = await self._zone_today(ctx.user.id, ctx.now)
        if await self.store.add_snooze(ctx.user.id, today, ctx.now + SNOOZE):
            self._say(ctx.turn, "daily.snoozed")
        else:
            self._say(ctx.turn, "daily.snooze_used")
        return None

    async def _act_record_session(self, ctx: Ctx) -> str | None:
        answers = ctx.state.data.get("answers", {})
        status = {"done": "done", "partial": "partial", "skip": "skipped"}[str(answers["session"])]
        _, today = await self._zone_today(ctx.user.id, ctx.now)
        day = date.fromisoformat(ctx.state.data.get("day", today.isoformat()))
        await self.store.record_session(ctx.user.id, day, status, ctx.now)
        self._say(ctx.turn, f"daily.recorded.{status}")
        if not any(c.local_date == day for c in await self.store.checkins(ctx.user.id)):
            ctx.then = "checkin"
        return None

    async def _act_apply_checkin(self, ctx: Ctx) -> str | None:
        answers = ctx.state.data.get("answers", {})
        pain = int(answers["pain"])
        worse = answers.get("worse_morning") == "yes"
        swelling = answers.get("swelling") == "yes"
        _, today = await self._zone_today(ctx.user.id, ctx.now)
        await self.store.record_checkin(ctx.user.id, today, pain, worse, swelling, ctx.now)
        if swelling:
            await self._hold_for_swelling(ctx)
            return None
        band = self.coach.content.programme.advice_for(pain, worse)
        name = _band_name(pain, worse)
        ctx.turn.replies.append(
            Reply(key=f"advice.{name}", text=f"**{band.title}**\n\n{band.text.strip()}")
        )
        await self._escalate_if_needed(ctx, today)
        plan = await self.store.plan(ctx.user.id)
        if plan is not None:
            elapsed = (today - plan.started_on).days
            reviews = await self.store.weekly_reviews(ctx.user.id)
            week_done = elapsed // 7
            if week_done >= 1 and week_done not in reviews:
                ctx.then = "weekly"
        return None

    async def _act_apply_weekly(self, ctx: Ctx) -> str | None:
        rating = str(ctx.state.data.get("answers", {}).get("rating"))
        plan = await self.store.plan(ctx.user.id)
        _, today = await self._zone_today(ctx.user.id, ctx.now)
        week = max(1, (today - plan.started_on).days // 7) if plan else 1
        await self.store.record_weekly(ctx.user.id, week, rating, RATING_SCORES[rating], ctx.now)
        self._say(ctx.turn, "weekly.thanks")
        await self._escalate_if_needed(ctx, today)
        return None

    async def _act_apply_settings(self, ctx: Ctx) -> str | None:
        answers = ctx.state.data.get("answers", {})
        change = str(answers.get("change"))
        user_id = ctx.user.id
        reminder = await self.store.reminder(user_id)
        if reminder is None:
            self._say(ctx.turn, "programme.needs_start")
            return None
        if change == "time":
            due = await self.store.set_reminder(
                user_id, str(answers["reminder_time"]), reminder.timezone, ctx.now,
                reminder.active,
            )
            self._say(ctx.turn, "settings.time_set", when=self._when(due, reminder.timezone))
        elif change == "zone":
            due = await self.store.set_reminder(
                user_id, reminder.local_time, str(answers["timezone"]), ctx.now, reminder.active
            )
            self._say(ctx.turn, "settings.zone_set", zone=answers["timezone"],
                      when=self._when(due, str(answers["timezone"])))
        elif change == "days":
            days = [int(d) for d in answers["strength_days"]]
            await self.store.set_strength_days(user_id, days, ctx.now)
            self._say(ctx.turn, "settings.days_set", days=self._day_names(days))
        elif change == "pause":
            count = int(answers["pause_days"])
            zone = zone_from_name(reminder.timezone)
            until = local_date(ctx.now, zone) + timedelta(days=count)
            await self.store.set_status(user_id, "paused", ctx.now, paused_until=until)
            resume_at = next_occurrence(
                time.fromisoformat(reminder.local_time), zone,
                datetime.combine(until, time(0), zone) - timedelta(seconds=1),
            )
            await self.store.set_reminder(user_id, reminder.local_time, reminder.timezone,
                                          resume_at - timedelta(seconds=1), True)
            await self.store.cancel_pending(user_id)
            self._say(ctx.turn, "settings.paused", days=count,
                      when=self._when(resume_at, reminder.timezone))
        elif change == "resume":
            await self._resume(ctx)
        elif change == "stop":
            await self._cmd_stop(ctx, "")
        return None

    # ----- buttons outside dialogs --------------------------------------------------------

    async def _press_programme(self, ctx: Ctx, arg: str) -> None:
        plan = await self.store.plan(ctx.user.id)
        if arg == "seen" and await self.coach.users.on_clinician_hold(ctx.user.id):
            await self.coach.users.clear_hold(ctx.user.id, ctx.now)
            if plan is not None and plan.status == "hold":
                await self._resume(ctx)
            else:
                self._say(ctx.turn, "safety.hold_cleared")
            return
        if plan is None:
            self.coach.stale(ctx)
            return
        if arg == "seen" and plan.status == "hold":
            await self.coach.users.clear_hold(ctx.user.id, ctx.now)
            await self._resume(ctx)
        elif arg == "pause" and plan.status == "active":
            await self.store.set_status(ctx.user.id, "stopped", ctx.now)
            await self.store.set_reminder_active(ctx.user.id, False)
            self._say(ctx.turn, "escalate.paused")
        elif arg == "keep" and plan.status == "active":
            self._say(ctx.turn, "escalate.keep_going")
        else:
            self.coach.stale(ctx)

    # ----- safety and escalation ----------------------------------------------------------

    async def _on_red_flag(self, ctx: Ctx, screening: ScreenResult) -> None:
        """A red flag typed anywhere pauses the programme until a clinician has seen it; a
        session or check-in under way stops there."""
        plan = await self.store.plan(ctx.user.id)
        if plan is not None and plan.status == "active":
            await self._hold(ctx)
        if ctx.state.dialog in PROGRAMME_DIALOGS:
            self.coach.end_dialog(ctx)
            if screening.level != "urgent":
                ctx.turn.replies.append(self._hold_reply())

    def _hold_reply(self) -> Reply:
        return Reply(
            key="safety.hold",
            text=self.messages.get("safety.hold"),
            buttons=((Button(self.messages.get("buttons.clinician_seen"), "a:prog:seen"),),),
        )

    async def _hold_for_swelling(self, ctx: Ctx) -> None:
        ctx.turn.replies.append(
            Reply(
                key="safety.swelling_pause",
                text=self.coach.book.safety_text("swelling_pause"),
                buttons=((Button(self.messages.get("buttons.clinician_seen"), "a:prog:seen"),),),
            )
        )
        await self.coach.users.add_safety_event(
            ctx.user.id, "see_clinician", ["swelling"], "checkin.swelling", ctx.now
        )
        await self._hold(ctx)

    async def _hold(self, ctx: Ctx) -> None:
        await self.store.set_status(ctx.user.id, "hold", ctx.now)
        await self.store.set_reminder_active(ctx.user.id, False)
        await self.store.cancel_pending(ctx.user.id)

    async def _escalate_if_needed(self, ctx: Ctx, today: date) -> None:
        plan = await self.store.plan(ctx.user.id)
        if plan is None:
            return
        elapsed = (today - plan.started_on).days
        if elapsed < 21:
            return
        checkins = await self.store.checkins(ctx.user.id)
        reviews = await self.store.weekly_reviews(ctx.user.id)
        reasons = self._not_improving(checkins, reviews, today)
        if not reasons:
            return
        key = "escalate.week6" if elapsed >= 42 else "escalate.week3"
        if key == "escalate.week6":
            await self._recommend(ctx, key, " ".join(reasons), buttons=(
                (Button(self.messages.get("buttons.pause_programme"), "a:prog:pause"),
                 Button(self.messages.get("buttons.keep_going"), "a:prog:keep")),
            ))
        else:
            await self._recommend(ctx, key, " ".join(reasons))

    def _not_improving(
        self, checkins: list[Checkin], reviews: dict[int, int], today: date
    ) -> list[str]:
        """Reasons the knee is not getting better (empty when it is)."""
        reasons: list[str] = []
        if len(checkins) >= 3:
            baseline = statistics.median(c.worst_pain for c in checkins[:3])
            recent_window = [c for c in checkins if (today - c.local_date).days < 7]
            recent = statistics.median(
                c.worst_pain for c in (recent_window or checkins[-3:])[-3:]
            )
            if baseline - recent < 2:
                reasons.append(self.messages.get(
                    "escalate.reason.pain", baseline=_fmt(baseline), recent=_fmt(recent)))
        latest = reviews[max(reviews)] if reviews else None
        if latest is None or latest < RATING_SCORES["better"]:
            label = next((k for k, v in RATING_SCORES.items() if v == latest), None)
            reasons.append(
                self.messages.get("escalate.reason.weekly",
                                  rating=self.messages.get(f"weekly.label.{label}"))
                if label else self.messages.get("escalate.reason.no_weekly")
            )
        return reasons

    async def _recommend(
        self, ctx: Ctx, key: str, reason: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> None:
        if await self.store.recommend(ctx.user.id, key, reason, ctx.now):
            ctx.turn.replies.append(
                Reply(key=key, text=self.messages.get(key, reason=reason), buttons=buttons)
            )

    # ----- the composer for due reminders -------------------------------------------------

    async def compose(self, target: str, kind: str, local_day: date) -> Delivery | None:
        if not target.startswith("u:"):
            return await self.coach.compose_other(target, kind, local_day)
        user = await self.coach.users.get(int(target[2:]))
        if user is None or not user.active:
            return None
        plan = await self.store.plan(user.id)
        if plan is None or plan.status not in {"active", "paused"}:
            return None
        if plan.paused_until is not None and local_day < plan.paused_until:
            return None
        async with self.coach.locks.hold((user.platform, user.platform_user_id)):
            now = self.coach.clock.now()
            if plan.status == "paused":
                await self.store.set_status(user.id, "active", now)
            state = await self.coach.users.dialog_state(user.id)
            ctx = Ctx(user, state, Turn(), now)
            await self.coach.begin(ctx, "daily", {"greeting": True})
            await self.coach.users.save_dialog_state(user.id, ctx.state, now)
        return Delivery(ref=user.ref, replies=ctx.turn.replies)

    # ----- small helpers ------------------------------------------------------------------

    def _say(self, turn: Turn, key: str, **values: object) -> None:
        turn.replies.append(Reply(key=key, text=self.messages.get(key, **values)))

    def _when(self, due: datetime, zone_name: str) -> str:
        local = due.astimezone(zone_from_name(zone_name))
        return self.messages.get("settings.when", day=local.strftime("%a %d %b"),
                                 time=local.strftime("%H:%M"), zone=zone_name)

    def _day_names(self, days: list[int]) -> str:
        names = self.messages.get("settings.day_names").split()
        return ", ".join(names[d] for d in sorted(days))


def _needs_easing(checkin: Checkin) -> bool:
    return checkin.worst_pain > 5 or checkin.worse_morning


def _band_name(pain: int, worse_morning: bool) -> str:
    if pain > 5 or worse_morning:
        return "ease"
    return "fine" if pain <= 2 else "acceptable"


def _streak(sessions: dict[date, str], today: date) -> int:
    day = today if sessions.get(today) in {"done", "partial"} else today - timedelta(days=1)
    count = 0
    while sessions.get(day) in {"done", "partial"}:
        count += 1
        day -= timedelta(days=1)
    return count


def _fmt(value: float) -> str:
    return f"{value:g}"


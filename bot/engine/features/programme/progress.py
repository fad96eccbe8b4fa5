"""/progress: the chart of pain and sessions, with the summary in words (beside pain and
sessions: function against the start, the last week's running and the levels reached)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.events import Image, Reply
from bot.domain.records import Plan
from bot.engine.features.programme.measures import BASELINE, function_scale
from bot.engine.features.programme.plan import PROGRAMME_WEEKS, Kit, week_of
from bot.engine.features.programme.running import km_text
from bot.engine.session import Session

TEXTS = {
    "progress.summary": ("bar", "first", "last", "checkins", "sessions", "streak"),
    "progress.empty": ("bar", "streak"),
    "outcomes.function": ("first", "last", "max"),
    "outcomes.runs": ("runs", "km"),
    "outcomes.run_count.one": (),
    "outcomes.run_count.many": ("n",),
    "outcomes.levels": ("levels",),
}


def streak_of(sessions: dict[date, str], today: date) -> int:
    day = today if sessions.get(today) in {"done", "partial"} else today - timedelta(days=1)
    count = 0
    while sessions.get(day) in {"done", "partial"}:
        count += 1
        day -= timedelta(days=1)
    return count


class Progress:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.store = kit.store

    async def progress(self, session: Session, args: str) -> None:
        # matplotlib is loaded on first use: it is most of a process's memory otherwise.
        from bot.progress.chart import DayPoint, WeekPoint, progress_bar, render_progress_png

        user_id = session.user.id
        plan = await self.store.plan(user_id)
        if plan is None:
            session.say("programme.needs_start")
            return
        _, today = await self.kit.zone_today(user_id, session.now)
        checkins = await self.store.checkins(user_id)
        sessions = await self.store.sessions(user_id)
        week = week_of(plan, today)
        streak = streak_of(sessions, today)
        days = [DayPoint(c.local_date, c.worst_pain) for c in checkins]
        per_week: dict[int, int] = {}
        for day, status in sessions.items():
            if status in {"done", "partial"}:
                number = week_of(plan, day)
                per_week[number] = per_week.get(number, 0) + 1
        weeks = [WeekPoint(n, per_week.get(n, 0)) for n in range(1, week + 1)]
        chart = session.content.chart
        png = render_progress_png(days, weeks, streak, week, PROGRAMME_WEEKS, chart)
        bar = progress_bar(week, PROGRAMME_WEEKS, chart)
        if checkins:
            first, last = checkins[0].worst_pain, checkins[-1].worst_pain
            summary = session.text(
                "progress.summary", bar=bar, first=first, last=last, checkins=len(checkins),
                sessions=sum(per_week.values()), streak=streak,
            )
        else:
            summary = session.text("progress.empty", bar=bar, streak=streak)
        summary = "\n".join([summary, *await self.outcome_lines(session, plan, today)])
        session.add(
            Reply(key="progress.chart", text=summary, image=Image(png, summary, "progress.png"))
        )

    async def outcome_lines(self, session: Session, plan: Plan, today: date) -> list[str]:
        """Function against the start, the last seven days' running, the levels reached."""
        user_id = session.user.id
        lines: list[str] = []
        totals = await self.kit.outcomes.function_totals(user_id)
        if BASELINE in totals:
            _, maximum = function_scale(session.content)
            lines.append(session.text("outcomes.function", first=totals[BASELINE],
                                      last=totals[max(totals)], max=maximum))
        runs = await self.kit.outcomes.runs(user_id)
        if runs:
            week = {d: km for d, km in runs.items() if 0 <= (today - d).days < 7}
            count = (session.text("outcomes.run_count.one") if len(week) == 1
                     else session.text("outcomes.run_count.many", n=len(week)))
            lines.append(session.text("outcomes.runs", runs=count,
                                      km=km_text(sum(week.values()))))
        if await self.kit.progression.workouts(user_id):
            lines.append(session.text("outcomes.levels",
                                      levels=await self.kit.levels_reached(session, plan)))
        return lines

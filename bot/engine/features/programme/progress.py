"""/progress: the chart (made for a phone) of pain, sessions, the function checks (at the
start, weeks 3 and 6) and the distance run each programme week, with what it shows in words:
the summary, the pain's trend and the sessions of each week, function against the start, the
last week's running and the levels reached (the caption, and the picture's text
alternative). The terminal saves the chart as progress-<date>.png."""

from __future__ import annotations

import asyncio
import struct
from datetime import date, timedelta

from bot.domain.events import Picture, Reply
from bot.domain.records import Checkin, Plan
from bot.domain.trends import number, pain_trend
from bot.domain.weeks import km_per_week, sessions_per_week
from bot.engine.features.programme.plan import Kit, week_of
from bot.engine.features.programme.running import km_text
from bot.engine.measures import BASELINE, function_scale
from bot.engine.session import Session

TEXTS = {
    "progress.summary": ("bar", "first", "last", "checkins", "sessions", "streak"),
    "progress.empty": ("bar", "streak"),
    "progress_trend.down": ("before", "now"),
    "progress_trend.up": ("before", "now"),
    "progress_trend.flat": ("before", "now"),
    "progress_trend.few": ("before", "now"),
    "progress_trend.sessions": ("weeks",),
    "progress_trend.week": ("week", "count"),
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
        from bot.progress.chart import (
            ChartData,
            DayPoint,
            WeekPoint,
            WeekValue,
            progress_bar,
            render_progress_png,
        )

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
        per_week = sessions_per_week(plan.started_on, sessions)
        total = session.content.programme.weeks
        totals = await self.kit.outcomes.function_totals(user_id)
        runs = await self.kit.outcomes.runs(user_id)
        _, function_max = function_scale(session.content)
        data = ChartData(
            days=[DayPoint(c.local_date, c.worst_pain) for c in checkins],
            weekly_sessions=[WeekPoint(n, per_week.get(n, 0)) for n in range(1, week + 1)],
            streak=streak, programme_week=week, total_weeks=total,
            function_checks=[WeekValue(w, points) for w, points in sorted(totals.items())],
            running_km=[WeekValue(w, km)
                        for w, km in sorted(km_per_week(plan.started_on, runs).items())],
            function_max=function_max,
        )
        chart = session.content.chart
        png = await asyncio.to_thread(render_progress_png, data, chart)
        bar = progress_bar(week, total, chart)
        if checkins:
            first, last = checkins[0].worst_pain, checkins[-1].worst_pain
            summary = session.text(
                "progress.summary", bar=bar, first=first, last=last, checkins=len(checkins),
                sessions=sum(per_week.values()), streak=streak,
            )
        else:
            summary = session.text("progress.empty", bar=bar, streak=streak)
        caption = "\n".join([summary, *in_words(session, checkins, per_week, week),
                             *await self.outcome_lines(session, plan, today, totals, runs)])
        width, height = png_size(png)
        session.add(Reply(
            key="progress.chart", text=caption,
            attachment=Picture(png, caption, f"progress-{today.isoformat()}.png", width, height),
        ))

    async def outcome_lines(
        self, session: Session, plan: Plan, today: date, totals: dict[int, int],
        runs: dict[date, float],
    ) -> list[str]:
        """Function against the start, the last seven days' running, the levels reached."""
        user_id = session.user.id
        lines: list[str] = []
        if BASELINE in totals:
            _, maximum = function_scale(session.content)
            lines.append(session.text("outcomes.function", first=totals[BASELINE],
                                      last=totals[max(totals)], max=maximum))
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


def in_words(
    session: Session, checkins: list[Checkin], per_week: dict[int, int], week: int
) -> list[str]:
    """What the chart shows, said in words for those who cannot see it: the pain's trend
    and the sessions of each week."""
    trend = pain_trend([c.worst_pain for c in checkins])
    lines = [session.text(f"progress_trend.{trend.direction}", before=number(trend.before),
                          now=number(trend.now))] if checkins else []
    if week >= 1:
        weeks = ", ".join(session.text("progress_trend.week", week=n, count=per_week.get(n, 0))
                          for n in range(1, week + 1))
        lines.append(session.text("progress_trend.sessions", weeks=weeks))
    return lines


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)

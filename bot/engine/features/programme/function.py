"""The function check (dialogs/function.yaml): at the start it ends with the first running
advice and the first session; at weeks 3 and 6 it completes the weekly review (week 3: the
running suggestion and any escalation; week 6: the end-of-block review)."""

from __future__ import annotations

from bot.engine.features.programme.checkins import Checkins
from bot.engine.features.programme.measures import BASELINE, function_scale, function_week_due
from bot.engine.features.programme.plan import Kit
from bot.engine.features.programme.review import Review
from bot.engine.features.programme.running import Running
from bot.engine.session import Session

TEXTS = {
    "function.baseline": ("total", "max"),
    "function.result": ("total", "max", "baseline", "change"),
    "function.result_alone": ("total", "max"),
    "function.change.up": ("points",),
    "function.change.same": (),
    "function.change.down": ("points",),
}


def change_words(session: Session, points: int) -> str:
    if points > 0:
        return session.text("function.change.up", points=points)
    if points < 0:
        return session.text("function.change.down", points=-points)
    return session.text("function.change.same")


class FunctionCheck:
    def __init__(self, kit: Kit, running: Running, checkins: Checkins, review: Review) -> None:
        self.kit = kit
        self.running = running
        self.checkins = checkins
        self.review = review

    async def apply_function(self, session: Session) -> str | None:
        answers = session.state.data.get("answers", {})
        questions, maximum = function_scale(session.content)
        user_id = session.user.id
        plan = await self.kit.store.plan(user_id)
        if plan is None:
            session.say("programme.needs_start")
            return None
        scores = {q: int(answers[q]) for q in questions if q in answers}
        _, today = await self.kit.zone_today(user_id, session.now)
        totals = await self.kit.outcomes.function_totals(user_id)
        rules = session.content.programme.function
        week = function_week_due(plan, today, rules.weeks, totals)
        if week is None:  # asked again the same week: the newest answers count
            reached = [w for w in rules.weeks if (today - plan.started_on).days >= 7 * w]
            week = max(reached, default=BASELINE)
        await self.kit.outcomes.record_function(user_id, week, scores, session.now)
        total = sum(scores.values())
        if week == BASELINE:
            session.say("function.baseline", total=total, max=maximum)
            session.add(await self.running.first_advice(session))
            session.add(await self.kit.session_reply(session, today, "today.session"))
            return None
        start = totals.get(BASELINE)
        if start is None:
            session.say("function.result_alone", total=total, max=maximum)
        else:
            session.say("function.result", total=total, max=maximum, baseline=start,
                        change=change_words(session, total - start))
        if week == session.content.programme.review.week:
            await self.review.end_of_block(session, plan, today)
        else:
            await self.checkins.after_review(session, today)
        return None

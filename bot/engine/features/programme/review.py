"""The end-of-block review at week 6: pain and function compared with the start, the
global rating, the levels reached, what worked, and then either a maintenance plan (two
strength sessions a week at the reached levels, the running suggestion carrying on) or,
when nothing improved (no pain drop of ``review.pain_drop`` points, no function gain of
``function.clear_gain`` and the rating not better), the firm referral (escalate.week6)."""

from __future__ import annotations

from datetime import date

from bot.domain.events import Button, Reply
from bot.domain.records import Plan
from bot.engine.features.programme.checkins import Checkins, settled
from bot.engine.features.programme.plan import RATING_SCORES, Kit
from bot.engine.features.programme.running import Running
from bot.engine.measures import (
    BASELINE,
    function_gain,
    function_scale,
    pain_change,
)
from bot.engine.session import Session

TEXTS = {
    "review.summary": ("pain", "function", "rating", "levels"),
    "review.pain": ("start", "now"),
    "review.function": ("start", "now", "max"),
    "review.unknown": (),
    "review.worked.pain": ("points",),
    "review.worked.function": ("points",),
    "review.worked.rating": ("rating",),
    "review.worked.joiner": (),
    "review.worked_line": ("worked",),
    "review.maintenance": (),
    "review.button_two": (),
    "review.button_three": (),
    "review.two_set": ("days",),
    "review.three_kept": (),
    "review.reason_function": ("start", "now", "max"),
    "review.levels_none": (),
    "escalate.week6": ("reason",),
    "buttons.pause_programme": (),
    "buttons.keep_going": (),
    "mild.worked": ("now",),
}


def _fmt(value: float) -> str:
    return f"{value:g}"


class Review:
    def __init__(self, kit: Kit, running: Running, checkins: Checkins) -> None:
        self.kit = kit
        self.store = kit.store
        self.running = running
        self.checkins = checkins

    async def end_of_block(self, session: Session, plan: Plan, today: date) -> None:
        user_id = session.user.id
        programme = session.content.programme
        checkins = await self.store.checkins(user_id)
        reviews = await self.store.weekly_reviews(user_id)
        totals = await self.kit.outcomes.function_totals(user_id)
        _, maximum = function_scale(session.content)
        unknown = session.text("review.unknown")

        pain = pain_change(checkins, today)
        pain_drop = pain[0] - pain[1] if pain else 0
        start, now = totals.get(BASELINE), totals.get(programme.review.week)
        gain = function_gain(totals) or 0
        latest = reviews[max(reviews)] if reviews else None
        label = next((k for k, v in RATING_SCORES.items() if v == latest), "same")
        rating = session.text(f"weekly.label.{label}")

        worked: list[str] = []
        if pain_drop >= programme.review.pain_drop:
            worked.append(session.text("review.worked.pain", points=_fmt(pain_drop)))
        elif pain is not None and settled(pain[1]):
            # a mild case: pain that stays in the safe band is not "nothing improved"
            worked.append(session.text("mild.worked", now=_fmt(pain[1])))
        if gain >= programme.function.clear_gain:
            worked.append(session.text("review.worked.function", points=gain))
        if latest is not None and latest >= RATING_SCORES["better"]:
            worked.append(session.text("review.worked.rating", rating=rating))

        text = session.text(
            "review.summary",
            pain=session.text("review.pain", start=_fmt(pain[0]), now=_fmt(pain[1]))
            if pain else unknown,
            function=session.text("review.function", start=start, now=now, max=maximum)
            if start is not None and now is not None else unknown,
            rating=rating,
            levels=await self.kit.levels_reached(session, plan),
        )
        if worked:
            text += "\n" + session.text(
                "review.worked_line", worked=session.text("review.worked.joiner").join(worked))
        session.add(Reply(key="review.summary", text=text))

        blocked = await self.kit.gate(session) if worked else None
        if blocked is not None:
            session.add(blocked)  # held for a clinician: no maintenance plan until checked
        elif worked:
            session.add(Reply(key="review.maintenance", text=session.text("review.maintenance"),
                              buttons=((Button(session.text("review.button_two"), "a:plan:two"),
                                        Button(session.text("review.button_three"),
                                               "a:plan:three")),)))
        else:
            reasons = self.checkins.not_improving(session, checkins, reviews, today)
            if start is not None and now is not None:
                reasons.append(session.text("review.reason_function", start=start, now=now,
                                            max=maximum))
            await self.kit.recommend(session, "escalate.week6", " ".join(reasons), buttons=(
                (Button(session.text("buttons.pause_programme"), "a:prog:pause"),
                 Button(session.text("buttons.keep_going"), "a:prog:keep")),
            ))
        week = max(1, (today - plan.started_on).days // 7)
        session.add(await self.running.weekly(session, plan, today, week))

    async def press(self, session: Session, arg: str) -> None:
        """The maintenance choice: two strength sessions a week, or keep three."""
        plan = await self.store.plan(session.user.id)
        if plan is None or arg not in {"two", "three"}:
            session.stale()
            return
        blocked = await self.kit.gate(session)
        if blocked is not None:
            session.add(blocked)
            return
        if arg == "three":
            session.say("review.three_kept")
            return
        days = sorted(plan.strength_days)
        keep = session.content.programme.review.maintenance_days
        chosen = days if len(days) <= keep else [days[0], days[-1]][:keep]
        await self.store.set_strength_days(session.user.id, chosen, session.now)
        session.say("review.two_set", days=self.kit.day_names(session, chosen))

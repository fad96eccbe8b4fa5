"""Check-ins and weekly reviews: pain monitoring, the advice that follows, swelling holds,
the running log and level changes the check-in feeds, the weekly running suggestion, and
escalation to a clinician when the knee is not getting better (a clear gain in function
counts as getting better; at six weeks the end-of-block review decides)."""

from __future__ import annotations

from datetime import date

from bot.domain.events import Button, Reply
from bot.domain.records import Checkin, Plan
from bot.engine.features.programme.plan import RATING_SCORES, Kit
from bot.engine.features.programme.progression import Progression
from bot.engine.features.programme.running import Running
from bot.engine.measures import function_gain, function_week_due, pain_change
from bot.engine.session import Session

TEXTS = {
    "weekly.thanks": (),
    "weekly.label.much_worse": (),
    "weekly.label.worse": (),
    "weekly.label.slightly_worse": (),
    "weekly.label.same": (),
    "weekly.label.slightly_better": (),
    "weekly.label.better": (),
    "weekly.label.much_better": (),
    "escalate.week3": ("reason",),
    "escalate.week6": ("reason",),
    "escalate.reason.pain": ("baseline", "recent"),
    "escalate.reason.weekly": ("rating",),
    "escalate.reason.no_weekly": (),
    "buttons.pause_programme": (),
    "buttons.keep_going": (),
    "checkin_brief.fine": (),
    "checkin_brief.acceptable": (),
    "checkin_brief.ease": (),
}


FINE_PAIN = 2  # pain monitoring model: 0-2 is fine
ADVICE_EVERY = 7  # days: a band's full advice once a week, a short form in between


def band_name(pain: int, worse_morning: bool) -> str:
    if pain > 5 or worse_morning:
        return "ease"
    return "fine" if pain <= FINE_PAIN else "acceptable"


def full_advice_due(earlier: list[Checkin], band: str, today: date) -> bool:
    """The check-in advice of a band is said in full once a week and in a short form in
    between (a band's full advice came ``ADVICE_EVERY`` days or more ago, or never):
    worked out from the earlier check-ins (oldest first), as each was answered."""
    last_full: dict[str, date] = {}
    for c in earlier:
        if c.swelling:
            continue  # the swelling hold was said instead
        said = band_name(c.worst_pain, c.worse_morning)
        if said not in last_full or (c.local_date - last_full[said]).days >= ADVICE_EVERY:
            last_full[said] = c.local_date
    return band not in last_full or (today - last_full[band]).days >= ADVICE_EVERY


def settled(recent_pain: float) -> bool:
    """Recent pain in the "fine" band: a mild case, never told it is not improving."""
    return recent_pain <= FINE_PAIN


def _fmt(value: float) -> str:
    return f"{value:g}"


class Checkins:
    def __init__(self, kit: Kit, running: Running, progression: Progression) -> None:
        self.kit = kit
        self.store = kit.store
        self.running = running
        self.progression = progression

    async def checkin(self, session: Session, args: str) -> None:
        if session.user.consent_at is None:
            session.say("programme.needs_start")
            return
        await session.begin("checkin")

    async def apply_checkin(self, session: Session) -> str | None:
        answers = session.state.data.get("answers", {})
        pain = int(answers["pain"])
        worse = answers.get("worse_morning") == "yes"
        swelling = answers.get("swelling") in ("yes", "unsure")  # unsure: err toward a check
        user_id = session.user.id
        _, today = await self.kit.zone_today(user_id, session.now)
        await self.store.record_checkin(user_id, today, pain, worse, swelling, session.now)
        await self.running.record(session, today, answers)
        if swelling:
            await self.hold_for_swelling(session)
            return None
        await self.progression.after_checkin(session, today, Checkin(today, pain, worse, False))
        name = band_name(pain, worse)
        earlier = [c for c in await self.store.checkins(user_id) if c.local_date < today]
        if full_advice_due(earlier, name, today):
            band = session.content.programme.advice_for(pain, worse)
            text = f"**{band.title}**\n\n{band.text.strip()}"
        else:  # said in full this week: the short form
            text = session.text(f"checkin_brief.{name}")
        session.add(Reply(key=f"advice.{name}", text=text))
        await self.escalate_if_needed(session, today)
        plan = await self.store.plan(user_id)
        if plan is not None:
            elapsed = (today - plan.started_on).days
            reviews = await self.store.weekly_reviews(user_id)
            week_done = elapsed // 7
            if week_done >= 1 and week_done not in reviews:
                session.follow_with("weekly")
        return None

    async def apply_weekly(self, session: Session) -> str | None:
        rating = str(session.state.data.get("answers", {}).get("rating"))
        plan = await self.store.plan(session.user.id)
        _, today = await self.kit.zone_today(session.user.id, session.now)
        week = max(1, (today - plan.started_on).days // 7) if plan else 1
        await self.store.record_weekly(session.user.id, week, rating, RATING_SCORES[rating],
                                       session.now)
        session.say("weekly.thanks")
        if plan is not None and await self.function_due(session, plan, today):
            session.follow_with("function")  # its answers lead on to the rest of the review
            return None
        await self.after_review(session, today)
        return None

    async def after_review(self, session: Session, today: date) -> None:
        """The rest of a weekly review: the running suggestion, then any escalation."""
        plan = await self.store.plan(session.user.id)
        if plan is not None:
            week = max(1, (today - plan.started_on).days // 7)
            session.add(await self.running.weekly(session, plan, today, week))
        await self.escalate_if_needed(session, today)

    async def function_due(self, session: Session, plan: Plan, today: date) -> bool:
        """A function check at week 3 or 6 has come and is not answered yet."""
        totals = await self.kit.outcomes.function_totals(session.user.id)
        due = function_week_due(plan, today, session.content.programme.function.weeks, totals)
        return due is not None and due > 0

    async def hold_for_swelling(self, session: Session) -> None:
        session.add(Reply(
            key="safety.swelling_pause",
            text=session.book.safety_text("swelling_pause"),
            buttons=((Button(session.text("buttons.clinician_seen"), "a:prog:seen"),),),
        ))
        await session.users.add_safety_event(
            session.user.id, "see_clinician", ["swelling"], "checkin.swelling", session.now
        )
        await self.kit.hold(session)

    async def escalate_if_needed(self, session: Session, today: date) -> None:
        plan = await self.store.plan(session.user.id)
        if plan is None:
            return
        elapsed = (today - plan.started_on).days
        if elapsed < 21:
            return
        checkins = await self.store.checkins(session.user.id)
        reviews = await self.store.weekly_reviews(session.user.id)
        programme = session.content.programme
        if elapsed // 7 not in reviews and await self.function_due(session, plan, today):
            return  # the weekly review and its function check come first
        gain = function_gain(await self.kit.outcomes.function_totals(session.user.id))
        if gain is not None and gain >= programme.function.clear_gain:
            return  # a clear gain in function counts as getting better
        reasons = self.not_improving(session, checkins, reviews, today)
        if not reasons:
            return
        key = "escalate.week6" if elapsed >= 42 else "escalate.week3"
        if key == "escalate.week6" and not self.nothing_improved(session, checkins, reviews,
                                                                  today):
            return  # the end-of-block review's rule: some improvement, no firm referral
        if key == "escalate.week6":
            await self.kit.recommend(session, key, " ".join(reasons), buttons=(
                (Button(session.text("buttons.pause_programme"), "a:prog:pause"),
                 Button(session.text("buttons.keep_going"), "a:prog:keep")),
            ))
        else:
            await self.kit.recommend(session, key, " ".join(reasons))

    @staticmethod
    def not_improving(
        session: Session, checkins: list[Checkin], reviews: dict[int, int], today: date
    ) -> list[str]:
        """Reasons the knee is not getting better (empty when it is)."""
        reasons: list[str] = []
        change = pain_change(checkins, today)
        if change is not None:
            baseline, recent = change
            # Pain already in the "fine" band (0-2, pain monitoring model) is not a failure
            # to improve, however little it has moved.
            if baseline - recent < 2 and not settled(recent):
                reasons.append(session.text(
                    "escalate.reason.pain", baseline=_fmt(baseline), recent=_fmt(recent)))
        latest = reviews[max(reviews)] if reviews else None
        if latest is None or latest < RATING_SCORES["better"]:
            label = next((k for k, v in RATING_SCORES.items() if v == latest), None)
            reasons.append(
                session.text("escalate.reason.weekly",
                             rating=session.text(f"weekly.label.{label}"))
                if label else session.text("escalate.reason.no_weekly")
            )
        return reasons

    @staticmethod
    def nothing_improved(
        session: Session, checkins: list[Checkin], reviews: dict[int, int], today: date
    ) -> bool:
        """No pain drop of ``review.pain_drop`` points (recent pain in the fine band counts
        as improved: a mild case), and the latest rating not better (a function gain is
        checked by the caller)."""
        change = pain_change(checkins, today)
        drop = session.content.programme.review.pain_drop
        pain_better = change is not None and (change[0] - change[1] >= drop
                                              or settled(change[1]))
        latest = reviews[max(reviews)] if reviews else None
        rated_better = latest is not None and latest >= RATING_SCORES["better"]
        return not pain_better and not rated_better

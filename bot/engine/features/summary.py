"""/summary: a one-page report for a clinician (a PDF, with a PNG of the page for chats that
show pictures inline).

``assemble`` is the one place ``SummaryData`` is built from the store: who (an age band and a
knee, never a name or a platform id), when it started, the intake answers and the triage
outcome with its reasons, every red flag and what followed, pain and weekly reviews over
time, sessions per week, the programme now (its phase, equipment and minutes, the current
level on each exercise ladder), the function checks (start, weeks 3 and 6) with their change,
running (the intake's distance, the distance logged each programme week, the latest weekly
suggestion) and the coach's recommendations. Where the runner has no such record yet the
page says "not recorded yet".

Like /export, it answers only in a private chat: the host never hands a command from a group
or a server channel to a feature.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from bot.content.dialogs import Step
from bot.domain.events import Document, Picture, Reply
from bot.domain.localtime import local_date
from bot.domain.records import Checkin, Plan, RunningWeek, SafetyEvent
from bot.domain.trends import number, pain_trend
from bot.domain.weeks import km_per_week, programme_week, sessions_per_week
from bot.domain.zones import zone_from_name
from bot.engine.feature import Registry
from bot.engine.measures import BASELINE, function_scale
from bot.engine.session import Session
from bot.engine.workouts import levels_now, usable_equipment
from bot.progress.points import DayPoint, WeekPoint
from bot.progress.report import Event, Fact, SummaryData, SummaryWords
from bot.store.outcomes import OutcomeStore
from bot.store.programme import ProgrammeStore
from bot.store.progression import ProgressionStore

PDF = "application/pdf"
INTAKE_KEYS = ("location", "side", "duration", "stairs_down", "downhill", "squat_sit",
               "swelling", "mechanical", "injury", "surgery", "night_pain", "hot_red",
               "weekly_km", "race")
RATINGS = ("much_worse", "worse", "slightly_worse", "same", "slightly_better", "better",
           "much_better")
ALARMS = ("urgent", "see_clinician")
SUGGESTIONS = ("walk_run_next", "walk_run_hold", "walk_run_back", "add", "hold", "back")
VERDICTS = ("none", "fine", "acceptable", "ease")
STORY_CHARACTERS = 300

TEXTS: dict[str, tuple[str, ...]] = {
    "summary.sent": (),
    "summary.description": (),
    "summary.preview_alt": ("outcome", "latest"),
    "summary.title": (),
    "summary.made_on": ("date",),
    "summary.disclaimer": (),
    "summary.footer": (),
    "summary.section.who": (),
    "summary.section.intake": (),
    "summary.section.triage": (),
    "summary.section.red_flags": (),
    "summary.section.pain": (),
    "summary.section.function": (),
    "summary.section.sessions": (),
    "summary.section.levels": (),
    "summary.section.running": (),
    "summary.section.recommendations": (),
    "summary.none.red_flags": (),
    "summary.none.recommendations": (),
    "summary.none.triage": (),
    "summary.none.pain": (),
    "summary.not_recorded.function": (),
    "summary.not_recorded.levels": (),
    "summary.not_recorded.running": (),
    "summary.triage.reasons": (),
    "summary.reviews": (),
    "summary.who.age": (),
    "summary.who.knee": (),
    "summary.who.started": (),
    "summary.who.week": (),
    "summary.who.week_value": ("week", "total"),
    "summary.who.week_after": ("week", "total"),
    "summary.who.no_programme": (),
    "summary.age.u13": (),
    "summary.age.teen": (),
    "summary.age.adult": (),
    "summary.triage.outcome": (),
    "summary.triage.on": (),
    "summary.story": (),
    "summary.km": ("km",),
    "summary.pain.none": (),
    "summary.pain.first": ("pain", "date"),
    "summary.pain.latest": ("pain", "date"),
    "summary.pain.checkins": ("count", "days"),
    "summary.pain.trend.down": ("before", "now"),
    "summary.pain.trend.up": ("before", "now"),
    "summary.pain.trend.flat": ("before", "now"),
    "summary.pain.trend.few": ("before", "now"),
    "summary.pain.worse_morning": ("count",),
    "summary.pain.swelling": ("count",),
    "summary.sessions.words": ("done", "weeks", "skipped"),
    "summary.sessions.none": (),
    "summary.review": ("week",),
    "summary.phase": (),
    "summary.running.intake": (),
    "summary.running.race": (),
    "summary.red_flag.cleared": ("date",),
    "summary.red_flag.open": (),
    "summary.red_flag.intake": (),
    "summary.red_flag.checkin": (),
    "summary.red_flag.chat": (),
    "summary.recommendation_reason": ("reason",),
    "summary.recommendation.escalate.week3": (),
    "summary.recommendation.escalate.week6": (),
    "summary.recommendation.escalate.race": (),
    "summary_programme.equipment": (),
    "summary_programme.minutes": (),
    "summary_programme.minutes_value": ("minutes",),
    "summary_programme.level": ("exercise", "level", "levels"),
    "summary_programme.function_note": ("max", "gain"),
    "summary_programme.function_start": (),
    "summary_programme.function_week": ("week",),
    "summary_programme.function_value": ("total", "max"),
    "summary_programme.function_change": ("total", "max", "change"),
    "summary_programme.change.up": ("points",),
    "summary_programme.change.same": (),
    "summary_programme.change.down": ("points",),
    "summary_programme.runs": (),
    "summary_programme.runs_week": ("week", "km"),
    "summary_programme.suggestion": ("week",),
    "summary_programme.suggestion_value": ("what", "km", "basis"),
    "summary_programme.suggest.walk_run_next": ("n", "stage"),
    "summary_programme.suggest.walk_run_hold": ("n", "stage"),
    "summary_programme.suggest.walk_run_back": ("n", "stage"),
    "summary_programme.suggest.add": ("percent", "target"),
    "summary_programme.suggest.hold": ("target",),
    "summary_programme.suggest.hold_same": (),
    "summary_programme.suggest.back": (),
    "summary_programme.suggest.back_to": ("target",),
    "summary_programme.verdict.none": (),
    "summary_programme.verdict.fine": (),
    "summary_programme.verdict.acceptable": (),
    "summary_programme.verdict.ease": (),
    "running.stage": ("run", "walk", "repeats", "total"),
    "running.stage_continuous": ("run",),
    "equipment.none": (),
    "buttons.yes": (),
    "buttons.no": (),
    **{f"summary.answer.{key}": () for key in INTAKE_KEYS},
    **{f"weekly.label.{rating}": () for rating in RATINGS},
}
EQUIPMENT_TEXTS = ("band", "weights", "step")  # equipment.<id>: the names of what is asked
TEXTS.update({f"equipment.{item}": () for item in EQUIPMENT_TEXTS})


def summary_filename(day: date) -> str:
    return f"kneecoach-summary-{day.isoformat()}.pdf"


class Summary:
    name = "summary"

    def __init__(
        self, store: ProgrammeStore, progression: ProgressionStore, outcomes: OutcomeStore
    ) -> None:
        self.store = store
        self.progression = progression
        self.outcomes = outcomes

    def register(self, registry: Registry) -> None:
        registry.command("summary", self.summary, menu=True)
        registry.texts(TEXTS)

    async def summary(self, session: Session, args: str) -> None:
        # matplotlib is loaded on first use: it is most of a process's memory otherwise.
        from bot.progress.summary import render_summary

        data = await self.assemble(session)
        files = await asyncio.to_thread(render_summary, data, self.words(session, data))
        outcome = next((f.value for f in data.triage), session.text("summary.none.triage"))
        latest = (f"{data.pain[-1].worst_pain}/10" if data.pain
                  else session.text("summary.none.pain"))
        alt = session.text("summary.preview_alt", outcome=outcome, latest=latest)
        name = summary_filename(data.made_on)
        preview = Picture(files.png, alt, name.replace(".pdf", ".png"), *files.png_size)
        document = Document(files.pdf, name, PDF, session.text("summary.description"), preview)
        session.add(Reply(key="summary.pdf", text=session.text("summary.sent"),
                          attachment=document))

    # ----- the one place SummaryData is assembled ------------------------------------------

    async def assemble(self, session: Session) -> SummaryData:
        user_id = session.user.id
        users = session.users
        answers = await users.answers(user_id)
        plan = await self.store.plan(user_id)
        reminder = await self.store.reminder(user_id)
        zone = zone_from_name(reminder.timezone if reminder else "UTC")
        today = local_date(session.now, zone)
        week = programme_week(plan.started_on, today) if plan else 0
        checkins = await self.store.checkins(user_id)
        sessions = await self.store.sessions(user_id)
        triages = await users.triage_history(user_id)
        events = await users.safety_events(user_id)
        ratings = await self.store.weekly_ratings(user_id)
        recommendations = await self.store.recommendation_history(user_id)
        per_week = sessions_per_week(plan.started_on, sessions) if plan else {}
        total = session.content.programme.weeks
        text = session.text

        def day(at: Any) -> date:
            return local_date(at, zone)

        triage: tuple[Fact, ...] = ()
        reasons: tuple[str, ...] = ()
        if triages:
            last = triages[-1]
            words = session.content.triage
            triage = (Fact(text("summary.triage.outcome"), words.outcomes.get(
                          last.outcome, last.outcome)),
                      Fact(text("summary.triage.on"), _day(session, day(last.at))))
            reasons = tuple(words.signals[s].label for s in last.signals if s in words.signals)
            if last.outcome in ALARMS:  # the alarms that decided it, not the features too
                reasons = tuple(words.signals[s].label for s in last.signals
                                if s in words.signals and session.triage.level(s) in ALARMS)
        red_flags = _red_flags(session, events, triages, day)
        phase = session.content.programme.phase_for_week(max(week, 1))
        return SummaryData(
            made_on=today,
            who=self._who(session, answers, plan, week, total),
            intake=self._intake(session, answers),
            triage=triage,
            triage_reasons=reasons,
            red_flags=red_flags,
            pain=tuple(DayPoint(c.local_date, c.worst_pain) for c in checkins),
            pain_in_words=_pain_words(session, checkins),
            weekly_reviews=tuple(
                Fact(text("summary.review", week=w), text(f"weekly.label.{r}"))
                for w, r in sorted(ratings.items()) if r in RATINGS),
            function_checks=self._function(
                session, await self.outcomes.function_totals(user_id)),
            sessions=tuple(WeekPoint(n, per_week.get(n, 0)) for n in range(1, week + 1)),
            sessions_in_words=_session_words(session, sessions, per_week, week),
            programme_week=week,
            total_weeks=total,
            exercise_levels=await self._levels(session, plan) if plan else (),
            programme_now=self._programme_now(session, plan, phase.title) if plan else (),
            running=self._running(session, answers),
            running_log=self._running_log(
                session, plan, await self.outcomes.runs(user_id),
                await self.outcomes.running_weeks(user_id)) if plan else (),
            recommendations=tuple(
                Event(day(r.at), _recommendation(session, r.key),
                      text("summary.recommendation_reason", reason=r.reason))
                for r in recommendations),
        )

    @staticmethod
    def words(session: Session, data: SummaryData) -> SummaryWords:
        text = session.text
        return SummaryWords(
            title=text("summary.title"),
            made_on=text("summary.made_on", date=_day(session, data.made_on)),
            disclaimer=text("summary.disclaimer"),
            who=text("summary.section.who"),
            intake=text("summary.section.intake"),
            triage=text("summary.section.triage"),
            red_flags=text("summary.section.red_flags"),
            no_red_flags=text("summary.none.red_flags"),
            pain=text("summary.section.pain"),
            function=text("summary.section.function"),
            sessions=text("summary.section.sessions"),
            levels=text("summary.section.levels"),
            running=text("summary.section.running"),
            recommendations=text("summary.section.recommendations"),
            no_recommendations=text("summary.none.recommendations"),
            not_recorded_function=text("summary.not_recorded.function"),
            function_note=text("summary_programme.function_note",
                               max=function_scale(session.content)[1],
                               gain=session.content.programme.function.clear_gain),
            not_recorded_levels=text("summary.not_recorded.levels"),
            not_recorded_running=text("summary.not_recorded.running"),
            reasons=text("summary.triage.reasons"),
            reviews=text("summary.reviews"),
            footer=text("summary.footer"),
            chart=session.content.chart,
        )

    @staticmethod
    def _programme_now(session: Session, plan: Plan, phase: str) -> tuple[Fact, ...]:
        """The current phase, the equipment the runner has and their minutes for strength."""
        text = session.text
        equipment = ", ".join(text(f"equipment.{item}") for item in plan.equipment
                              if item in EQUIPMENT_TEXTS) or text("equipment.none")
        return (Fact(text("summary.phase"), phase),
                Fact(text("summary_programme.equipment"), equipment),
                Fact(text("summary_programme.minutes"),
                     text("summary_programme.minutes_value", minutes=plan.minutes)))

    async def _levels(self, session: Session, plan: Plan) -> tuple[Fact, ...]:
        """Each exercise ladder the runner's sessions have held, at its current level."""
        content = session.content
        user_id = session.user.id
        found = levels_now(content, usable_equipment(content, plan.equipment),
                           await self.progression.levels(user_id),
                           await self.progression.workouts(user_id))
        facts = []
        for ladder_id, level in found:
            ladder = content.ladders[ladder_id]
            name = content.exercises[level].name
            value = (session.text("summary_programme.level", exercise=name,
                                  level=ladder.levels.index(level) + 1,
                                  levels=len(ladder.levels))
                     if len(ladder.levels) > 1 else name)
            facts.append(Fact(ladder.name, value))
        return tuple(facts)

    @staticmethod
    def _function(session: Session, totals: dict[int, int]) -> tuple[Fact, ...]:
        """Each function check's total (start, week 3, week 6) and its change from the
        start."""
        text = session.text
        _, maximum = function_scale(session.content)
        facts = []
        for week, total in sorted(totals.items()):
            label = (text("summary_programme.function_start") if week == BASELINE
                     else text("summary_programme.function_week", week=week))
            if week == BASELINE or BASELINE not in totals:
                value = text("summary_programme.function_value", total=total, max=maximum)
            else:
                points = total - totals[BASELINE]
                change = ("up" if points > 0 else "down" if points < 0 else "same")
                value = text("summary_programme.function_change", total=total, max=maximum,
                             change=text(f"summary_programme.change.{change}",
                                         points=abs(points)))
            facts.append(Fact(label, value))
        return tuple(facts)

    @staticmethod
    def _running_log(
        session: Session, plan: Plan, runs: dict[date, float], weeks: list[RunningWeek]
    ) -> tuple[Fact, ...]:
        """The distance logged in each programme week, and the latest weekly suggestion."""
        text = session.text
        facts = []
        per_week = km_per_week(plan.started_on, runs)
        if per_week:
            facts.append(Fact(text("summary_programme.runs"), "; ".join(
                text("summary_programme.runs_week", week=w, km=_km(km))
                for w, km in sorted(per_week.items()))))
        latest = next((w for w in reversed(weeks) if w.suggestion in SUGGESTIONS), None)
        if latest is not None:
            facts.append(Fact(text("summary_programme.suggestion", week=latest.week),
                              _suggestion(session, latest)))
        return tuple(facts)

    @staticmethod
    def _who(
        session: Session, answers: dict[str, Any], plan: Plan | None, week: int, total: int
    ) -> tuple[Fact, ...]:
        text = session.text
        facts = []
        band = answers.get("age_band") or session.user.age_band
        if band in ("u13", "teen", "adult"):
            facts.append(Fact(text("summary.who.age"), text(f"summary.age.{band}")))
        side = _label(session, "side", answers.get("side"))
        if side:
            facts.append(Fact(text("summary.who.knee"), side))
        if plan is not None:
            facts.append(Fact(text("summary.who.started"), _day(session, plan.started_on)))
            value = "summary.who.week_after" if week > total else "summary.who.week_value"
            facts.append(Fact(text("summary.who.week"), text(value, week=week, total=total)))
        else:
            facts.append(Fact(text("summary.who.started"), text("summary.who.no_programme")))
        return tuple(facts)

    @staticmethod
    def _intake(session: Session, answers: dict[str, Any]) -> tuple[Fact, ...]:
        facts = []
        for key in INTAKE_KEYS:
            value = _label(session, key, answers.get(key))
            if value:
                facts.append(Fact(session.text(f"summary.answer.{key}"), value))
        story = str(answers.get("story") or "").strip()
        if story and story.casefold() != "skip":
            if len(story) > STORY_CHARACTERS:
                story = story[:STORY_CHARACTERS].rsplit(" ", 1)[0] + "…"
            facts.append(Fact(session.text("summary.story"), f"“{story}”"))
        return tuple(facts)

    @staticmethod
    def _running(session: Session, answers: dict[str, Any]) -> tuple[Fact, ...]:
        facts = []
        km = _label(session, "weekly_km", answers.get("weekly_km"))
        if km:
            facts.append(Fact(session.text("summary.running.intake"), km))
        race = _label(session, "race", answers.get("race"))
        if race:
            facts.append(Fact(session.text("summary.running.race"), race))
        return tuple(facts)


# --------------------------------------------------------------------------- helpers


def _day(session: Session, day: date) -> str:
    months = session.content.chart.month_names
    return f"{day.day} {months[day.month - 1]} {day.year}"


def _intake_step(session: Session, key: str) -> Step | None:
    dialog = session.content.dialogs.get("intake")
    if dialog is None:
        return None
    return next((s for s in dialog.steps.values() if s.save == key), None)


def _label(session: Session, key: str, value: Any) -> str | None:
    """An intake answer as the runner saw it: the option's label, yes or no, a distance."""
    if value is None or value == "":
        return None
    step = _intake_step(session, key)
    if key == "weekly_km":
        return session.text("summary.km", km=value)
    if step is not None and step.kind == "yesno":
        return session.text("buttons.yes" if str(value) == "yes" else "buttons.no")
    if step is not None:
        label = next((o.label for o in step.options if o.id == str(value)), None)
        if label:
            return label
    return str(value)


def _pain_words(session: Session, checkins: list[Checkin]) -> tuple[str, ...]:
    text = session.text
    if not checkins:
        return (text("summary.pain.none"),)
    first, last = checkins[0], checkins[-1]
    trend = pain_trend([c.worst_pain for c in checkins])
    days = (last.local_date - first.local_date).days + 1
    lines = [
        text("summary.pain.first", pain=first.worst_pain, date=_day(session, first.local_date)),
        text("summary.pain.latest", pain=last.worst_pain, date=_day(session, last.local_date)),
        text("summary.pain.checkins", count=len(checkins), days=days),
        text(f"summary.pain.trend.{trend.direction}", before=number(trend.before),
             now=number(trend.now)),
    ]
    worse = sum(c.worse_morning for c in checkins)
    swelling = sum(c.swelling for c in checkins)
    lines.append(text("summary.pain.worse_morning", count=worse))
    if swelling:
        lines.append(text("summary.pain.swelling", count=swelling))
    return tuple(lines)


def _session_words(
    session: Session, sessions: dict[date, str], per_week: dict[int, int], week: int
) -> str:
    if not per_week:
        return session.text("summary.sessions.none")
    weeks = ", ".join(f"{n}: {per_week.get(n, 0)}" for n in range(1, week + 1))
    skipped = sum(1 for status in sessions.values() if status == "skipped")
    return session.text("summary.sessions.words", done=sum(per_week.values()), weeks=weeks,
                        skipped=skipped)


def _red_flags(session: Session, events: list[SafetyEvent], triages: list[Any],
               day: Any) -> tuple[Event, ...]:
    """Every red flag (typed, answered at intake, swelling at a check-in) and what followed:
    cleared on the day the runner said a clinician had checked it, or still open."""
    words = session.content.triage
    safety = session.content.safety
    alarms: list[tuple[Any, str, list[str], str]] = [
        (t.at, t.outcome, t.signals, "intake") for t in triages if t.outcome in ALARMS]
    alarms += [(e.at, e.level, e.signals, e.context) for e in events if e.level in ALARMS]
    cleared = sorted(e.at for e in events if e.level == "cleared")
    out: list[Event] = []
    for at, level, signals, context in sorted(alarms, key=lambda a: a[0]):
        labels = [words.signals[s].label for s in signals
                  if s in words.signals and session.triage.level(s) in ALARMS]
        where = ("intake" if context.startswith("intake") else
                 "checkin" if context.startswith("checkin") else "chat")
        seen = next((c for c in cleared if c >= at), None)
        after = (session.text("summary.red_flag.cleared", date=_day(session, day(seen)))
                 if seen is not None else session.text("summary.red_flag.open"))
        parts = [f"{', '.join(labels)}." if labels else "",
                 session.text(f"summary.red_flag.{where}"), after]
        out.append(Event(day(at), safety.outcome(level).title,
                         " ".join(p for p in parts if p)))
    return tuple(out)


def _km(km: float) -> str:
    """A distance to the nearest half kilometre: 27.5, 25."""
    return f"{round(km * 2) / 2:g}"


def _suggestion(session: Session, week: RunningWeek) -> str:
    """A weekly running suggestion as a clinician reads it: what, and the week it came from."""
    text = session.text
    rules = session.content.programme.running
    what: str
    if week.suggestion.startswith("walk_run"):
        n = min(max(week.stage or 1, 1), len(rules.walk_run))
        stage = rules.walk_run[n - 1]
        words = (text("running.stage_continuous", run=stage.run) if stage.walk == 0 else
                 text("running.stage", run=stage.run, walk=stage.walk, repeats=stage.repeats,
                      total=(stage.run + stage.walk) * stage.repeats))
        what = text(f"summary_programme.suggest.{week.suggestion}", n=n, stage=words)
    elif week.suggestion == "add":
        what = text("summary_programme.suggest.add", percent=rules.step_percent,
                    target=_km(week.target_km or 0))
    elif week.suggestion == "hold":
        what = (text("summary_programme.suggest.hold", target=_km(week.target_km))
                if week.target_km else text("summary_programme.suggest.hold_same"))
    else:
        what = (text("summary_programme.suggest.back_to", target=_km(week.target_km))
                if week.target_km else text("summary_programme.suggest.back"))
    verdict = week.verdict if week.verdict in VERDICTS else "none"
    return text("summary_programme.suggestion_value", what=what, km=_km(week.km),
                basis=text(f"summary_programme.verdict.{verdict}"))


def _recommendation(session: Session, key: str) -> str:
    wanted = f"summary.recommendation.{key}"
    return session.text(wanted) if wanted in session.texts else key

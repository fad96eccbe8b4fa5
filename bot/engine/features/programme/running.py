"""Running as part of the plan: the running log (the check-in asks whether they ran
yesterday and how far; its pain question covers the run and its morning question the next
morning), the first running advice from the intake, and the weekly suggestion.

The weekly suggestion follows the pain monitoring model (Silbernagel 2007; Rathleff 2019)
over last week's runs: any run above 5/10 or a worse next morning -> step back; all runs
0-2 and every next morning settled (a pain-free week) -> a step up: the next walk-run
stage, or about 10% more distance (a rule of thumb used in graded return: Esculier 2020);
otherwise hold. Someone who has stopped running (0 km a week at intake) starts with
walk-run stages. A race within 8 weeks of the start: no added volume."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.content.programme import RunningRules, WalkRunStage
from bot.domain.events import Reply
from bot.domain.records import Checkin, Plan, RunningWeek
from bot.engine.features.programme.plan import Kit
from bot.engine.session import Session

TEXTS = {
    "running.stage": ("run", "walk", "repeats", "total"),
    "running.stage_continuous": ("run",),
    "running.start.walk_run": ("stage",),
    "running.start.hold": ("km", "course"),
    "running.course.recent": (),
    "running.course.lasting": (),
    "running.week.walk_run_next": ("n", "stage"),
    "running.week.walk_run_hold": ("n", "stage", "why"),
    "running.week.walk_run_back": ("n", "stage", "why"),
    "running.week.add": ("km", "percent", "target"),
    "running.week.hold": ("target", "why"),
    "running.week.back": ("why", "how"),
    "running.why.no_runs": (),
    "running.why.acceptable": (),
    "running.why.ease": (),
    "running.why.race": (),
    "running.back_to": ("km",),
    "running.back_ease": (),
    "running.tips": (),
}
RECENT = frozenset({"lt2w", "2to6w"})  # intake durations under six weeks
WALK_RUN = "walk_run"
DISTANCE = "distance"


def km_text(km: float) -> str:
    """A distance to the nearest half kilometre, as people say it: 27.5, 25."""
    return f"{round(km * 2) / 2:g}"


def verdict_of(runs: list[Checkin], fine_max: int, acceptable_max: int) -> str:
    """The pain monitoring model over a week of runs: none, fine, acceptable or ease."""
    if not runs:
        return "none"
    if any(c.worst_pain > acceptable_max or c.worse_morning for c in runs):
        return "ease"
    if all(c.worst_pain <= fine_max for c in runs):
        return "fine"
    return "acceptable"


def race_close(plan: Plan, today: date, rules: RunningRules) -> bool:
    """A race within ``race_weeks`` of the intake is still ahead."""
    return plan.race == "soon" and (today - plan.started_on).days < rules.race_weeks * 7


class Running:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.outcomes = kit.outcomes

    async def record(self, session: Session, today: date, answers: dict[str, Any]) -> None:
        """The check-in's running questions (not asked after swelling)."""
        if answers.get("ran") is None:
            return
        km = float(answers.get("km") or 0) if answers.get("ran") == "yes" else None
        await self.outcomes.record_run(session.user.id, today, km, session.now)

    @staticmethod
    def stage_text(session: Session, stage: WalkRunStage) -> str:
        if stage.walk == 0:
            return session.text("running.stage_continuous", run=stage.run)
        return session.text("running.stage", run=stage.run, walk=stage.walk,
                            repeats=stage.repeats,
                            total=(stage.run + stage.walk) * stage.repeats)

    async def first_advice(self, session: Session) -> Reply:
        """At the start: walk-run for someone who has stopped, otherwise hold this week at
        their usual distance; how long they have had the pain frames what to expect."""
        answers = await session.users.answers(session.user.id)
        km = int(answers.get("weekly_km") or 0)
        rules = session.content.programme.running
        if km == 0:
            key = "running.start.walk_run"
            text = session.text(key, stage=self.stage_text(session, rules.walk_run[0]))
        else:
            course = ("running.course.recent" if answers.get("duration") in RECENT
                      else "running.course.lasting")
            key = "running.start.hold"
            text = session.text(key, km=km, course=session.text(course))
        return Reply(key=key, text=f"{text}\n\n{session.text('running.tips')}")

    async def weekly(self, session: Session, plan: Plan, today: date, week: int) -> Reply:
        """The running suggestion for the coming week, from the last seven days' runs."""
        user_id = session.user.id
        programme = session.content.programme
        rules = programme.running
        bands = programme.running_advice
        checkins = await self.kit.store.checkins(user_id)
        runs = await self.outcomes.runs(user_id)
        week_runs = [c for c in checkins if today - timedelta(days=7) < c.local_date <= today
                     and c.local_date in runs]
        km = sum(runs[c.local_date] for c in week_runs)
        verdict = verdict_of(week_runs, bands.fine.pain_max, bands.acceptable.pain_max)
        history = await self.outcomes.running_weeks(user_id)
        if history:
            mode, stage, target = history[-1].mode, history[-1].stage, history[-1].target_km
        else:
            start_km = int((await session.users.answers(user_id)).get("weekly_km") or 0)
            mode, stage, target = ((WALK_RUN, 1, None) if start_km == 0
                                   else (DISTANCE, None, float(start_km)))
        racing = race_close(plan, today, rules)
        why = session.text(
            "running.why.no_runs" if verdict == "none" else
            "running.why.ease" if verdict == "ease" else
            "running.why.race" if verdict == "fine" and racing else "running.why.acceptable")
        step_up = verdict == "fine" and not racing
        text: str
        if mode == WALK_RUN:
            n = stage or 1
            if step_up and n >= len(rules.walk_run):
                mode, stage, target = DISTANCE, None, km * (1 + rules.step_percent / 100)
                suggestion = "add"
                text = session.text("running.week.add", km=km_text(km),
                                    percent=rules.step_percent, target=km_text(target))
            else:
                if step_up:
                    n, suggestion = n + 1, "walk_run_next"
                elif verdict == "ease":
                    n, suggestion = max(1, n - 1), "walk_run_back"
                else:
                    suggestion = "walk_run_hold"
                stage = n
                text = session.text(f"running.week.{suggestion}", n=n,
                                    stage=self.stage_text(session, rules.walk_run[n - 1]),
                                    why=why)
        elif verdict == "ease":
            good = [w.km for w in reversed(history)
                    if w.verdict in {"fine", "acceptable"} and 0 < w.km < km]
            target = good[0] if good else None
            suggestion = "back"
            how = (session.text("running.back_to", km=km_text(good[0])) if good
                   else session.text("running.back_ease"))
            text = session.text("running.week.back", why=why, how=how)
        elif step_up:
            target = km * (1 + rules.step_percent / 100)
            suggestion = "add"
            text = session.text("running.week.add", km=km_text(km), percent=rules.step_percent,
                                target=km_text(target))
        else:
            target = km if verdict != "none" else target
            suggestion = "hold"
            text = session.text("running.week.hold", target=km_text(target or 0), why=why)
        await self.outcomes.record_running_week(
            user_id, RunningWeek(week, mode, stage, target, km, verdict, suggestion),
            session.now)
        return Reply(key=f"running.week.{suggestion}",
                     text=f"{text}\n\n{session.text('running.tips')}")

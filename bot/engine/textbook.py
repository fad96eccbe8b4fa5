"""Turns one language's content (exercises, guides, safety texts, the programme) into
outbound replies."""

from __future__ import annotations

from typing import Any

from bot.content.exercises import Exercise
from bot.content.locale import Content
from bot.content.prefill import Prefill
from bot.content.render import render_exercise, render_topic
from bot.domain.events import Button, Reply
from bot.domain.text import fold
from bot.engine.layout import Layout
from bot.engine.triage import TriageResult

# Texts the book uses, with the placeholders it fills in (checked by `kneecoach check`).
TEXTS = {
    "safety.reasons_heading": (),
    "buttons.show_me_how": ("name",),
    "session.title": ("week",),
    "session.strength_heading": ("load", "dose"),
    "session.rest_day": (),
    "session.daily_heading": (),
    "session.stretch_dose": ("hold", "repeats"),
    "session.strength_dose": ("sets", "reps"),
    "session.release_dose": ("minutes", "areas"),
    "session.per_side": (),
    "settings.day_names": (),
    "menus.exercises": (),
    "menus.exercises_unknown": (),
    "menus.topics": (),
    "menus.topics_unknown": (),
    "exercise.heading": ("name", "kind", "targets"),
    "exercise.kind.strength": (),
    "exercise.kind.stretch": (),
    "exercise.kind.release": (),
    "exercise.dose.line": ("dose",),
    "exercise.dose.per_side": (),
    "exercise.dose.hold": ("seconds",),
    "exercise.dose.strength": ("sets", "reps", "side", "hold", "load"),
    "exercise.dose.stretch": ("seconds", "times", "side"),
    "exercise.dose.release": ("minutes", "side", "areas"),
    "exercise.seconds.one": ("n",),
    "exercise.seconds.many": ("n",),
    "exercise.minutes.one": ("n",),
    "exercise.minutes.many": ("n",),
    "exercise.times.once": (),
    "exercise.times.many": ("n",),
    "exercise.avoid": (),
    "exercise.stop_if": (),
    "learn.source": ("source",),
    "safety.hold": (),
    "buttons.clinician_seen": (),
}


class TextBook:
    """One language's content turned into replies."""

    def __init__(self, content: Content, prefill: Prefill, layout: Layout) -> None:
        self.layout = layout
        self.content = content
        self.messages = content.texts
        self._prefill = prefill

    # ----- lookups ------------------------------------------------------------------------

    def resolve(self, ref: str) -> str | None:
        """A ``text_ref`` from a dialog: ``safety.<name>`` or ``messages.<key>``."""
        return self.content.resolve(ref)

    def safety_text(self, name: str) -> str:
        text = self.resolve(f"safety.{name}")
        if text is None:
            raise KeyError(name)
        return text

    # ----- safety -------------------------------------------------------------------------

    def triage_reply(self, result: TriageResult) -> Reply:
        outcome = self.content.safety.outcome(result.outcome)
        parts = [f"**{outcome.title}**"]
        if result.reasons:
            lines = "\n".join(f"- {reason}" for reason in result.reasons)
            parts.append(f"{self.messages.get('safety.reasons_heading')}\n{lines}")
        parts.append(outcome.text.strip())
        if "not a diagnosis" not in outcome.text.lower():
            parts.append(f"_{self.content.safety.disclaimer.strip()}_")
        return Reply(
            key=result.key,
            text="\n\n".join(parts),
        )

    def hold_reply(self, key: str = "safety.hold") -> Reply:
        """Held for a clinician: ``key``'s text and the "a clinician has checked it" button
        (the programme's ``a:prog:seen``)."""
        return Reply(
            key=key,
            text=self.messages.get(key),
            buttons=((Button(self.messages.get("buttons.clinician_seen"), "a:prog:seen"),),),
        )

    def prefill(self, signals: set[str]) -> dict[str, str]:
        """Intake answers suggested by what the runner wrote (confirmed, never assumed)."""
        return self._prefill.suggest(signals)

    # ----- exercises and guides -----------------------------------------------------------

    def exercise_reply(self, exercise_id: str) -> Reply:
        exercise = self.content.exercises[exercise_id]
        return Reply(key=f"exercise.{exercise_id}", text=render_exercise(exercise, self.messages))

    def exercise_menu(self, unknown: bool) -> Reply:
        key = "menus.exercises_unknown" if unknown else "menus.exercises"
        buttons = [Button(ex.name, f"a:ex:{ex.id}") for ex in self.content.exercises.values()]
        return Reply(key=key, text=self.messages.get(key), buttons=self.layout.rows(buttons, 2))

    def topic_reply(self, topic_id: str) -> Reply:
        topic = self.content.education[topic_id]
        return Reply(key=f"learn.{topic_id}", text=render_topic(topic, self.messages))

    def topic_menu(self, unknown: bool) -> Reply:
        key = "menus.topics_unknown" if unknown else "menus.topics"
        buttons = [Button(t.title, f"a:learn:{t.id}") for t in self.content.education.values()]
        return Reply(key=key, text=self.messages.get(key), buttons=self.layout.rows(buttons, 1))

    # ----- sessions -----------------------------------------------------------------------

    def session_reply(
        self,
        week: int,
        strength_day: bool,
        key: str,
        extra_buttons: tuple[tuple[Button, ...], ...] = (),
        preface: str | None = None,
        eased: bool = False,
    ) -> Reply:
        """Today's session. ``eased``: the knee is flaring, so stay with the bodyweight phase
        and do one set fewer."""
        programme = self.content.programme
        phase = programme.phase_for_week(min(week, 2) if eased else week)
        lines: list[str] = []
        if preface:
            lines.append(preface)
        lines.append(self.messages.get("session.title", week=week))
        shown: list[Exercise] = []
        if strength_day:
            strength = [self.content.exercises[i] for i in phase.strength]
            dose = self._strength_dose(strength[0], fewer_sets=eased) if strength else ""
            lines.append(
                self.messages.get("session.strength_heading", load=phase.load, dose=dose)
                + "\n"
                + "\n".join(f"- {ex.name}" for ex in strength)
            )
            lines.append(_italic(phase.note.strip()))
            shown.extend(strength)
        else:
            lines.append(self.messages.get("session.rest_day"))
        daily = [self.content.exercises[i] for i in programme.daily]
        lines.append(
            self.messages.get("session.daily_heading")
            + "\n"
            + "\n".join(f"- {ex.name}: {self._daily_dose(ex)}" for ex in daily)
        )
        shown.extend(daily)
        how = [
            Button(self.messages.get("buttons.show_me_how", name=ex.name)[:40], f"a:ex:{ex.id}")
            for ex in shown
        ]
        return Reply(
            key=key,
            text="\n\n".join(lines),
            buttons=extra_buttons + self.layout.rows(how, 2),
        )

    def club_routine(self, weekday: int) -> str:
        """The club's routine for a weekday: strength on the programme's default strength
        days, stretching and rolling every day (no personal adjustments in a shared post)."""
        programme = self.content.programme
        names = [fold(n)[:3] for n in self.messages.get("settings.day_names").split()]
        strength_days = {names.index(fold(str(d))[:3]) for d in programme.default_strength_days}
        lines: list[str] = []
        if weekday in strength_days:
            phase = programme.phase_for_week(1)
            strength = [self.content.exercises[i] for i in phase.strength]
            lines.append(self.messages.get("session.strength_heading", load=phase.load,
                                           dose=self._strength_dose(strength[0])))
            lines.extend(f"- {ex.name}" for ex in strength)
            lines.append("")
        lines.append(self.messages.get("session.daily_heading"))
        lines.extend(
            f"- {ex.name}: {self._daily_dose(ex)}"
            for ex in (self.content.exercises[i] for i in programme.daily)
        )
        return "\n".join(lines)

    def _daily_dose(self, exercise: Exercise) -> str:
        dose: Any = exercise.dose
        if hasattr(dose, "repeats"):
            text = self.messages.get("session.stretch_dose", hold=dose.hold_seconds,
                                     repeats=dose.repeats)
            return text + (self.messages.get("session.per_side") if dose.per_side else "")
        if hasattr(dose, "minutes_per_area"):
            return self.messages.get(
                "session.release_dose", minutes=dose.minutes_per_area, areas=", ".join(dose.areas)
            )
        return self._strength_dose(exercise)

    def _strength_dose(self, exercise: Exercise, fewer_sets: bool = False) -> str:
        dose: Any = exercise.dose
        if not hasattr(dose, "sets"):
            return ""
        sets = max(1, dose.sets - 1) if fewer_sets else dose.sets
        text = self.messages.get("session.strength_dose", sets=sets, reps=dose.reps)
        return text + (self.messages.get("session.per_side") if dose.per_side else "")


def _italic(text: str) -> str:
    return f"_{text}_" if text else ""


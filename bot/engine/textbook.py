"""Turns one language's content (exercises, guides, safety texts, the programme) into
outbound replies."""

from __future__ import annotations

from bot.content.exercises import Exercise, ReleaseDose, StrengthDose, StretchDose
from bot.content.locale import Content
from bot.content.prefill import Prefill
from bot.content.render import (
    knee_words,
    render_exercise,
    render_exercise_caption,
    render_exercise_details,
    render_topic,
)
from bot.domain.events import Animation, Button, Picture, Reply
from bot.domain.records import Workout
from bot.domain.text import fold
from bot.engine.layout import Layout
from bot.engine.triage import TriageResult
from bot.engine.workouts import minutes_of, strength_moves, usable_equipment
from bot.pictures.library import ExercisePictures

# Triage outcomes whose answer is never folded into a question's message.
ALARMS = frozenset({"urgent", "see_clinician"})

# Texts the book uses, with the placeholders it fills in (checked by `kneecoach check`).
TEXTS = {
    "safety.reasons_heading": (),
    "buttons.show_me_how": ("name",),
    "session.title": ("week", "minutes"),
    "plan.short_title": ("week", "minutes"),
    "session.strength_heading": ("minutes",),
    "session.rest_day": (),
    "session.daily_heading": ("minutes",),
    "plan.hold_dose": ("sets", "seconds"),
    "plan.rep_hold": ("seconds",),
    "plan.tempo": ("down", "pause", "up"),
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
    "exercise.dose.strength": ("sets", "reps", "side", "hold", "tempo", "load"),
    "guide.strength_hold": ("sets", "seconds", "side", "load"),
    "guide.tempo": ("down", "pause", "up"),
    "guide.ladder": ("ladder", "level", "levels"),
    "guide.easier": ("text",),
    "guide.harder": ("text",),
    "guide.cue": ("text",),
    "knee.left": (),
    "knee.right": (),
    "knee.both": (),
    "knee.unknown": (),
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
    "pictures.alt": ("name",),
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
            # A clinician's or an emergency's answer stands on its own, never as the
            # preamble of a question (bot/engine/folding.py).
            alone=result.outcome in ALARMS,
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

    def exercise_replies(
        self, exercise_id: str, pictures: ExercisePictures | None, side: str | None = None
    ) -> list[Reply]:
        """How to do one exercise: its picture (the animation, with the still for doors that
        play none) with the heading, steps and dose as caption, then why, how to make it
        easier or harder, what to avoid and when to stop. Without pictures, all of it as one
        message. ``side`` (the intake's left, right or both) names the knee in its steps."""
        exercise = self.content.exercises[exercise_id]
        key = f"exercise.{exercise_id}"
        ladder = self.content.ladder_of(exercise_id)
        knee = knee_words(side, self.messages)
        if pictures is None:
            return [Reply(key=key, text=render_exercise(exercise, self.messages, ladder, knee))]
        alt = self.messages.get("pictures.alt", name=exercise.name)
        still = Picture(pictures.still, alt, f"{exercise_id}.png", *pictures.still_size)
        moving = Animation(pictures.animation, still, f"{exercise_id}.gif",
                           *pictures.animation_size)
        return [
            Reply(key=key, text=render_exercise_caption(exercise, self.messages, ladder, knee),
                  attachment=moving),
            Reply(key=f"{key}.details",
                  text=render_exercise_details(exercise, self.messages)),
        ]

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
        workout: Workout,
        key: str,
        extra_buttons: tuple[tuple[Button, ...], ...] = (),
        preface: str | None = None,
        eased: bool = False,
    ) -> Reply:
        """One day's workout with its expected duration and a "how" button per exercise.
        ``eased``: the knee is flaring, so one set fewer."""
        exercises = self.content.exercises
        strength = [exercises[i] for i in workout.strength]
        daily = [exercises[i] for i in workout.daily]
        lines: list[str] = []
        if preface:
            lines.append(preface)
        title = "plan.short_title" if workout.short else "session.title"
        lines.append(self.messages.get(title, week=week,
                                       minutes=minutes_of(self.content, [*workout.strength,
                                                                         *workout.daily])))
        if strength:
            lines.append(
                self.messages.get("session.strength_heading",
                                  minutes=minutes_of(self.content, workout.strength))
                + "\n" + "\n".join(f"- {ex.name}: {self._strength_dose(ex, eased)}"
                                    for ex in strength))
            if not workout.short:
                lines.append(_italic(self.content.programme.phase_for_week(week).note.strip()))
        elif not workout.short:
            lines.append(self.messages.get("session.rest_day"))
        if daily:
            lines.append(
                self.messages.get("session.daily_heading",
                                  minutes=minutes_of(self.content, workout.daily))
                + "\n" + "\n".join(f"- {ex.name}: {self._daily_dose(ex)}" for ex in daily))
        how = [
            Button(self.messages.get("buttons.show_me_how", name=ex.name)[:40], f"a:ex:{ex.id}")
            for ex in [*strength, *daily]
        ]
        return Reply(
            key=key,
            text="\n\n".join(lines),
            buttons=extra_buttons + self.layout.rows(how, 2),
        )

    def club_routine(self, weekday: int) -> str:
        """The club's routine for a weekday: on the programme's default strength days a
        strength session at everyone's first level with no equipment beyond a chair, a wall
        and the floor; stretching and rolling every day (no personal adjustments in a shared
        post)."""
        programme = self.content.programme
        names = [fold(n)[:3] for n in self.messages.get("settings.day_names").split()]
        strength_days = {names.index(fold(str(d))[:3]) for d in programme.default_strength_days}
        lines: list[str] = []
        if weekday in strength_days:
            has = usable_equipment(self.content, ())
            moves = strength_moves(self.content, has, programme.selection.minutes.default, {},
                                   turn=weekday)
            lines.append(self.messages.get("session.strength_heading",
                                           minutes=minutes_of(self.content, moves)))
            lines.extend(f"- {self.content.exercises[i].name}: "
                         f"{self._strength_dose(self.content.exercises[i])}" for i in moves)
            lines.append("")
        lines.append(self.messages.get("session.daily_heading",
                                       minutes=minutes_of(self.content, programme.daily)))
        lines.extend(
            f"- {ex.name}: {self._daily_dose(ex)}"
            for ex in (self.content.exercises[i] for i in programme.daily)
        )
        return "\n".join(lines)

    def _daily_dose(self, exercise: Exercise) -> str:
        dose = exercise.dose
        if isinstance(dose, StretchDose):
            text = self.messages.get("session.stretch_dose", hold=dose.hold_seconds,
                                     repeats=dose.repeats)
            return text + (self.messages.get("session.per_side") if dose.per_side else "")
        if isinstance(dose, ReleaseDose):
            return self.messages.get(
                "session.release_dose", minutes=dose.minutes_per_area, areas=", ".join(dose.areas)
            )
        return self._strength_dose(exercise)

    def _strength_dose(self, exercise: Exercise, fewer_sets: bool = False) -> str:
        dose = exercise.dose
        if not isinstance(dose, StrengthDose):
            return ""
        sets = max(1, dose.sets - 1) if fewer_sets else dose.sets
        if dose.reps is None:
            text = self.messages.get("plan.hold_dose", sets=sets, seconds=dose.hold_seconds)
        else:
            text = self.messages.get("session.strength_dose", sets=sets, reps=dose.reps)
        text += self.messages.get("session.per_side") if dose.per_side else ""
        if dose.reps is not None and dose.hold_seconds:
            text += self.messages.get("plan.rep_hold", seconds=dose.hold_seconds)
        if dose.tempo:
            down, pause, up = dose.tempo.split("-")
            text += self.messages.get("plan.tempo", down=down, pause=pause, up=up)
        return text


def _italic(text: str) -> str:
    return f"_{text}_" if text else ""


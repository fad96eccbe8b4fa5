"""Exercises and topics as messages, worded by the language's texts (``exercise.*``,
``learn.*`` in messages.yaml). Shared by the engine and the size checks."""

from __future__ import annotations

from bot.content.education import Topic
from bot.content.exercises import Exercise, StrengthDose, StretchDose
from bot.content.texts import Texts


def _count(texts: Texts, key: str, n: int) -> str:
    return texts.get(f"{key}.one" if n == 1 else f"{key}.many", n=n)


def dose_line(ex: Exercise, texts: Texts) -> str:
    """The dose in one plain sentence (or two)."""
    dose = ex.dose
    side = texts.get("exercise.dose.per_side") if dose.per_side else ""
    if isinstance(dose, StrengthDose):
        hold = (texts.get("exercise.dose.hold", seconds=_count(texts, "exercise.seconds",
                                                                  dose.hold_seconds))
                if dose.hold_seconds else "")
        return texts.get("exercise.dose.strength", sets=dose.sets, reps=dose.reps, side=side,
                         hold=hold, load=dose.load)
    if isinstance(dose, StretchDose):
        times = (texts.get("exercise.times.once") if dose.repeats == 1
                 else texts.get("exercise.times.many", n=dose.repeats))
        return texts.get("exercise.dose.stretch",
                         seconds=_count(texts, "exercise.seconds", dose.hold_seconds),
                         times=times, side=side)
    return texts.get("exercise.dose.release",
                     minutes=_count(texts, "exercise.minutes", dose.minutes_per_area),
                     side=side, areas=", ".join(dose.areas))


def render_exercise_caption(ex: Exercise, texts: Texts) -> str:
    """The heading, the numbered steps and the dose: the caption under the exercise's
    picture (fits Telegram's 1024 characters; `kneecoach check` holds every exercise to it)."""
    dose = texts.get("exercise.dose.line", dose=dose_line(ex, texts))
    return "\n\n".join([
        texts.get("exercise.heading", name=ex.name, kind=texts.get(f"exercise.kind.{ex.kind}"),
                  targets=", ".join(ex.targets)),
        "\n".join(f"{n}. {step}" for n, step in enumerate(ex.steps, start=1)),
        dose,
    ])


def render_exercise_details(ex: Exercise, texts: Texts) -> str:
    """Why it helps, where the dose comes from, what to avoid and when to stop: the message
    after the picture."""
    parts = [ex.why]
    if not isinstance(ex.dose, StrengthDose):
        parts.append(f"_{ex.dose.source}_")
    parts.append(texts.get("exercise.avoid") + "\n" + "\n".join(f"- {i}" for i in ex.avoid))
    parts.append(texts.get("exercise.stop_if") + "\n" + "\n".join(f"- {i}" for i in ex.stop_if))
    return "\n\n".join(parts)


def render_exercise(ex: Exercise, texts: Texts) -> str:
    """An exercise as one message in the project's markup (fits Discord's 2000 characters):
    the caption and the details together, where no picture goes."""
    return render_exercise_caption(ex, texts) + "\n\n" + render_exercise_details(ex, texts)


def render_topic(topic: Topic, texts: Texts) -> str:
    """An education topic as one message (fits Discord's 2000 characters)."""
    return f"**{topic.title}**\n\n{topic.body}\n\n" + texts.get("learn.source",
                                                               source=topic.source)

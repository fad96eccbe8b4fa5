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


def render_exercise(ex: Exercise, texts: Texts) -> str:
    """An exercise as one message in the project's markup (fits Discord's 2000 characters)."""
    parts = [
        texts.get("exercise.heading", name=ex.name, kind=texts.get(f"exercise.kind.{ex.kind}"),
                  targets=", ".join(ex.targets)),
        ex.why,
        "\n".join(f"{n}. {step}" for n, step in enumerate(ex.steps, start=1)),
        texts.get("exercise.dose.line", dose=dose_line(ex, texts)),
    ]
    if not isinstance(ex.dose, StrengthDose):
        parts[-1] += f"\n_{ex.dose.source}_"
    parts.append(texts.get("exercise.avoid") + "\n" + "\n".join(f"- {i}" for i in ex.avoid))
    parts.append(texts.get("exercise.stop_if") + "\n" + "\n".join(f"- {i}" for i in ex.stop_if))
    return "\n\n".join(parts)


def render_topic(topic: Topic, texts: Texts) -> str:
    """An education topic as one message (fits Discord's 2000 characters)."""
    return f"**{topic.title}**\n\n{topic.body}\n\n" + texts.get("learn.source",
                                                               source=topic.source)

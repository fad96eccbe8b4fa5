"""Exercises and topics as messages, worded by the language's texts (``exercise.*``,
``learn.*`` in messages.yaml). Shared by the engine and the size checks."""

from __future__ import annotations

from bot.content.education import Topic
from bot.content.exercises import KNEE_PLACEHOLDER, Exercise, Ladder, StrengthDose, StretchDose
from bot.content.texts import Texts

# The longest "{knee}" wording the size checks allow for.
KNEE_KEYS = ("knee.left", "knee.right", "knee.both", "knee.unknown")


def _count(texts: Texts, key: str, n: int) -> str:
    return texts.get(f"{key}.one" if n == 1 else f"{key}.many", n=n)


def tempo_words(tempo: str | None, texts: Texts) -> str:
    """``3-1-2`` -> ", 3 seconds down, 1 second pause, 2 seconds up" (empty without one)."""
    if not tempo:
        return ""
    down, pause, up = (int(part) for part in tempo.split("-"))
    return texts.get("guide.tempo", down=_count(texts, "exercise.seconds", down),
                     pause=_count(texts, "exercise.seconds", pause),
                     up=_count(texts, "exercise.seconds", up))


def dose_line(ex: Exercise, texts: Texts) -> str:
    """The dose in one plain sentence (or two)."""
    dose = ex.dose
    side = texts.get("exercise.dose.per_side") if dose.per_side else ""
    if isinstance(dose, StrengthDose):
        if dose.reps is None:
            assert dose.hold_seconds is not None
            return texts.get("guide.strength_hold", sets=dose.sets, side=side,
                             seconds=_count(texts, "exercise.seconds", dose.hold_seconds),
                             load=dose.load)
        hold = (texts.get("exercise.dose.hold", seconds=_count(texts, "exercise.seconds",
                                                                  dose.hold_seconds))
                if dose.hold_seconds else "")
        return texts.get("exercise.dose.strength", sets=dose.sets, reps=dose.reps, side=side,
                         hold=hold, tempo=tempo_words(dose.tempo, texts), load=dose.load)
    if isinstance(dose, StretchDose):
        times = (texts.get("exercise.times.once") if dose.repeats == 1
                 else texts.get("exercise.times.many", n=dose.repeats))
        return texts.get("exercise.dose.stretch",
                         seconds=_count(texts, "exercise.seconds", dose.hold_seconds),
                         times=times, side=side)
    return texts.get("exercise.dose.release",
                     minutes=_count(texts, "exercise.minutes", dose.minutes_per_area),
                     side=side, areas=", ".join(dose.areas))


def knee_words(side: str | None, texts: Texts) -> str:
    """How the steps name the runner's knee: "your left knee", "each knee", "your knee"."""
    return texts.get(f"knee.{side}" if side in {"left", "right", "both"} else "knee.unknown")


def render_exercise(
    ex: Exercise, texts: Texts, ladder: Ladder | None = None, knee: str | None = None
) -> str:
    """An exercise as one message in the project's markup (fits Discord's 2000 characters).
    ``knee``: the words for the runner's knee in the steps (default: "your knee")."""
    knee = knee or texts.get("knee.unknown")
    parts = [
        texts.get("exercise.heading", name=ex.name, kind=texts.get(f"exercise.kind.{ex.kind}"),
                  targets=", ".join(ex.targets)),
    ]
    if ladder is not None and len(ladder.levels) > 1:
        parts[0] += "\n" + texts.get("guide.ladder", ladder=ladder.name,
                                     level=ladder.levels.index(ex.id) + 1,
                                     levels=len(ladder.levels))
    parts += [
        ex.why,
        "\n".join(f"{n}. {step.replace(KNEE_PLACEHOLDER, knee)}"
                  for n, step in enumerate(ex.steps, start=1)),
        texts.get("exercise.dose.line", dose=dose_line(ex, texts)) + f"\n_{ex.source}_",
        "\n".join([texts.get("guide.easier", text=ex.easier),
                   texts.get("guide.harder", text=ex.harder),
                   texts.get("guide.cue", text=ex.cue)]),
        texts.get("exercise.avoid") + "\n" + "\n".join(f"- {i}" for i in ex.avoid),
        texts.get("exercise.stop_if") + "\n" + "\n".join(f"- {i}" for i in ex.stop_if),
    ]
    return "\n\n".join(parts)


def longest_render(ex: Exercise, texts: Texts, ladder: Ladder | None) -> int:
    """The exercise's message size with the longest knee wording (for the size checks)."""
    return max(len(render_exercise(ex, texts, ladder, texts.get(key)))
               for key in KNEE_KEYS if key in texts)


def render_topic(topic: Topic, texts: Texts) -> str:
    """An education topic as one message (fits Discord's 2000 characters)."""
    return f"**{topic.title}**\n\n{topic.body}\n\n" + texts.get("learn.source",
                                                               source=topic.source)

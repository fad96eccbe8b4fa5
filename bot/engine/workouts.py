"""One day's workout, built from the ladders (pure: no I/O).

A strength session takes the runner's current level on each ladder they have the equipment
for. The ladders of each region (knee, hip) come in the programme's priority order; the
first ``fixed`` of each region are in every session and the others take turns, session by
session (``turn``: how many strength sessions came before). The session always holds the
first knee-loading ladder and the first hip ladder the runner can do, then adds ladders
alternately (knee, hip, knee, ...) while they fit in the runner's minutes. The short
version is one knee-loading move, one hip move and one stretch. Rules and sources:
docs/DESIGN.md ("The programme: ladders, sessions and progression")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import zip_longest

from bot.content.locale import Content


def usable_equipment(content: Content, equipment: Iterable[str]) -> frozenset[str]:
    """What a runner can use: the assumed equipment and what they said they have."""
    return frozenset(content.equipment.assumed) | frozenset(equipment)


def level_of(
    content: Content, ladder_id: str, has: frozenset[str], levels: Mapping[str, str]
) -> str | None:
    """The runner's current level on a ladder (None when they cannot do any of it)."""
    return content.ladders[ladder_id].current(content.exercises, has, levels.get(ladder_id))


def _rotated(ids: Sequence[str], fixed: int, turn: int) -> list[str]:
    head, rest = list(ids[:fixed]), list(ids[fixed:])
    if rest:
        shift = turn % len(rest)
        rest = rest[shift:] + rest[:shift]
    return head + rest


def _orders(content: Content, has: frozenset[str], turn: int) -> tuple[list[str], list[str]]:
    selection = content.programme.selection
    def doable(ids: Sequence[str]) -> list[str]:
        return [i for i in ids if content.ladders[i].effective(content.exercises, has)]
    return (_rotated(doable(selection.knee), selection.fixed, turn),
            _rotated(doable(selection.hip), selection.fixed, turn))


def _anchors(content: Content, knee: list[str], hip: list[str]) -> tuple[str, str]:
    first_knee = next(i for i in knee if content.ladders[i].loads_knee)
    return first_knee, hip[0]


def strength_moves(
    content: Content, has: frozenset[str], minutes: int, levels: Mapping[str, str], turn: int
) -> tuple[str, ...]:
    """The strength moves (exercise ids) of a full session."""
    knee, hip = _orders(content, has, turn)
    first_knee, first_hip = _anchors(content, knee, hip)
    chosen = [first_knee, first_hip]
    moves = {i: level_of(content, i, has, levels) for i in knee + hip}
    used = sum(content.exercises[moves[i] or ""].minutes for i in chosen)
    others = [i for pair in zip_longest([k for k in knee if k != first_knee], hip[1:])
              for i in pair if i is not None]
    for ladder_id in others:
        cost = content.exercises[moves[ladder_id] or ""].minutes
        if used + cost <= minutes:
            chosen.append(ladder_id)
            used += cost
    return tuple(moves[i] or "" for i in chosen)


def short_moves(
    content: Content, has: frozenset[str], levels: Mapping[str, str], turn: int,
    strength_day: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(strength, daily) of the short version: one knee-loading move, one hip move and one
    stretch (on a rest day, the stretch alone). The stretch takes turns day by day."""
    stretches = [i for i in content.programme.daily if content.exercises[i].kind == "stretch"]
    stretch = (stretches[turn % len(stretches)],) if stretches else ()
    if not strength_day:
        return (), stretch
    knee, hip = _orders(content, has, turn)
    first_knee, first_hip = _anchors(content, knee, hip)
    return (tuple(level_of(content, i, has, levels) or "" for i in (first_knee, first_hip)),
            stretch)


def minutes_of(content: Content, ids: Iterable[str]) -> int:
    return sum(content.exercises[i].minutes for i in ids)


def region_of(content: Content, exercise_id: str) -> str:
    return content.ladder_of(exercise_id).region


def loads_knee(content: Content, exercise_id: str) -> bool:
    ladder = content.ladder_of(exercise_id)
    return ladder.region == "knee" and ladder.loads_knee

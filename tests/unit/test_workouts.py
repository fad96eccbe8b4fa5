"""Building a day's workout from the ladders, for every equipment a runner can have, every
budget of minutes, every turn of the rotation and any levels: always a knee-loading and a
hip movement, never a level they lack the equipment for, within their minutes."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.content import Content
from bot.engine.workouts import (
    loads_knee,
    minutes_of,
    region_of,
    short_moves,
    strength_moves,
    usable_equipment,
)
from tests.support.content import shipped_content

CONTENT = shipped_content()
ASKED = CONTENT.equipment.asked
EQUIPMENT = [frozenset(c) for n in range(len(ASKED) + 1)
             for c in itertools.combinations(ASKED, n)]


def random_levels(content: Content, seed: int) -> dict[str, str]:
    """A level on each ladder, some the runner may lack the equipment for."""
    pick = random.Random(seed)
    return {i: pick.choice(lad.levels) for i, lad in content.ladders.items()}


@pytest.mark.parametrize("equipment", EQUIPMENT, ids=lambda e: "+".join(sorted(e)) or "none")
@pytest.mark.parametrize("minutes", [5, 10, 20, 30, 45, 90])
def test_every_session_has_a_hip_and_a_knee_loading_move(
    equipment: frozenset[str], minutes: int
) -> None:
    has = usable_equipment(CONTENT, equipment)
    for turn, seed in itertools.product(range(12), range(8)):
        levels = {} if seed == 0 else random_levels(CONTENT, seed)
        moves = strength_moves(CONTENT, has, minutes, levels, turn)
        assert any(region_of(CONTENT, i) == "hip" for i in moves), moves
        assert any(loads_knee(CONTENT, i) for i in moves), moves
        assert all(CONTENT.exercises[i].usable_with(has) for i in moves), moves
        assert all(CONTENT.exercises[i].kind == "strength" for i in moves), moves
        ladders = [CONTENT.exercises[i].ladder for i in moves]
        assert len(ladders) == len(set(ladders)), "one move per ladder"
        assert len(moves) == 2 or minutes_of(CONTENT, moves) <= minutes, (moves, minutes)
        strength, daily = short_moves(CONTENT, has, levels, turn, strength_day=True)
        assert [region_of(CONTENT, i) for i in strength] == ["knee", "hip"]
        assert loads_knee(CONTENT, strength[0])
        assert [CONTENT.exercises[i].kind for i in daily] == ["stretch"]


def test_no_band_no_weights_no_step() -> None:
    has = usable_equipment(CONTENT, ())
    assert has == {"chair", "wall", "mat"}
    seen = {i for turn in range(12) for i in strength_moves(CONTENT, has, 90, {}, turn)}
    assert all(CONTENT.exercises[i].usable_with(has) for i in seen)
    assert "banded_clamshell" not in seen and "step_up" not in seen


def test_a_session_for_twenty_minutes_and_the_rotation() -> None:
    none = usable_equipment(CONTENT, ())
    assert strength_moves(CONTENT, none, 20, {}, 0) == (
        "sit_to_stand", "clamshell", "knee_extension")
    full = usable_equipment(CONTENT, ASKED)
    assert strength_moves(CONTENT, full, 20, {}, 0) == ("sit_to_stand", "clamshell", "step_up")
    # the first ladder of each region is in every session; the others take turns
    turns = [strength_moves(CONTENT, full, 30, {}, turn) for turn in range(5)]
    assert all(t[:2] == ("sit_to_stand", "clamshell") for t in turns)
    rotated = {CONTENT.exercises[i].ladder for t in turns for i in t[2:]}
    assert rotated == {"step", "knee_extension", "wall_sit", "calf", "straight_leg", "bridge",
                       "donkey_kick", "fire_hydrant"}
    # ten minutes still gets one knee and one hip move
    assert strength_moves(CONTENT, none, 10, {}, 0) == ("sit_to_stand", "clamshell")


def test_levels_are_the_runners_own() -> None:
    has = usable_equipment(CONTENT, ())
    levels = {"squat": "split_squat", "side_hip": "banded_clamshell"}
    moves = strength_moves(CONTENT, has, 10, levels, 0)
    # no band: the banded clamshell falls back to the clamshell below it
    assert moves == ("split_squat", "clamshell")


def test_a_rest_day_short_version_is_one_stretch() -> None:
    has = usable_equipment(CONTENT, ())
    assert short_moves(CONTENT, has, {}, 1, strength_day=False) == ((), ("running_lunge",))

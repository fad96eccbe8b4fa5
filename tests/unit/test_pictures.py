"""The exercise pictures: every exercise and level has a still and an animation of the right
size, no two alike, drawn the same way every time, cached by content, and checked by the
content bundle (every exercise needs a pose set)."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

from bot.check import run_check, text_limits
from bot.content import ContentError, default_dialogs_root, load_bundle
from bot.content.poses import PoseSet
from bot.pictures.library import (
    ANIMATION_FRAMES,
    ANIMATION_SIZE,
    STILL_SIZE,
    ExercisePictures,
    PictureLibrary,
    draw,
)
from bot.pictures.skeleton import FOOT_R, HAND_R, HEAD_R, frame_points
from tests.support.client import CoachClient, enrol
from tests.support.content import shipped_bundle, shipped_pictures

REPO = Path(__file__).resolve().parents[2]
POSES = shipped_bundle().poses


@pytest.fixture(scope="module")
def drawn() -> Iterator[dict[str, ExercisePictures]]:
    """Every pose set drawn once for this module (the library's memory cache)."""
    library = shipped_pictures()
    yield {ex_id: draw_cached(library, ex_id) for ex_id in POSES}


def draw_cached(library: PictureLibrary, ex_id: str) -> ExercisePictures:
    import asyncio

    found = asyncio.run(library.exercise(ex_id))
    assert found is not None
    return found


def test_every_exercise_in_content_has_a_pose_set() -> None:
    assert set(shipped_bundle().content().exercises) <= set(POSES)


def test_every_exercise_and_level_has_a_still_and_an_animation(
    drawn: dict[str, ExercisePictures],
) -> None:
    assert len(drawn) == len(POSES) >= 26  # the planned library: 26 exercises and levels
    for ex_id, pictures in drawn.items():
        still = Image.open(io.BytesIO(pictures.still))
        assert (still.format, still.size) == ("PNG", STILL_SIZE), ex_id
        assert still.convert("RGB").getpixel((2, 2)) == (255, 255, 255), ex_id
        assert 3_000 < len(pictures.still) < 60_000, ex_id
        gif = Image.open(io.BytesIO(pictures.animation))
        assert (gif.format, gif.size) == ("GIF", ANIMATION_SIZE), ex_id
        assert getattr(gif, "n_frames", 1) == ANIMATION_FRAMES, ex_id
        assert gif.info.get("loop") == 0, ex_id  # loops for ever
        assert len(pictures.animation) < 300 * 1024, ex_id


def test_no_two_pictures_are_alike(drawn: dict[str, ExercisePictures]) -> None:
    stills = {hashlib.sha256(p.still).hexdigest() for p in drawn.values()}
    animations = {hashlib.sha256(p.animation).hexdigest() for p in drawn.values()}
    assert len(stills) == len(animations) == len(drawn)


def test_the_movement_shows_start_and_end_differ(drawn: dict[str, ExercisePictures]) -> None:
    for ex_id, pictures in drawn.items():
        gif = Image.open(io.BytesIO(pictures.animation))
        first = np.asarray(gif.convert("RGB"), dtype=np.int16)
        gif.seek(ANIMATION_FRAMES // 2)
        middle = np.asarray(gif.convert("RGB"), dtype=np.int16)
        changed = (np.abs(first - middle).sum(axis=2) > 60).mean()
        assert changed > 0.004, f"{ex_id}: only {changed:.2%} of the picture moves"


def test_the_same_pose_set_gives_the_same_bytes() -> None:
    first, again = draw(POSES["banded_clamshell"]), draw(POSES["banded_clamshell"])
    assert (first.still, first.animation) == (again.still, again.animation)


def test_no_text_is_baked_in() -> None:
    # The renderer draws shapes only: nothing in the package can put text on a picture.
    for path in (REPO / "bot" / "pictures").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "ImageFont" not in source and ".text(" not in source, path.name


RADII = {"head": HEAD_R, "near_heel": FOOT_R, "far_heel": FOOT_R, "near_hand": HAND_R,
         "far_hand": HAND_R}


@pytest.mark.parametrize("ex_id", sorted(POSES))
def test_the_body_stays_on_or_above_the_floor(ex_id: str) -> None:
    pose_set = POSES[ex_id]
    last = len(pose_set.keys) - 1
    for step in range(21):
        points = frame_points(pose_set, last * step / 20)
        for name, radius in RADII.items():
            low = float(points[name][1]) - radius
            assert low > -1.5, f"{ex_id}: {name} {low:.1f} cm below the floor at {step}/20"


def test_the_running_lunge_reads_as_a_lunge_not_a_plank() -> None:
    # The right foot comes forward outside the right hand (the steps): the front leg is the
    # near one, its knee bent ahead of the hips, the back foot far behind them.
    pts = frame_points(POSES["running_lunge"], 0.0)
    pelvis = pts["pelvis"]
    assert pts["near_knee"][0] > pelvis[0] + 20 and pts["near_heel"][0] > pelvis[0] + 20
    assert pts["far_heel"][0] < pelvis[0] - 60
    assert pts["near_heel"][2] > pts["near_hand"][2]  # the foot outside the hand
    thigh = pts["near_knee"] - pts["near_hip"]
    shin = pts["near_ankle"] - pts["near_knee"]
    bend = np.degrees(np.arccos(thigh @ shin / np.linalg.norm(thigh) / np.linalg.norm(shin)))
    assert 70 < bend < 120, bend  # about a right angle at the front knee


def test_the_wall_sit_is_shallow_and_the_back_stays_on_the_wall() -> None:
    pose_set = POSES["wall_sit"]
    start, end = frame_points(pose_set, 0.0), frame_points(pose_set, 1.0)
    assert pose_set.keys[-1]["near.knee"] < 90  # well short of a right angle (the steps)
    assert abs(start["pelvis"][0] - end["pelvis"][0]) < 1  # slides straight down the wall
    assert start["pelvis"][1] - end["pelvis"][1] > 10


async def test_pictures_are_drawn_once_then_served_from_memory_and_disk(tmp_path: Path) -> None:
    poses = {"squat": POSES["squat"]}
    library = PictureLibrary(poses, tmp_path / "cache")
    first = await library.exercise("squat")
    again = await library.exercise("squat")
    assert first is again and library.drawn == 1
    cached = sorted(p.name for p in (tmp_path / "cache").iterdir())
    key = library.key("squat")
    assert cached == [f"{key}.gif", f"{key}.png"]
    assert key is not None and key.startswith(f"squat-{POSES['squat'].digest}-")

    restarted = PictureLibrary(poses, tmp_path / "cache")
    from_disk = await restarted.exercise("squat")
    assert restarted.drawn == 0 and from_disk == first
    assert await restarted.exercise("moonwalk") is None


async def test_changed_pose_data_is_drawn_again(tmp_path: Path) -> None:
    library = PictureLibrary({"squat": POSES["squat"]}, tmp_path)
    await library.exercise("squat")
    moved: PoseSet = shipped_pose_set_with(elevation=12)
    changed = PictureLibrary({"squat": moved}, tmp_path)
    assert changed.key("squat") != library.key("squat")
    await changed.exercise("squat")
    assert changed.drawn == 1


def shipped_pose_set_with(**changes: Any) -> PoseSet:
    from bot.content.poses import PoseSpec, pose_set

    raw = yaml.safe_load((REPO / "content" / "poses.yaml").read_text(encoding="utf-8"))
    spec = {**raw["exercises"]["squat"], **changes}
    return pose_set("squat", PoseSpec.model_validate(spec))


# --------------------------------------------------------------------------- content checks


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(REPO / "content", root)
    return root


def edit_poses(root: Path, change: Any) -> None:
    path = root / "poses.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["exercises"])
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as err:
        load_bundle(root, default_dialogs_root(), text_limits())
    return err.value.problems


def test_check_names_the_exercise_without_a_pose_set(copy: Path) -> None:
    edit_poses(copy, lambda ex: ex.pop("fire_hydrant"))
    expected = [
        "content/poses.yaml: exercise 'fire_hydrant': no pose set: every exercise needs one "
        "for its picture"
    ]
    assert problems(copy) == expected
    assert run_check(copy, default_dialogs_root()) == expected  # what `kneecoach check` says


def test_pose_sets_for_exercises_not_in_content_are_allowed(copy: Path) -> None:
    edit_poses(copy, lambda ex: ex.update(moonwalk=ex["squat"]))
    bundle = load_bundle(copy, default_dialogs_root(), text_limits())
    assert "moonwalk" in bundle.poses and "moonwalk" not in bundle.content().exercises


def test_bad_pose_data_is_named_by_exercise_and_field(copy: Path) -> None:
    def damage(ex: dict[str, Any]) -> None:
        ex["squat"]["arrow"]["point"] = "near_elbo"
        ex["bridge"]["keys"][1]["both"]["hips"] = 10
        ex["clamshell"]["props"][0]["type"] = "trampoline"

    edit_poses(copy, damage)
    found = problems(copy)
    assert any(p.startswith("content/poses.yaml: exercise 'squat': field 'arrow'")
               and "unknown point 'near_elbo'" in p for p in found), found
    assert any(p.startswith("content/poses.yaml: exercise 'bridge': field 'keys[2]'")
               and "hips" in p for p in found), found
    assert any(p.startswith("content/poses.yaml: exercise 'clamshell': field 'props[1].type'")
               for p in found), found


def test_a_caption_too_long_for_telegram_is_named(copy: Path) -> None:
    path = copy / "locales" / "en" / "exercises.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["clamshell"]["steps"].append("Breathe out as you lift. " * 20)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    found = problems(copy)
    assert any(p.startswith("content/locales/en/exercises.yaml: exercise 'clamshell': field "
                            "'steps': the caption under the picture") and "Telegram's 1024" in p
               for p in found), found


# --------------------------------------------------------------------------- in conversation


async def test_exercise_shows_the_animation_with_the_steps_as_caption(
    client: CoachClient,
) -> None:
    await client.send("/exercise clamshell")
    picture, details = client.last
    assert (picture.key, details.key) == ("exercise.clamshell", "exercise.clamshell.details")
    assert "1. Lie on one side" in picture.text and "**Dose:**" in picture.text
    assert "**Avoid**" in details.text and "**Stop if**" in details.text
    from bot.domain.events import Animation

    moving = picture.attachment
    assert isinstance(moving, Animation)
    assert moving.gif.startswith(b"GIF89a") and moving.filename == "clamshell.gif"
    assert moving.still.png.startswith(b"\x89PNG") and "Clamshell" in moving.alt
    assert (moving.still.width, moving.still.height) == STILL_SIZE


async def test_the_sessions_how_to_buttons_show_the_picture(client: CoachClient) -> None:
    await enrol(client)
    await client.send("/today")
    await client.press("How: Figure-four stretch")
    assert client.keys == ["exercise.figure_four", "exercise.figure_four.details"]
    assert client.last[0].attachment is not None

"""The exercise pictures: a still (PNG) and a looping animation (GIF) of one pose set.

The still shows the first key pose as a pale ghost, the last key pose on top of it and a
curved arrow along the path of the moving part. The animation eases from the first key pose
through the others to the last and back, holding a moment at each end. There is no text in
any picture, so nothing in one needs translating. Everything is a function of its
arguments: the same pose set gives the same bytes.

Pillow and numpy are imported here: import this module only when a picture is drawn.
"""

from __future__ import annotations

import io
import math

from PIL import Image

from bot.content.poses import PoseSet
from bot.pictures.library import ANIMATION_FRAMES, ANIMATION_SIZE, STILL_SIZE
from bot.pictures.paint import encode_gif, paint
from bot.pictures.scene import build_scene, figure_layer
from bot.pictures.skeleton import frame_points

FRAME_MS = 70
HOLD_MS = 650


def render_still_image(pose_set: PoseSet, size_px: tuple[int, int] = STILL_SIZE) -> Image.Image:
    """The still as a Pillow image: faint start pose, end pose on top, movement arrow."""
    scene = build_scene(pose_set, size_px)
    start = frame_points(pose_set, 0.0)
    end = frame_points(pose_set, len(pose_set.keys) - 1.0)
    ghost = figure_layer(pose_set, scene.cam, start, True)
    live = figure_layer(pose_set, scene.cam, end, False)
    return paint(scene, [ghost, live], True)


def render_still(pose_set: PoseSet, size_px: tuple[int, int] = STILL_SIZE) -> bytes:
    """PNG bytes: the start pose as a faint ghost, the end pose, and a movement arrow."""
    img = render_still_image(pose_set, size_px)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _ease(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * t)


def animation_phases(frames: int) -> list[float]:
    """Eased positions 0..1 for a start -> end -> start loop of ``frames`` frames."""
    half = max(frames // 2, 1)
    there = [_ease(i / half) for i in range(half)]
    back = [_ease(1.0 - i / half) for i in range(frames - half)]
    return there + back


def render_animation(
    pose_set: PoseSet, frames: int = ANIMATION_FRAMES,
    size_px: tuple[int, int] = ANIMATION_SIZE,
) -> bytes:
    """Looping GIF bytes: start -> end -> start, eased, holding a moment at each end."""
    scene = build_scene(pose_set, size_px)
    last = len(pose_set.keys) - 1.0
    images = [
        paint(
            scene,
            [figure_layer(pose_set, scene.cam, frame_points(pose_set, last * t), False)],
            False,
        )
        for t in animation_phases(frames)
    ]
    half = max(frames // 2, 1)
    durations = [HOLD_MS if i in (0, half) else FRAME_MS for i in range(len(images))]
    return encode_gif(images, durations)



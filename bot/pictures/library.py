"""Every exercise's pictures, drawn once and cached.

``PictureLibrary.exercise(id)`` answers from memory, else from the cache folder on disk, and
only else draws (in a worker thread, so the event loop keeps serving others): a picture is
never drawn per request. The cache key is the exercise id, the hash of its pose data and the
renderer's version, so a change to either draws it again and a stale file is never served.
Nothing is drawn at start-up: the first request for an exercise draws it (about half a
second: BENCHMARKS.md).

This module imports neither Pillow nor numpy: the drawing code loads on the first draw.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.content.poses import PoseSet

log = logging.getLogger(__name__)

STILL_SIZE = (640, 480)  # width, height in pixels
ANIMATION_SIZE = (480, 360)
ANIMATION_FRAMES = 24
STYLE = "2"  # bump when the pictures should change although no source file did


@cache
def renderer_version() -> str:
    """The style and a hash of the drawing code: changes whenever the pictures could."""
    digest = hashlib.sha256(STYLE.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name != "library.py":
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return f"{STYLE}-{digest.hexdigest()[:10]}"


@dataclass(frozen=True, slots=True)
class ExercisePictures:
    """One exercise: the still (PNG: start pose as a ghost, end pose, arrow) and the looping
    animation (GIF), with their sizes in pixels."""

    exercise_id: str
    still: bytes
    animation: bytes
    still_size: tuple[int, int] = STILL_SIZE
    animation_size: tuple[int, int] = ANIMATION_SIZE


def draw(pose_set: PoseSet) -> ExercisePictures:
    """Draw both pictures of one exercise (CPU-bound: call it in a thread)."""
    from bot.pictures.figure import render_animation, render_still

    return ExercisePictures(
        pose_set.exercise_id,
        render_still(pose_set, STILL_SIZE),
        render_animation(pose_set, ANIMATION_FRAMES, ANIMATION_SIZE),
    )


class PictureLibrary:
    """The pictures of the exercises in ``poses``, cached in memory and, when ``cache_dir``
    is given, on disk."""

    def __init__(self, poses: Mapping[str, PoseSet], cache_dir: Path | None = None) -> None:
        self.poses = poses
        self.cache_dir = cache_dir
        self._memory: dict[str, ExercisePictures] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.drawn = 0  # pictures drawn by this library (not read from a cache)

    def key(self, exercise_id: str) -> str | None:
        pose_set = self.poses.get(exercise_id)
        if pose_set is None:
            return None
        return f"{exercise_id}-{pose_set.digest}-{renderer_version()}"

    async def exercise(self, exercise_id: str) -> ExercisePictures | None:
        """The exercise's pictures (None for an exercise without a pose set)."""
        key = self.key(exercise_id)
        if key is None:
            return None
        known = self._memory.get(key)
        if known is not None:
            return known
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            known = self._memory.get(key)
            if known is None:
                known = await asyncio.to_thread(self._load_or_draw, exercise_id, key)
                self._memory[key] = known
        return known

    def _load_or_draw(self, exercise_id: str, key: str) -> ExercisePictures:
        paths = self._paths(key)
        if paths is not None:
            still, animation = paths
            try:
                return ExercisePictures(exercise_id, still.read_bytes(), animation.read_bytes())
            except OSError:
                pass  # not cached yet (or unreadable): draw it
        pictures = draw(self.poses[exercise_id])
        self.drawn += 1
        if paths is not None:
            self._store(paths[0], pictures.still)
            self._store(paths[1], pictures.animation)
        return pictures

    def _paths(self, key: str) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{key}.png", self.cache_dir / f"{key}.gif"

    def _store(self, path: Path, data: bytes) -> None:
        """Write atomically (a reader never sees half a file); a cache that cannot be
        written is only logged: the picture is still served from memory."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("picture cache not written: %s", type(exc).__name__)
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)

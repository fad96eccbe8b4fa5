"""Exercise poses (``content/poses.yaml``): the language-neutral data the exercise pictures are
drawn from, keyed by exercise id.

A pose set holds two or more key poses as joint angles of a simple 3-D skeleton, the camera
it is seen from, the props (mat, chair, step, wall, band...), which body part moves and where
the movement arrow goes. Nothing here is a word anyone reads: the pictures carry no text. The
renderer (``bot.pictures``) turns a ``PoseSet`` into a still and an animation.

Angles are in degrees, lengths in centimetres. World: y up, y = 0 the floor (or the top of
the mat); the plain side view looks along -z at a figure facing +x. ``near`` is the right
limb and ``far`` the left one. Pelvis (the whole body): ``x y z`` position, ``yaw``, ``pitch``
(90 = face down, -90 = on the back), ``side`` (90 = lying on the right side). Chest, relative
to the pelvis: ``pitch``, ``side``, ``twist``. Head: ``neck``, ``neck_side``. Per limb
(``near``, ``far`` or ``both``): ``hip``, ``hip_abd``, ``hip_rot``, ``knee``, ``ankle``,
``toe``, ``shoulder``, ``shoulder_abd``, ``elbow``. Each key pose lists only what changes from
the one before.

Points are joint names (``near_knee``, ``pelvis``...) or ``<side>_<segment>@<fraction>``
(``near_thigh@0.8``: 80 % of the way along the near thigh).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from bot.content.models import Id, Model

SIDES = ("near", "far")
LIMB_ANGLES = ("hip", "hip_abd", "hip_rot", "knee", "ankle", "toe", "shoulder",
               "shoulder_abd", "elbow")
PELVIS_ANGLES = ("x", "y", "z", "yaw", "pitch", "side")
CHEST_ANGLES = ("pitch", "side", "twist")
ANGLE_NAMES: tuple[str, ...] = (
    *(f"pelvis.{k}" for k in PELVIS_ANGLES),
    *(f"chest.{k}" for k in CHEST_ANGLES),
    "neck",
    "neck_side",
    *(f"{s}.{k}" for s in SIDES for k in LIMB_ANGLES),
)
SEGMENTS = ("thigh", "shin", "foot", "upper", "fore", "trunk")
JOINTS = ("hip", "knee", "ankle", "heel", "ball", "toe", "shoulder", "elbow", "wrist", "hand",
          "waist")
POINTS: frozenset[str] = frozenset(
    {"pelvis", "waist", "neck", "head", "nose"} | {f"{s}_{j}" for s in SIDES for j in JOINTS}
)
PARTS: frozenset[str] = frozenset(
    {"head", "torso", "pelvis"}
    | {f"{s}_{p}" for s in SIDES
       for p in ("leg", "arm", "thigh", "shin", "foot", "upper", "fore")}
)
LIMB_SEGMENTS: frozenset[str] = frozenset(
    f"{s}_{p}" for s in SIDES for p in ("thigh", "shin", "foot", "upper", "fore"))
PLANTABLE: frozenset[str] = frozenset(f"{s}_{p}" for s in SIDES for p in ("foot", "hand"))
_SEGMENT_POINT = re.compile(rf"^({'|'.join(SIDES)})_({'|'.join(SEGMENTS)})@(0(\.\d+)?|1(\.0+)?)$")

PropKind = Literal["mat", "chair", "step", "wall", "box", "roller", "band", "ankle_weight"]
View = Literal["side", "front", "back", "top"]
VIEWS: dict[str, tuple[float, float]] = {  # name -> (azimuth, elevation)
    "side": (0.0, 6.0),
    "front": (-90.0, 6.0),
    "back": (90.0, 6.0),
    "top": (0.0, 90.0),
}


def is_point(name: str) -> bool:
    """A joint name or ``<side>_<segment>@<fraction>``."""
    return name in POINTS or _SEGMENT_POINT.match(name) is not None


def _check_point(name: str) -> str:
    if not is_point(name):
        raise ValueError(f"unknown point {name!r}")
    return name


Vec3 = list[float]


class PointRef(Model):
    """A point of the body in one key pose (a chair placed under the pelvis when seated)."""

    point: str
    key: int = Field(default=0, ge=0)
    offset: Vec3 = Field(default_factory=lambda: [0.0, 0.0, 0.0], min_length=3, max_length=3)

    @model_validator(mode="after")
    def _known(self) -> PointRef:
        _check_point(self.point)
        return self


class Anchor(Model):
    """A point held at a world position in every frame (a heel on the floor)."""

    point: str
    at: Vec3 = Field(min_length=3, max_length=3)

    @model_validator(mode="after")
    def _known(self) -> Anchor:
        _check_point(self.point)
        return self


class PlantSpec(Model):
    """A hand or a foot kept still (where it is in the first key pose) or, with ``to``, kept
    on a point of the body (a hand holding a thigh)."""

    limb: str
    to: str | None = None
    offset: Vec3 = Field(default_factory=lambda: [0.0, 0.0, 0.0], min_length=3, max_length=3)

    @model_validator(mode="after")
    def _known(self) -> PlantSpec:
        if self.limb not in PLANTABLE:
            raise ValueError(f"cannot plant {self.limb!r}: only {sorted(PLANTABLE)}")
        if self.to is not None:
            _check_point(self.to)
        return self


class ArrowSpec(Model):
    """The movement arrow: the path of ``point`` over the movement (scaled away from
    ``pivot`` by ``extend``, moved by ``shift``, bowed by ``bend``, its ends trimmed)."""

    point: str
    pivot: str | None = None
    extend: float = Field(default=1.0, gt=0, le=5)
    shift: Vec3 = Field(default_factory=lambda: [0.0, 0.0, 0.0], min_length=3, max_length=3)
    trim: list[float] = Field(default_factory=lambda: [0.08, 0.04], min_length=2, max_length=2)
    bend: float = Field(default=0.0, ge=-1, le=1)
    both: bool = False  # a head at each end (back and forth)

    @model_validator(mode="after")
    def _known(self) -> ArrowSpec:
        _check_point(self.point)
        if self.pivot is not None:
            _check_point(self.pivot)
        return self


class PropSpec(Model):
    """Something the exercise uses. Static props (mat, chair, step, wall, box, roller) are
    placed in world centimetres, or relative to a body point (``ref``); a band joins two
    points of the body; an ankle weight sits on one shin."""

    type: PropKind
    ref: PointRef | None = None
    x: list[float] | None = Field(default=None, min_length=2, max_length=2)
    y: list[float] | None = Field(default=None, min_length=2, max_length=2)
    z: list[float] | None = Field(default=None, min_length=2, max_length=2)
    height: float | None = None
    back: float | None = None
    center: list[float] | None = Field(default=None, min_length=2, max_length=2)
    radius: float | None = Field(default=None, gt=0)
    between: list[str] | None = Field(default=None, min_length=2, max_length=2)
    side: Literal["near", "far"] | None = None

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> PropSpec:
        if self.type == "band":
            if self.between is None:
                raise ValueError("a band needs 'between': two points of the body")
            for end in self.between:
                if _SEGMENT_POINT.match(end) is None:
                    raise ValueError(f"a band's end must be on a limb segment, got {end!r}")
        elif self.between is not None:
            raise ValueError("only a band has 'between'")
        if self.type == "roller" and self.center is None:
            raise ValueError("a roller needs 'center'")
        return self


class KeyPose(Model):
    """One key pose: only the angles that change from the one before."""

    name: Id
    pelvis: dict[str, float] = Field(default_factory=dict)
    chest: dict[str, float] = Field(default_factory=dict)
    neck: float | None = None
    neck_side: float | None = None
    both: dict[str, float] = Field(default_factory=dict)
    near: dict[str, float] = Field(default_factory=dict)
    far: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_angles(self) -> KeyPose:
        for group, allowed in (("pelvis", PELVIS_ANGLES), ("chest", CHEST_ANGLES),
                               ("both", LIMB_ANGLES), ("near", LIMB_ANGLES),
                               ("far", LIMB_ANGLES)):
            unknown = sorted(set(getattr(self, group)) - set(allowed))
            if unknown:
                raise ValueError(f"{group}: unknown angle(s) {unknown}; known: {list(allowed)}")
        return self

    def apply(self, base: Mapping[str, float]) -> dict[str, float]:
        out = dict(base)
        for name, angle in self.pelvis.items():
            out[f"pelvis.{name}"] = angle
        for name, angle in self.chest.items():
            out[f"chest.{name}"] = angle
        if self.neck is not None:
            out["neck"] = self.neck
        if self.neck_side is not None:
            out["neck_side"] = self.neck_side
        for side in SIDES:
            for name, angle in {**self.both, **getattr(self, side)}.items():
                out[f"{side}.{name}"] = angle
        return out


class PoseSpec(Model):
    """One exercise's pose set as written in content/poses.yaml."""

    view: View = "side"
    azimuth: float = 0.0  # added to the view's
    elevation: float | None = None  # replaces the view's
    anchor: Anchor | None = None
    plant: list[str | PlantSpec] = Field(default_factory=list)
    moving: list[str] = Field(min_length=1)
    front: list[str] = Field(default_factory=list)
    arrow: ArrowSpec
    props: list[PropSpec] = Field(default_factory=list)
    keys: list[KeyPose] = Field(min_length=2)

    @model_validator(mode="after")
    def _known_parts(self) -> PoseSpec:
        unknown = sorted(set(self.moving) - PARTS)
        if unknown:
            raise ValueError(f"moving: unknown part(s) {unknown}")
        unknown = sorted(set(self.front) - LIMB_SEGMENTS)
        if unknown:
            raise ValueError(f"front: unknown limb segment(s) {unknown}")
        for plant in self.plant:
            if isinstance(plant, str) and plant not in PLANTABLE:
                raise ValueError(f"plant: cannot plant {plant!r}: only {sorted(PLANTABLE)}")
        for prop in self.props:
            if prop.ref is not None and prop.ref.key >= len(self.keys):
                raise ValueError(f"props: a {prop.type} refers to key pose {prop.ref.key}, "
                                 f"but there are {len(self.keys)}")
        return self


class PosesFile(Model):
    version: int = Field(ge=1)
    exercises: dict[Id, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Plant:
    limb: str
    to: str | None
    offset: tuple[float, float, float]


@dataclass(frozen=True)
class PoseSet:
    """One exercise's pose set, ready to draw: the key poses as full angle tables (each
    inherits from the one before), the camera, and a digest of the data (the picture cache's
    key changes with it)."""

    exercise_id: str
    azimuth: float
    elevation: float
    keys: tuple[Mapping[str, float], ...]
    anchor: tuple[str, tuple[float, float, float]] | None
    plants: tuple[Plant, ...]
    moving: frozenset[str]
    front: frozenset[str]
    arrow: ArrowSpec
    props: tuple[PropSpec, ...]
    digest: str


def _vec3(values: list[float]) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))


def pose_set(exercise_id: str, spec: PoseSpec) -> PoseSet:
    azimuth, elevation = VIEWS[spec.view]
    base = dict.fromkeys(ANGLE_NAMES, 0.0)
    keys: list[Mapping[str, float]] = []
    for key in spec.keys:
        base = key.apply(base)
        keys.append(dict(base))
    plants = tuple(
        Plant(p, None, (0.0, 0.0, 0.0)) if isinstance(p, str)
        else Plant(p.limb, p.to, _vec3(p.offset))
        for p in spec.plant
    )
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True)
    return PoseSet(
        exercise_id=exercise_id,
        azimuth=azimuth + spec.azimuth,
        elevation=elevation if spec.elevation is None else spec.elevation,
        keys=tuple(keys),
        anchor=(spec.anchor.point, _vec3(spec.anchor.at)) if spec.anchor else None,
        plants=plants,
        moving=frozenset(spec.moving),
        front=frozenset(spec.front),
        arrow=spec.arrow,
        props=tuple(spec.props),
        digest=hashlib.sha256(canonical.encode()).hexdigest()[:16],
    )


def read_poses(raw: Any, report: Any) -> dict[str, PoseSet]:
    """Every valid pose set in the file; ``report(loc, message)`` hears each problem, at its
    location in the file (``("exercises", <id>, "keys", 1, ...)``)."""
    try:
        parsed = PosesFile.model_validate(raw)
    except ValidationError as err:
        for e in err.errors(include_url=False):
            report(tuple(e["loc"]), str(e["msg"]))
        return {}
    out: dict[str, PoseSet] = {}
    for ex_id, spec_raw in parsed.exercises.items():
        try:
            spec = PoseSpec.model_validate(spec_raw)
        except ValidationError as err:
            for e in err.errors(include_url=False):
                report(("exercises", ex_id, *tuple(e["loc"])), str(e["msg"]))
            continue
        out[ex_id] = pose_set(ex_id, spec)
    return out

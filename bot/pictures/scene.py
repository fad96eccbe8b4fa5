"""From a pose set to a display list: the camera, the body as rounded capsules and slabs
(near limbs dark, far limbs light, the moving part in the accent colour), the props, the
movement arrow, and the framing shared by every frame of one exercise. In camera-plane
centimetres; ``bot.pictures.paint`` turns it into pixels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.content.poses import SIDES, PoseSet, PropSpec
from bot.pictures.skeleton import (
    BAND_R,
    FRONT_DEPTH,
    HAND_R,
    HEAD_R,
    OUTLINE,
    SEGMENT_ENDS,
    SEGMENT_RADII,
    TORSO_R,
    Mat,
    Points,
    Vec,
    frame_points,
    point,
    rot_x,
    rot_y,
    vec,
)

XY = tuple[float, float]

SUPERSAMPLE = 3  # painted this many times larger, then reduced: the antialiasing
MARGIN = 0.05  # of the image size, on every side
ARROW_WIDTH = 0.016  # of the image height
MAT_THICKNESS = 1.6  # cm; the mat's top is y = 0
CM_PER_HEIGHT = 205.0  # at most this many cm fit the image height: keeps one scale for all

# ------------------------------------------------------------------ colours
BACKGROUND = "#ffffff"
FLOOR = "#eef1f4"
FLOOR_EDGE = "#d5dce3"
BODY_NEAR = "#2f4858"
BODY_FAR = "#94a7b8"
ACCENT_NEAR = "#ef6c1a"
ACCENT_FAR = "#f6b07e"
GHOST = "#dde4ea"
GHOST_ACCENT = "#f9d8bf"
ARROW = "#d84f0c"
PROP_COLOURS: dict[str, str] = {
    "mat": "#a9d2e8",
    "step": "#b7c3cc",
    "wall": "#d3dbe1",
    "chair": "#c9a57c",
    "band": "#2e9e5b",
    "weight": "#6a4c93",
    "roller": "#3f88c5",
    "box": "#b7c3cc",
}


# ------------------------------------------------------------------ shapes


@dataclass(frozen=True, slots=True)
class Capsule:
    a: XY
    b: XY
    ra: float
    rb: float
    colour: str


@dataclass(frozen=True, slots=True)
class Poly:
    pts: tuple[XY, ...]
    colour: str


Shape = Capsule | Poly


@dataclass(frozen=True, slots=True)
class Item:
    """Shapes painted together: first all outlines (if any), then all fills."""

    depth: float
    shapes: tuple[Shape, ...]
    outline: float = 0.0


@dataclass(frozen=True, slots=True)
class Camera:
    rot: Mat

    def project(self, p: Vec) -> tuple[float, float, float]:
        q = self.rot @ p
        return (float(q[0]), float(q[1]), float(q[2]))

    def xy(self, p: Vec) -> XY:
        q = self.rot @ p
        return (float(q[0]), float(q[1]))

    def depth(self, p: Vec) -> float:
        return float((self.rot @ p)[2])


def _camera(pose_set: PoseSet) -> Camera:
    return Camera(rot_x(pose_set.elevation) @ rot_y(pose_set.azimuth))


def _hull(points: Sequence[XY]) -> list[XY]:
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: XY, a: XY, b: XY) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[XY] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 1e-9:
            lower.pop()
        lower.append(p)
    upper: list[XY] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 1e-9:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _blob(points: Sequence[XY], radius: float, colour: str) -> list[Shape]:
    """The convex hull of the points grown by ``radius``: a rounded slab."""
    hull = _hull(points)
    shapes: list[Shape] = []
    if len(hull) >= 3:
        shapes.append(Poly(tuple(hull), colour))
    ring = [*hull, hull[0]] if len(hull) >= 3 else hull
    for p, q in itertools.pairwise(ring):
        shapes.append(Capsule(p, q, radius, radius, colour))
    if len(hull) == 1:
        shapes.append(Capsule(hull[0], hull[0], radius, radius, colour))
    return shapes


def _cap(cam: Camera, a: Vec, b: Vec, ra: float, rb: float, colour: str) -> Capsule:
    return Capsule(cam.xy(a), cam.xy(b), ra, rb, colour)


def _is_moving(part: str, side: str, segment: str, moving: frozenset[str]) -> bool:
    limb = "leg" if segment in ("thigh", "shin", "foot") else "arm"
    return part in moving or f"{side}_{limb}" in moving or f"{side}_{segment}" in moving


def _figure_items(
    cam: Camera, pts: Points, moving: frozenset[str], front: frozenset[str], ghost: bool
) -> tuple[list[Item], dict[str, float]]:
    """Body chains as paint items, plus each chain's depth (props attached to it use it)."""
    centre_depth = cam.depth((pts["pelvis"] + pts["neck"]) / 2.0)

    def colour(part_moving: bool, far: bool) -> str:
        if ghost:
            return GHOST_ACCENT if part_moving else GHOST
        if part_moving:
            return ACCENT_FAR if far else ACCENT_NEAR
        return BODY_FAR if far else BODY_NEAR

    items: list[Item] = []
    depths: dict[str, float] = {}
    torso_colour = colour("torso" in moving, False)
    torso: list[Shape] = []
    for lower, upper in (("hip", "waist"), ("waist", "shoulder")):
        corners = [pts[f"{s}_{j}"] for s in SIDES for j in (lower, upper)]
        torso += _blob([cam.xy(p) for p in corners], TORSO_R, torso_colour)
    if "pelvis" in moving:
        torso.append(_cap(cam, pts["pelvis"], pts["pelvis"], TORSO_R, TORSO_R, colour(True, False)))
    head_colour = colour("head" in moving, False)
    neck_top = pts["head"]
    torso.append(_cap(cam, pts["neck"], neck_top, 4.5, 4.5, head_colour))
    head: list[Shape] = [_cap(cam, pts["head"], pts["head"], HEAD_R, HEAD_R, head_colour)]
    facing = np.array(cam.xy(pts["nose"])) - np.array(cam.xy(pts["head"]))
    if float(np.linalg.norm(facing)) > HEAD_R * 0.6:  # a nose only where it shows in profile
        head.append(_cap(cam, pts["nose"], pts["nose"], 2.4, 2.4, head_colour))
    depths["torso"] = centre_depth - 0.5
    items.append(Item(depths["torso"], tuple(torso), OUTLINE))
    # its own item, so that its outline keeps it apart from a torso of the same colour
    items.append(Item(max(cam.depth(pts["head"]), depths["torso"] + 0.01), tuple(head), OUTLINE))

    for side in SIDES:
        for limb, segments in (("leg", ("thigh", "shin", "foot")), ("arm", ("upper", "fore"))):
            if limb == "leg":
                root, middle = pts[f"{side}_hip"], pts["pelvis"]
            else:
                root = pts[f"{side}_shoulder"]
                middle = (pts["near_shoulder"] + pts["far_shoulder"]) / 2.0
            far = cam.depth(root) < cam.depth(middle) - 3.0
            parts: list[tuple[list[Shape], list[Vec]]] = [([], []), ([], [])]
            for index, seg in enumerate(segments):
                shapes, chain_pts = parts[min(index, 1)]
                col = colour(_is_moving(f"{side}_{seg}", side, seg, moving), far)
                ra, rb = SEGMENT_RADII[seg]
                if seg == "foot":
                    heel, ball, toe = (pts[f"{side}_{j}"] for j in ("heel", "ball", "toe"))
                    shapes.append(_cap(cam, pts[f"{side}_ankle"], heel, 3.6, ra, col))
                    shapes.append(_cap(cam, pts[f"{side}_ankle"], ball, 3.6, ra, col))
                    shapes.append(_cap(cam, heel, ball, ra, ra, col))
                    shapes.append(_cap(cam, ball, toe, ra, ra * 0.85, col))
                    chain_pts.append(ball)
                    continue
                start, end = SEGMENT_ENDS[seg]
                a, b = pts[f"{side}_{start}"], pts[f"{side}_{end}"]
                shapes.append(_cap(cam, a, b, ra, rb, col))
                chain_pts += [a, b]
            if limb == "arm":
                col = colour(_is_moving(f"{side}_fore", side, "fore", moving), far)
                hand = pts[f"{side}_hand"]
                parts[1][0].append(_cap(cam, hand, hand, HAND_R, HAND_R, col))
            upper_front = f"{side}_{segments[0]}" in front
            lower_front = f"{side}_{segments[1]}" in front
            if upper_front or lower_front:
                # a limb that reaches across the body (a crossed leg): paint the named half last
                upper_d = float(np.mean([cam.depth(p) for p in parts[0][1]]))
                lower_d = float(np.mean([cam.depth(p) for p in parts[1][1]]))
                upper_d += FRONT_DEPTH if upper_front else 0.0
                lower_d += FRONT_DEPTH if lower_front else 0.0
                items.append(Item(upper_d, tuple(parts[0][0]), OUTLINE))
                items.append(Item(lower_d, tuple(parts[1][0]), OUTLINE))
                depths[f"{side}_{limb}"] = max(upper_d, lower_d)
            else:
                depth = float(np.mean([cam.depth(p) for p in parts[0][1] + parts[1][1]]))
                items.append(Item(depth, tuple(parts[0][0] + parts[1][0]), OUTLINE))
                depths[f"{side}_{limb}"] = depth
    return items, depths


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def _shade(hex_colour: str, amount: float) -> str:
    """amount > 0 mixes toward white, < 0 toward black."""
    r, g, b = rgb(hex_colour)
    target = 255 if amount > 0 else 0
    t = abs(amount)
    return "#{:02x}{:02x}{:02x}".format(*(round(c + (target - c) * t) for c in (r, g, b)))


def _box(cam: Camera, lo: Vec, hi: Vec, colour: str) -> list[Shape]:
    """The faces of an axis-aligned box that face the camera, shaded by direction."""
    x0, y0, z0 = (float(v) for v in lo)
    x1, y1, z1 = (float(v) for v in hi)
    faces = [
        (vec(0, 1, 0), [(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], 0.35),
        (vec(0, -1, 0), [(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)], -0.2),
        (vec(0, 0, 1), [(x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)], 0.0),
        (vec(0, 0, -1), [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], 0.0),
        (vec(1, 0, 0), [(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)], -0.12),
        (vec(-1, 0, 0), [(x0, y0, z0), (x0, y1, z0), (x0, y1, z1), (x0, y0, z1)], -0.12),
    ]
    out: list[Shape] = []
    for normal, corners, shade in faces:
        if float((cam.rot @ normal)[2]) <= 1e-6:
            continue
        poly = tuple(cam.xy(vec(*c)) for c in corners)
        out.append(Poly(poly, _shade(colour, shade)))
    return out


def _prop_ref(pose_set: PoseSet, prop: PropSpec) -> Vec:
    ref = prop.ref
    if ref is None:
        return vec(0.0, 0.0)
    pts = frame_points(pose_set, float(ref.key))
    return point(pts, ref.point) + vec(*ref.offset)


def _range(values: list[float] | None, default: tuple[float, float]) -> tuple[float, float]:
    if values is None:
        return default
    return float(values[0]), float(values[1])


def _static_props(pose_set: PoseSet, cam: Camera) -> list[Shape]:
    """Props that do not move with the body, painted behind it (mat, chair, step, wall...)."""
    shapes: list[Shape] = []
    order = {"mat": 0, "wall": 1, "step": 2, "box": 2, "chair": 3, "roller": 4}
    for prop in sorted((p for p in pose_set.props if p.type in order), key=lambda p: order[p.type]):
        o = _prop_ref(pose_set, prop)
        colour = PROP_COLOURS[prop.type]
        x0, x1 = _range(prop.x, (-100.0, 100.0))
        z0, z1 = _range(prop.z, (-30.0, 30.0))
        ox, oy, oz = (float(v) for v in o)
        if prop.type == "mat":
            lo, hi = vec(x0 + ox, -MAT_THICKNESS, z0 + oz), vec(x1 + ox, 0.0, z1 + oz)
            shapes += _box(cam, lo, hi, colour)
        elif prop.type in ("step", "wall", "box"):
            # a step stands on the floor: only its top follows the reference point
            y0, y1 = _range(prop.y, (0.0, prop.height if prop.height is not None else 20.0))
            bottom = y0 + oy if prop.type == "wall" else y0
            lo, hi = vec(x0 + ox, bottom, z0 + oz), vec(x1 + ox, y1 + oy, z1 + oz)
            shapes += _box(cam, lo, hi, colour)
        elif prop.type == "chair":
            shapes += _chair(cam, (x0 + ox, x1 + ox), (z0 + oz, z1 + oz), prop, oy, colour)
        elif prop.type == "roller":
            assert prop.center is not None  # the content checks a roller has one
            cx, cy = (float(v) for v in prop.center)
            r = prop.radius or 7.5
            a, b = vec(cx + ox, cy + oy, z0 + oz), vec(cx + ox, cy + oy, z1 + oz)
            near_end = a if cam.depth(a) > cam.depth(b) else b
            shapes.append(_cap(cam, a, b, r, r, colour))
            shapes.append(_cap(cam, near_end, near_end, r, r, _shade(colour, 0.25)))
            shapes.append(_cap(cam, near_end, near_end, r * 0.45, r * 0.45, _shade(colour, -0.1)))
    return shapes


def _chair(
    cam: Camera,
    xs: tuple[float, float],
    zs: tuple[float, float],
    prop: PropSpec,
    oy: float,
    colour: str,
) -> list[Shape]:
    """A plain chair: back legs and backrest at x[0], front at x[1], seat top at height."""
    top = (prop.height if prop.height is not None else 45.0) + oy
    back_top = top + (prop.back if prop.back is not None else 40.0)
    (x0, x1), (z0, z1) = xs, zs
    leg, slab = 3.0, 4.0
    dark = _shade(colour, -0.18)
    parts: list[tuple[Vec, Vec, str]] = []
    # far legs first, near legs last
    for z in (z0, z1 - leg):
        parts.append((vec(x0, 0.0, z), vec(x0 + leg, back_top, z + leg), dark))
        parts.append((vec(x1 - leg, 0.0, z), vec(x1, top - slab, z + leg), dark))
    parts.insert(
        2, (vec(x0, back_top - 16.0, z0 + leg), vec(x0 + leg, back_top - 2.0, z1 - leg), colour)
    )
    parts.insert(3, (vec(x0, top - slab, z0), vec(x1, top, z1), colour))
    shapes: list[Shape] = []
    for lo, hi, col in parts:
        shapes += _box(cam, lo, hi, col)
    return shapes


def _attached_props(
    pose_set: PoseSet, cam: Camera, pts: Points, depths: Mapping[str, float], ghost: bool
) -> list[Item]:
    """Band and ankle weight: they move with the limbs they are on."""
    items: list[Item] = []
    for prop in pose_set.props:
        if prop.type == "band":
            colour = GHOST if ghost else PROP_COLOURS["band"]
            ends = list(prop.between or [])
            a, b = point(pts, ends[0]), point(pts, ends[1])
            strand_depth = (cam.depth(a) + cam.depth(b)) / 2.0
            items.append(Item(strand_depth, (_cap(cam, a, b, BAND_R, BAND_R, colour),), 0.6))
            for end, p in zip(ends, (a, b), strict=True):
                side, seg = end.split("@")[0].split("_", 1)
                start_j, end_j = SEGMENT_ENDS[seg]
                axis = cam.xy(pts[f"{side}_{end_j}"])
                base = cam.xy(pts[f"{side}_{start_j}"])
                dx, dy = axis[0] - base[0], axis[1] - base[1]
                length = math.hypot(dx, dy) or 1.0
                nx, ny = -dy / length, dx / length
                r = SEGMENT_RADII[seg][0] * 0.85 + BAND_R
                c = cam.xy(p)
                ring = Capsule(
                    (c[0] - nx * r, c[1] - ny * r),
                    (c[0] + nx * r, c[1] + ny * r),
                    BAND_R * 1.2,
                    BAND_R * 1.2,
                    colour,
                )
                limb = "leg" if seg in ("thigh", "shin", "foot") else "arm"
                items.append(Item(depths[f"{side}_{limb}"] + 0.01, (ring,), 0.0))
        elif prop.type == "ankle_weight":
            colour = GHOST if ghost else PROP_COLOURS["weight"]
            side = prop.side or "near"
            knee, ankle = pts[f"{side}_knee"], pts[f"{side}_ankle"]
            a = knee + (ankle - knee) * 0.78
            b = knee + (ankle - knee) * 0.95
            items.append(
                Item(depths[f"{side}_leg"] + 0.01, (_cap(cam, a, b, 6.2, 6.2, colour),), 0.6)
            )
    return items


# ------------------------------------------------------------------ arrow


def _arrow_path(pose_set: PoseSet, cam: Camera, samples: int = 48) -> list[XY]:
    spec = pose_set.arrow
    last = len(pose_set.keys) - 1.0
    path: list[XY] = []
    for i in range(samples + 1):
        pts = frame_points(pose_set, last * i / samples)
        p = point(pts, spec.point)
        if spec.pivot is not None:
            pivot = point(pts, spec.pivot)
            p = pivot + (p - pivot) * spec.extend
        path.append(cam.xy(p + vec(*spec.shift)))
    if spec.bend:
        total = _length(path)
        sx, sy = path[-1][0] - path[0][0], path[-1][1] - path[0][1]
        chord = math.hypot(sx, sy) or 1.0
        nx, ny = -sy / chord, sx / chord
        out: list[XY] = []
        run = 0.0
        for i, q in enumerate(path):
            if i:
                run += math.dist(path[i - 1], q)
            off = spec.bend * chord * math.sin(math.pi * run / (total or 1.0))
            out.append((q[0] + nx * off, q[1] + ny * off))
        path = out
    return _trim(path, spec.trim[0], spec.trim[1])


def _length(path: Sequence[XY]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(path))


def _trim(path: Sequence[XY], start: float, end: float) -> list[XY]:
    total = _length(path)
    if total <= 0.0:
        return list(path)
    lo, hi = total * start, total * (1.0 - end)
    out: list[XY] = []
    run = 0.0
    for a, b in itertools.pairwise(path):
        seg = math.dist(a, b)
        for t in (0.0, 1.0):
            pos = run + seg * t
            if lo <= pos <= hi:
                out.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
        if run < lo < run + seg:
            f = (lo - run) / seg
            out.insert(0, (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f))
        if run < hi < run + seg:
            f = (hi - run) / seg
            out.append((a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f))
        run += seg
    dedup: list[XY] = []
    for p in out:
        if not dedup or math.dist(dedup[-1], p) > 1e-6:
            dedup.append(p)
    return dedup


def arrow_shapes(path: Sequence[XY], width: float, both: bool) -> tuple[list[Shape], list[Shape]]:
    """(halo, body) shapes for an arrow along ``path`` (pixel units)."""
    total = _length(path)
    if len(path) < 2 or total < width * 2:
        return [], []
    width = min(width, max(total / 6.0, width * 0.6))
    head_len, head_half = width * 3.0, width * 2.1

    def head(tip: XY, before: Sequence[XY]) -> tuple[Poly, list[XY]]:
        # walk back along the path to where the head's base sits
        run, base = 0.0, before[0]
        kept: list[XY] = []
        prev = tip
        for p in before:
            step = math.dist(prev, p)
            if run + step >= head_len * 0.8:
                f = (head_len * 0.8 - run) / (step or 1.0)
                base = (prev[0] + (p[0] - prev[0]) * f, prev[1] + (p[1] - prev[1]) * f)
                kept = [base, *before[before.index(p) :]]
                break
            run += step
            prev = p
        dx, dy = tip[0] - base[0], tip[1] - base[1]
        n = math.hypot(dx, dy) or 1.0
        ux, uy = dx / n, dy / n
        back = (tip[0] - ux * head_len, tip[1] - uy * head_len)
        tri = Poly(
            (
                tip,
                (back[0] - uy * head_half, back[1] + ux * head_half),
                (back[0] + ux * width * 0.6, back[1] + uy * width * 0.6),
                (back[0] + uy * head_half, back[1] - ux * head_half),
            ),
            ARROW,
        )
        return tri, kept

    body_path = list(path)
    heads: list[Poly] = []
    tri, rest = head(body_path[-1], body_path[-2::-1])
    heads.append(tri)
    body_path = rest[::-1]
    if both and len(body_path) >= 2:
        tri, rest = head(body_path[0], body_path[1:])
        heads.append(tri)
        body_path = rest
    body: list[Shape] = [
        Capsule(a, b, width / 2, width / 2, ARROW) for a, b in itertools.pairwise(body_path)
    ]
    body += heads
    halo: list[Shape] = []
    grow = width * 0.45
    for s in body:
        if isinstance(s, Capsule):
            halo.append(Capsule(s.a, s.b, s.ra + grow, s.rb + grow, BACKGROUND))
        else:
            halo.append(Poly(_grow_poly(s.pts, grow), BACKGROUND))
    return halo, body


def _grow_poly(pts: Sequence[XY], by: float) -> tuple[XY, ...]:
    cx = sum(p[0] for p in pts) / len(pts)
    cy = sum(p[1] for p in pts) / len(pts)
    out = []
    for x, y in pts:
        d = math.hypot(x - cx, y - cy) or 1.0
        out.append((x + (x - cx) / d * by * 1.6, y + (y - cy) / d * by * 1.6))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Frame:
    """cm (camera plane) -> pixels of the supersampled canvas."""

    scale: float
    ox: float
    oy: float

    def px(self, p: XY) -> XY:
        return (self.ox + p[0] * self.scale, self.oy - p[1] * self.scale)


def figure_layer(pose_set: PoseSet, cam: Camera, pts: Points, ghost: bool) -> list[Item]:
    items, depths = _figure_items(cam, pts, pose_set.moving, pose_set.front, ghost)
    items += _attached_props(pose_set, cam, pts, depths, ghost)
    return sorted(items, key=lambda it: it.depth)


def _bounds(shapes: Sequence[Shape]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for s in shapes:
        if isinstance(s, Poly):
            xs += [p[0] for p in s.pts]
            ys += [p[1] for p in s.pts]
        else:
            for c, r in ((s.a, s.ra), (s.b, s.rb)):
                xs += [c[0] - r, c[0] + r]
                ys += [c[1] - r, c[1] + r]
    return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True, slots=True)
class Scene:
    """What every frame of one pose set shares: camera, framing, floor, props and arrow."""

    cam: Camera
    frame: Frame
    size: tuple[int, int]
    floor_y: float  # camera-plane y of the floor's far edge
    props: tuple[Shape, ...]
    arrow: tuple[XY, ...]
    arrow_both: bool


def build_scene(pose_set: PoseSet, size: tuple[int, int]) -> Scene:
    cam = _camera(pose_set)
    props = tuple(_static_props(pose_set, cam))
    arrow = tuple(_arrow_path(pose_set, cam))
    last = len(pose_set.keys) - 1.0
    frames = [frame_points(pose_set, last * i / 8) for i in range(9)]
    # frame on the body and the arrow over the whole movement; big props (mat, wall) get clipped
    shapes: list[Shape] = [Capsule(p, p, 4.0, 4.0, ARROW) for p in arrow]
    for pts in frames:
        shapes += [s for it in figure_layer(pose_set, cam, pts, False) for s in it.shapes]
    x0, y0, x1, y1 = _bounds(shapes)
    w, h = size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE
    scale = min(
        w * (1 - 2 * MARGIN) / max(x1 - x0, 1e-6),
        h * (1 - 2 * MARGIN) / max(y1 - y0, 1e-6),
        h / CM_PER_HEIGHT,
    )
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    frame = Frame(scale, w / 2.0 - cx * scale, h / 2.0 + cy * scale)
    far_z = min(float(p[2]) for pts in frames for p in pts.values()) - 60.0
    floor = -MAT_THICKNESS if any(p.type == "mat" for p in pose_set.props) else 0.0
    floor_y = cam.xy(vec(0.0, floor, far_z))[1]
    both = pose_set.arrow.both
    return Scene(cam, frame, size, floor_y, props, arrow, both)



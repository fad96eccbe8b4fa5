"""The skeleton the exercise pictures are drawn with: body sizes, joint angles -> points
(forward kinematics) and a small two-link solver that keeps planted hands and feet where they
are. Angle conventions: ``bot.content.poses``. Pure numpy, no state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from bot.content.poses import ANGLE_NAMES, Plant, PoseSet

Vec = npt.NDArray[np.float64]
Mat = npt.NDArray[np.float64]
Points = dict[str, Vec]

# ------------------------------------------------------------------ body (centimetres)
HIP_HALF = 9.0
SHOULDER_HALF = 14.0
SHOULDER_DROP = 4.0
TRUNK = 50.0  # pelvis centre to the base of the neck
WAIST = 20.0  # pelvis centre to the waist, where the chest bends
WAIST_HALF = 8.0
NECK = 6.0
HEAD_R = 10.5
TORSO_R = 9.5
THIGH = 43.0
SHIN = 43.0
UPPER_ARM = 29.0
FOREARM = 25.0
HAND_OFFSET = 4.0
HAND_R = 4.0
HEEL = (-4.0, -5.0)  # in the foot's frame, from the ankle
BALL = (13.0, -5.0)
TOE_LEN = 6.0
FOOT_R = 3.0
OUTLINE = 1.1  # white edge around every body chain, cm
BAND_R = 2.0  # half the width of an elastic band, cm
FRONT_DEPTH = 1000.0  # added to the depth of the pieces a pose set asks to have in front
SEGMENT_RADII: dict[str, tuple[float, float]] = {
    "thigh": (7.5, 5.5),
    "shin": (5.2, 3.6),
    "foot": (FOOT_R, FOOT_R),
    "upper": (4.6, 3.9),
    "fore": (3.8, 3.0),
}
SEGMENT_ENDS: dict[str, tuple[str, str]] = {
    "thigh": ("hip", "knee"),
    "shin": ("knee", "ankle"),
    "foot": ("heel", "toe"),
    "upper": ("shoulder", "elbow"),
    "fore": ("elbow", "wrist"),
}

# ------------------------------------------------------------------ kinematics

def rot_x(deg: float) -> Mat:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> Mat:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> Mat:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def vec(x: float, y: float, z: float = 0.0) -> Vec:
    return np.array([x, y, z], dtype=np.float64)


def forward(a: Mapping[str, float]) -> Points:
    """Joint angles -> named points, pelvis at (pelvis.x, pelvis.y, pelvis.z)."""
    rb = rot_y(a["pelvis.yaw"]) @ rot_z(-a["pelvis.pitch"]) @ rot_x(a["pelvis.side"])
    origin = vec(a["pelvis.x"], a["pelvis.y"], a["pelvis.z"])
    waist = origin + rb @ vec(0.0, WAIST)
    rc = rb @ rot_z(-a["chest.pitch"]) @ rot_x(a["chest.side"]) @ rot_y(a["chest.twist"])
    pts: Points = {
        "pelvis": origin,
        "waist": waist,
        "neck": waist + rc @ vec(0.0, TRUNK - WAIST),
        "near_waist": waist + rb @ vec(0.0, 0.0, WAIST_HALF),
        "far_waist": waist + rb @ vec(0.0, 0.0, -WAIST_HALF),
    }
    rn = rc @ rot_z(-a["neck"]) @ rot_x(a["neck_side"])
    pts["head"] = pts["neck"] + rn @ vec(0.0, NECK + HEAD_R * 0.8)
    pts["nose"] = pts["head"] + rn @ vec(HEAD_R * 0.95, -HEAD_R * 0.1)
    for side, sign in (("near", 1.0), ("far", -1.0)):

        def g(name: str, side: str = side) -> float:
            return a[f"{side}.{name}"]

        hip = origin + rb @ vec(0.0, 0.0, sign * HIP_HALF)
        r_thigh = rb @ rot_z(g("hip")) @ rot_x(-sign * g("hip_abd")) @ rot_y(-sign * g("hip_rot"))
        knee = hip + r_thigh @ vec(0.0, -THIGH)
        r_shin = r_thigh @ rot_z(-g("knee"))
        ankle = knee + r_shin @ vec(0.0, -SHIN)
        r_foot = r_shin @ rot_z(-g("ankle"))
        ball = ankle + r_foot @ vec(*BALL)
        shoulder = waist + rc @ vec(0.0, TRUNK - WAIST - SHOULDER_DROP, sign * SHOULDER_HALF)
        r_upper = rc @ rot_z(g("shoulder")) @ rot_x(-sign * g("shoulder_abd"))
        elbow = shoulder + r_upper @ vec(0.0, -UPPER_ARM)
        r_fore = r_upper @ rot_z(g("elbow"))
        wrist = elbow + r_fore @ vec(0.0, -FOREARM)
        pts |= {
            f"{side}_hip": hip,
            f"{side}_knee": knee,
            f"{side}_ankle": ankle,
            f"{side}_heel": ankle + r_foot @ vec(*HEEL),
            f"{side}_ball": ball,
            f"{side}_toe": ball + r_foot @ rot_z(g("toe")) @ vec(TOE_LEN, 0.0),
            f"{side}_shoulder": shoulder,
            f"{side}_elbow": elbow,
            f"{side}_wrist": wrist,
            f"{side}_hand": wrist + r_fore @ vec(0.0, -HAND_OFFSET),
        }
    return pts


def point(pts: Points, spec: str) -> Vec:
    """A named point, or ``near_thigh@0.8``: 80 % of the way along the near thigh."""
    if "@" not in spec:
        return pts[spec]
    seg, frac_text = spec.split("@")
    side, part = seg.split("_", 1)
    frac = float(frac_text)
    if part == "trunk":
        a, b = pts["pelvis"], pts["neck"]
    else:
        start, end = SEGMENT_ENDS[part]
        a, b = pts[f"{side}_{start}"], pts[f"{side}_{end}"]
    return a + (b - a) * frac


_PLANT_CHAINS: dict[str, tuple[str, str, str, float, float, tuple[str, ...]]] = {
    # end -> (root, middle, end joint, upper length, lower length, rigid end points)
    "foot": ("hip", "knee", "ankle", THIGH, SHIN, ("ankle", "heel", "ball", "toe")),
    "hand": ("shoulder", "elbow", "wrist", UPPER_ARM, FOREARM, ("wrist", "hand")),
}


def _plant(pts: Points, plant: Plant, first: Points) -> None:
    """Two-link solve: put the end of the chain on its goal, keeping the elbow or knee on the
    side it bends to in the interpolated pose."""
    side, kind = plant.limb.split("_")
    root_n, mid_n, end_n, l1, l2, rigid = _PLANT_CHAINS[kind]
    root, mid, end = pts[f"{side}_{root_n}"], pts[f"{side}_{mid_n}"], pts[f"{side}_{end_n}"]
    if plant.to is None:
        target = first
    else:
        goal_pt = point(pts, plant.to) + vec(*plant.offset)
        move = goal_pt - end
        target = {f"{side}_{n}": pts[f"{side}_{n}"] + move for n in rigid}
    goal = target[f"{side}_{end_n}"]
    d = goal - root
    dist = float(np.linalg.norm(d))
    reach = min(max(dist, abs(l1 - l2) + 1e-3), l1 + l2 - 1e-6)
    u = d / max(dist, 1e-9)
    hint = (mid - root) - float(np.dot(mid - root, u)) * u
    if float(np.linalg.norm(hint)) < 1e-6:
        hint = (mid - end) - float(np.dot(mid - end, u)) * u
    hint = hint / max(float(np.linalg.norm(hint)), 1e-9)
    a_len = (l1 * l1 - l2 * l2 + reach * reach) / (2.0 * reach)
    h_len = math.sqrt(max(l1 * l1 - a_len * a_len, 0.0))
    new_mid = root + u * a_len + hint * h_len
    new_end = root + u * reach
    shift = new_end - goal
    pts[f"{side}_{mid_n}"] = new_mid
    for name in rigid:
        pts[f"{side}_{name}"] = target[f"{side}_{name}"] + shift


def _angles_at(pose_set: PoseSet, u: float) -> dict[str, float]:
    keys = pose_set.keys
    u = min(max(u, 0.0), len(keys) - 1.0)
    i = min(math.floor(u), len(keys) - 2)
    f = u - i
    a, b = keys[i], keys[i + 1]
    return {k: a[k] + (b[k] - a[k]) * f for k in ANGLE_NAMES}


def _posed(pose_set: PoseSet, u: float) -> Points:
    pts = forward(_angles_at(pose_set, u))
    if pose_set.anchor is not None:
        name, at = pose_set.anchor
        shift = vec(*at) - point(pts, name)
        pts = {k: p + shift for k, p in pts.items()}
    return pts


def frame_points(pose_set: PoseSet, u: float) -> Points:
    """All named points at position ``u`` along the key poses (0 = first key, 1 = second...)."""
    pts = _posed(pose_set, u)
    if pose_set.plants:
        first = _posed(pose_set, 0.0)
        for plant in pose_set.plants:
            _plant(pts, plant, first)
    return pts


"""Synthetic landmark traces of the hinge exercises, for tests, `coach demo` and benchmarks.

A 2D sagittal body (metres) is driven by joint-angle keyframes with min-jerk interpolation, turned
by the camera yaw and projected to MediaPipe's 33 landmarks. Rep windows and faults follow the
definitions of /work/shared/eval/README.md (sections 2-3), so the labels are known by construction.
Pure: no I/O except `write_trace`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from coach.core import landmarks as L
from coach.core.exercises import load_exercise
from coach.core.frames import Frame, TraceMeta
from coach.io.trace import TraceWriter

# The exercises this generator can draw (it has poses for each); what kind each is comes from its
# exercise file.
EXERCISES = ("deadlift", "kettlebell_deadlift", "hip_thrust", "romanian_deadlift", "good_morning", "squat",
             "hip_hinge_drill", "kettlebell_swing")
_KIND = {"floor_start": "floor", "top_start": "top", "swing": "swing"}
_ALL_BUT = lambda *no: frozenset(EXERCISES) - set(no)  # noqa: E731
APPLICABLE = {  # fault -> exercises where it can be labelled (README section 3)
    "knee_dominant": _ALL_BUT("hip_thrust", "squat"),
    "spine_rounding": _ALL_BUT("hip_thrust"),
    "lockout_lean_back": _ALL_BUT("squat", "hip_hinge_drill"),
    "load_drift": frozenset({"deadlift", "romanian_deadlift", "kettlebell_deadlift"}),
    "balance": _ALL_BUT("kettlebell_swing", "hip_thrust"),
    "rushed_lowering": _ALL_BUT("kettlebell_swing"),
    "arm_driven_swing": frozenset({"kettlebell_swing"}),
    "incomplete_lockout": frozenset(EXERCISES),
}
KNEE_THRESHOLD = {"romanian_deadlift": 45, "good_morning": 45, "hip_hinge_drill": 45,
                  "kettlebell_swing": 55, "kettlebell_deadlift": 105, "deadlift": 112}

# Segment lengths of a 1.8 m person (m); scaled per seed.
SHIN, THIGH, LUMBAR, THORAX, NECK, UPPER_ARM, FOREARM = 0.44, 0.44, 0.22, 0.30, 0.22, 0.30, 0.27
ANKLE_Y, MIDFOOT = 0.08, 0.06  # ankle height; midfoot ahead of the ankle
BENCH_SHOULDER = (-0.92, 0.50)  # hip thrust: shoulder joint resting on a 0.4 m bench

_KEYS = ("h", "k", "r", "com", "heel", "drift", "a", "e", "load")
# h hip flexion, k knee flexion, r spinal flexion (deg); com centre of mass ahead of midfoot,
# heel lift, drift of the load ahead of midfoot (m); a arm angle from hanging, e elbow flexion
# (deg, arm mode "angle"); load in body masses.
_MODES = ("bar", "angle", "back", "thigh", "hip", "thrust")  # where the hands are
_GRIP = np.array([0.22, 0.08, 0.30, 0.14, 0.17, 0.25])  # half grip width per arm mode (m)


class _Pose(NamedTuple):
    v: np.ndarray
    mode: int


def _pose(arm: str = "angle", **kw: float) -> _Pose:
    return _Pose(np.array([float(kw.get(k, 0.0)) for k in _KEYS]), _MODES.index(arm))


def _with(p: _Pose, arm: str | None = None, **kw: float) -> _Pose:
    v = p.v.copy()
    for k, x in kw.items():
        v[_KEYS.index(k)] = x
    return _Pose(v, p.mode if arm is None else _MODES.index(arm))


def _mix(p: _Pose, q: _Pose, w: float) -> _Pose:
    return _Pose(p.v + (q.v - p.v) * w, p.mode)


# Deepest point, arm mode and load per exercise (typical ranges from the brief / README).
_BOTTOM: dict[str, dict[str, float]] = {
    "deadlift": dict(h=128, k=82), "kettlebell_deadlift": dict(h=120, k=72),
    "romanian_deadlift": dict(h=95, k=20), "good_morning": dict(h=92, k=18),
    "hip_hinge_drill": dict(h=95, k=20), "squat": dict(h=105, k=110),
    "kettlebell_swing": dict(h=95, k=30, a=-25, e=0), "hip_thrust": dict(h=75)}
_ARM = {"deadlift": "bar", "kettlebell_deadlift": "bar", "romanian_deadlift": "bar", "good_morning": "back",
        "hip_hinge_drill": "back", "squat": "back", "kettlebell_swing": "angle", "hip_thrust": "thrust"}
_LOAD = {"deadlift": 0.8, "kettlebell_deadlift": 0.25, "romanian_deadlift": 0.5, "good_morning": 0.3,
         "hip_hinge_drill": 0.0, "squat": 0.6, "kettlebell_swing": 0.0, "hip_thrust": 0.0}


@dataclass(frozen=True)
class SynthTrace:
    meta: TraceMeta
    frames: list[Frame]
    reps: list[tuple[float, float]]  # labelled windows [start, end]; end is the count moment
    rep_faults: list[list[str]]


def _rep_poses(ex: str, top: _Pose, bottom: _Pose, faults: list[str]) -> tuple[_Pose, _Pose]:
    """The top (count moment) and deepest-point poses of one rep with its faults applied."""
    thrust = ex == "hip_thrust"
    for f in faults:
        if f == "knee_dominant":  # hips drop: more knee, trunk more upright (balance tilts the shins)
            bottom = _with(bottom, k=KNEE_THRESHOLD[ex] + 12, h=bottom.v[0] + 8)
        elif f == "spine_rounding":
            bottom = _with(bottom, r=28)
        elif f == "lockout_lean_back":
            top = _with(top, h=-15) if thrust else _with(top, h=-20, r=-6)  # ~15 deg behind vertical
        elif f == "load_drift":
            bottom = _with(bottom, drift=0.12)
        elif f == "balance":
            bottom = _with(bottom, com=0.09, heel=0.03)
        elif f == "arm_driven_swing":
            top = _with(top, a=115, e=45, h=6)
        elif f == "incomplete_lockout":
            top = _with(top, h=22) if thrust else _with(top, h=22, k=14)
    return top, bottom


def _vary(rng: np.random.Generator, dh: float, dk: float) -> np.ndarray:
    """Uniform variation of hip and knee flexion (deg) by up to +-dh, +-dk."""
    v = np.zeros(len(_KEYS))
    v[:2] = rng.uniform(-1, 1, 2) * [dh, dk]
    return v


def _script(ex: str, reps: int, faults: dict[int, list[str]], rng: np.random.Generator, setup: bool,
            ending: bool, partial_after: set[int]) -> tuple[list[tuple[float, _Pose]], list[tuple[float, float]]]:
    """Keyframes of the whole clip and the labelled rep windows."""
    kind, thrust = _KIND[load_exercise(ex).kind], ex == "hip_thrust"
    top0 = _pose(_ARM[ex], h=0 if thrust else 2, k=0 if thrust else 2, load=_LOAD[ex],
                 a=90 if kind == "swing" else 0)
    bot0 = _with(top0, None, **_BOTTOM[ex])  # arm given, so no key of the table can fill it
    bot0 = _Pose(bot0.v + _vary(rng, 5, 4), bot0.mode)  # this lifter's usual depth
    tempo = 1.0 + rng.uniform(-0.08, 0.08)
    stand = _pose("angle", h=2, k=2, e=10)  # unloaded, arms hanging
    floor_grip = _pose("bar", h=120, k=80, load=_LOAD[ex])
    poses = [_rep_poses(ex, top0, _Pose(bot0.v + _vary(rng, 2, 2), bot0.mode), faults.get(n, []))
             for n in range(1, reps + 1)]
    rushed = [0.4 if "rushed_lowering" in faults.get(n, []) else 1.0 for n in range(1, reps + 1)]
    windows: list[tuple[float, float]] = []

    def go(*steps: tuple[float, _Pose | None]) -> float:  # (seconds at this tempo, pose; None holds)
        for dt, p in steps:
            keys.append((keys[-1][0] + dt * tempo, keys[-1][1] if p is None else p))
        return keys[-1][0]

    def stand_up_unloaded(bottom: _Pose) -> None:  # hands to the thighs while rising, then to the hips
        go((0.5, _with(bottom, load=0)), (1.3, _pose("thigh", h=0.6 * bottom.v[0], k=0.5 * bottom.v[1])),
           (1.4, _pose("hip", h=2, k=2)), (1.5, None))

    if kind == "floor":
        first = poses[0][1]
        keys = [(0.0, stand if setup and not thrust else first)]
        if setup and not thrust:  # bend down to grip, take the slack, pause
            go((1.0, None), (1.6, _with(first, load=0)), (0.6, first), (0.8, None))
        else:
            go((1.0 if setup else 0.5, None))
        for n, (top, _) in enumerate(poses, 1):
            windows.append((keys[-1][0], go((1.1, top))))
            go((0.4, None))
            if n in partial_after and not thrust:  # a shallow dip from lockout
                go((0.5, _mix(top0, bot0, 0.25)), (0.5, top0), (0.3, None))
            floor = poses[n][1] if n < reps else bot0
            go((1.4 * rushed[n - 1], floor), (1.0, None))
            if n in partial_after and thrust:  # a small rise from the bottom
                go((0.5, _mix(floor, top0, 0.25)), (0.5, floor), (0.8, None))
        if ending and thrust:
            go((0.7, _with(bot0, arm="thigh")), (1.5, None))
        elif ending:
            stand_up_unloaded(bot0)
    elif kind == "top":
        rdl = ex == "romanian_deadlift"
        keys = [(0.0, stand if rdl and setup else top0)]
        go((1.0, None))
        if rdl and setup:  # the bar is deadlifted off the floor first
            go((1.6, _with(floor_grip, load=0)), (0.6, floor_grip), (0.6, None), (1.2, top0), (1.5, None))
        for n, (top, bottom) in enumerate(poses, 1):
            start = keys[-1][0]
            go((1.3 * rushed[n - 1], bottom), (0.15, None))
            windows.append((start, go((1.1, top))))
            go((0.3, None), (0.4, top0), (0.6, None))
            if n in partial_after:
                go((0.6, _mix(top0, bot0, 0.25)), (0.6, top0), (0.8, None))
        if ending and rdl:  # put the bar down, stand up unloaded
            go((1.5, floor_grip), (0.8, None))
            stand_up_unloaded(floor_grip)
        else:
            go((1.5 if ending else 0.5, None))
    else:  # swing: grip the bell, hike; each rep hinges from standing tall to the float
        grip = _pose("angle", h=100, k=40, a=25)
        fall = _with(top0, a=30, h=0, k=3)  # the bell falls while the lifter stays tall
        keys = [(0.0, stand if setup else grip)]
        if setup:
            go((1.0, None), (1.6, grip), (1.0, None))
        else:
            go((0.5, None))
        for n, (top, bottom) in enumerate(poses, 1):
            start = keys[-1][0]
            go((0.5, bottom))
            windows.append((start, go((0.55, top))))
            go((0.35, fall))
            if n in partial_after:
                go((0.4, _mix(fall, bot0, 0.25)), (0.4, fall), (0.6, None))
        go((0.5, bot0), (0.7, grip), (0.8, None))  # a last backswing, then park the bell
        if ending:
            go((1.5, stand), (1.5, None))
    return keys, windows


def _dir(tilt: np.ndarray) -> np.ndarray:
    """Unit vectors of segments tilted `tilt` rad from vertical-up, forward positive."""
    return np.stack([np.sin(tilt), np.cos(tilt)], -1)


def _ik(p0: np.ndarray, p1: np.ndarray, l1: float, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-link chain p0 -> joint -> p1; the joint bends behind / below the p0->p1 line."""
    d = p1 - p0
    n = np.linalg.norm(d, axis=-1, keepdims=True)
    u = d / np.maximum(n, 1e-9)
    n = np.clip(n, abs(l1 - l2) + 1e-3, l1 + l2 - 1e-6)
    along = (l1 * l1 - l2 * l2 + n * n) / (2 * n)
    up = np.sqrt(np.maximum(l1 * l1 - along * along, 0.0))
    perp = np.stack([u[:, 1], -u[:, 0]], -1)
    return p0 + u * along + perp * up, p0 + u * n


def _thrust_table(f: float) -> tuple[np.ndarray, np.ndarray]:
    """Hip thrust: hip flexion (deg, below the shoulder-hip-knee line) -> trunk angle about the bench."""
    th = np.radians(np.linspace(-60, 30, 181))
    sho = np.array([BENCH_SHOULDER[0] * f, BENCH_SHOULDER[1]])
    hip = sho + (LUMBAR + THORAX) * f * np.stack([np.cos(th), np.sin(th)], -1)
    ankle = np.tile([0.0, ANKLE_Y], (len(th), 1))
    knee, _ = _ik(ankle, hip, SHIN * f, THIGH * f)
    a, b = sho - hip, knee - hip
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    ang = np.degrees(np.arctan2(cross, (a * b).sum(-1)))
    flex = np.where(ang < 0, ang + 360, ang) - 180  # signed: negative = hips above the line
    order = np.argsort(flex)
    return flex[order], th[order]


def _body(V: np.ndarray, mA: np.ndarray, mB: np.ndarray, w: np.ndarray, f: float, ex: str) -> dict:
    """Sagittal joint positions (N, 2) in metres: x forward from the ankle, y up from the floor."""
    h, k, r, com, heel, drift, a, e, load = (V[:, i] for i in range(len(_KEYS)))
    h, k, r, a, e = (np.radians(x) for x in (h, k, r, a, e))
    N = len(V)
    ankle = np.stack([np.zeros(N), ANKLE_Y + 0.7 * heel], -1)
    if ex == "hip_thrust":
        flex, th = _thrust_table(f)
        th = np.interp(np.degrees(h), flex, th)
        sho = np.tile([BENCH_SHOULDER[0] * f, BENCH_SHOULDER[1]], (N, 1))
        hip = sho + (LUMBAR + THORAX) * f * np.stack([np.cos(th), np.sin(th)], -1)
        knee, _ = _ik(ankle, hip, SHIN * f, THIGH * f)
        d = sho - hip
        head_tilt = np.arctan2(d[:, 0], d[:, 1]) + math.radians(30)
        trunk_tilt = np.arctan2(d[:, 0], d[:, 1])
    else:
        def chain(s: np.ndarray):
            knee = ankle + SHIN * f * _dir(s)
            hip = knee + THIGH * f * _dir(s - k)
            mid = hip + LUMBAR * f * _dir(s - k + h + 0.25 * r)
            sho = mid + THORAX * f * _dir(s - k + h + r)
            return knee, hip, sho
        knee, hip, sho = chain(np.zeros(N))
        head = sho + NECK * f * _dir(-k + h + 1.3 * r)
        barw = (mA == 0) * (1 - w) + (mB == 0) * w
        m_rot = 1 + load * (1 - barw)  # a bar on the back moves with the body
        c = (0.08 * head + 0.5 * (hip + sho) / 2 + 0.2 * (hip + knee) / 2 + 0.1 * knee / 2 + 0.12 * sho
             + (load * (1 - barw))[:, None] * sho - ankle) / m_rot[:, None]
        m_fix, x_fix = load * barw, MIDFOOT * f + drift
        R = np.linalg.norm(c, axis=-1)
        phi = np.arctan2(c[:, 0], c[:, 1])
        # tilt the whole body about the ankle so the centre of mass sits over midfoot (+ com)
        s = np.arcsin(np.clip(((m_rot + m_fix) * (MIDFOOT * f + com) - m_fix * x_fix) / (m_rot * R), -1, 1)) - phi
        knee, hip, sho = chain(s)
        trunk_tilt = s - k + h + r
        head_tilt = trunk_tilt + 0.3 * r - math.radians(5)  # the neck rounds with the spine
    # hands per arm mode, then blended between the two keyframes' modes
    arm = (UPPER_ARM + FOREARM) * f
    dx = MIDFOOT * f + drift - sho[:, 0]
    bar = np.stack([sho[:, 0] + dx, sho[:, 1] - np.sqrt(np.maximum(arm * arm - dx * dx, 0))], -1)
    el_a = sho + UPPER_ARM * f * np.stack([np.sin(a), -np.cos(a)], -1)
    el_b = sho + UPPER_ARM * f * _dir(trunk_tilt + math.pi + 0.5)
    back = sho + 0.07 * f * _dir(trunk_tilt) - el_b
    back = el_b + FOREARM * f * back / np.linalg.norm(back, axis=-1, keepdims=True)
    targets = {0: bar, 3: 0.45 * hip + 0.55 * knee + [0.07 * f, 0.0],
               4: hip + [0.03 * f, 0.1 * f], 5: hip + [0.02 * f, 0.12 * f]}
    arms = {1: (el_a, el_a + FOREARM * f * np.stack([np.sin(a + e), -np.cos(a + e)], -1)), 2: (el_b, back)}
    arms.update({m: _ik(sho, p, UPPER_ARM * f, FOREARM * f) for m, p in targets.items()})
    E, H = (np.stack([arms[m][j] for m in range(len(_MODES))]) for j in (0, 1))
    idx = np.arange(N)
    ww = w[:, None]
    elbow = E[mA, idx] * (1 - ww) + E[mB, idx] * ww
    hand = H[mA, idx] * (1 - ww) + H[mB, idx] * ww
    grip = _GRIP[mA] * (1 - w) + _GRIP[mB] * w
    return dict(ankle=ankle, knee=knee, hip=hip, sho=sho, elbow=elbow, hand=hand, grip=grip,
                head=sho + NECK * f * _dir(head_tilt), head_tilt=head_tilt,
                heel=np.stack([np.full(N, -0.06 * f), 0.03 + heel], -1),
                toe=np.stack([np.full(N, 0.19 * f), np.full(N, 0.02)], -1))


# face landmark -> metres ahead of and above the head centre (ear level), to the person's left
_FACE = {0: (0.10, -0.01, 0.0), 1: (0.08, 0.035, 0.015), 2: (0.075, 0.035, 0.03), 3: (0.065, 0.035, 0.045),
         4: (0.08, 0.035, -0.015), 5: (0.075, 0.035, -0.03), 6: (0.065, 0.035, -0.045), 7: (-0.01, 0.0, 0.075),
         8: (-0.01, 0.0, -0.075), 9: (0.08, -0.05, 0.025), 10: (0.08, -0.05, -0.025)}


def _landmarks3d(b: dict, f: float) -> np.ndarray:
    """(N, 33, 3) points: x forward, y up, z towards the person's left (m)."""
    N = len(b["hip"])
    P = np.zeros((N, 33, 3))

    def put(i: int, p2: np.ndarray, z) -> None:
        P[:, i, :2] = p2
        P[:, i, 2] = z

    up, fwd = _dir(b["head_tilt"]), _dir(b["head_tilt"] + math.pi / 2)
    for i, (ahead, above, lateral) in _FACE.items():
        put(i, b["head"] + ahead * f * fwd + above * f * up, lateral * f)
    for side, sign in ((0, 1), (1, -1)):
        put(11 + side, b["sho"], sign * 0.18 * f)
        put(13 + side, b["elbow"], sign * (b["grip"] + 0.03) * f)
        put(15 + side, b["hand"], sign * b["grip"] * f)
        fa = b["hand"] - b["elbow"]
        fa = fa / np.maximum(np.linalg.norm(fa, axis=-1, keepdims=True), 1e-9)
        put(17 + side, b["hand"] + 0.07 * f * fa, sign * (b["grip"] + 0.02) * f)
        put(19 + side, b["hand"] + 0.085 * f * fa, sign * (b["grip"] - 0.005) * f)
        put(21 + side, b["hand"] + 0.05 * f * fa, sign * (b["grip"] - 0.03) * f)
        put(23 + side, b["hip"], sign * 0.10 * f)
        put(25 + side, b["knee"], sign * 0.11 * f)
        put(27 + side, b["ankle"], sign * 0.12 * f)
        put(29 + side, b["heel"], sign * 0.12 * f)
        put(31 + side, b["toe"], sign * 0.13 * f)
    return P


def make_trace(exercise: str, reps: int = 5, faults: dict[int, list[str]] | None = None, fps: float = 30.0,
               seed: int = 0, view: str = "left", yaw_deg: float = 0.0, width: int = 1280, height: int = 720,
               noise: float = 0.003, setup: bool = True, ending: bool = True,
               partial_after: list[int] | None = None, dropouts: list[tuple[float, float]] | None = None,
               swap: tuple[float, float] | None = None) -> SynthTrace:
    """A labelled synthetic trace of `reps` reps of `exercise`; `faults` maps 1-based reps to fault ids."""
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; expected one of {', '.join(EXERCISES)}")
    if view not in ("left", "right"):
        raise ValueError(f"view must be 'left' or 'right', not {view!r}")
    if reps < 1 or fps <= 0:
        raise ValueError("reps must be at least 1 and fps positive")
    faults = {int(n): list(v) for n, v in (faults or {}).items()}
    if any(not 1 <= n <= reps for n in faults):
        raise ValueError(f"fault rep numbers must be 1..{reps}, got {sorted(faults)}")
    for fid in {fid for ids in faults.values() for fid in ids}:
        if fid not in APPLICABLE or exercise not in APPLICABLE[fid]:
            raise ValueError(f"unknown fault {fid!r}" if fid not in APPLICABLE
                             else f"fault {fid!r} does not apply to {exercise}")
    rng = np.random.default_rng(seed)
    f = 1.0 + rng.uniform(-0.05, 0.05)  # body size
    keys, windows = _script(exercise, reps, faults, rng, setup, ending, set(partial_after or []))
    kt = np.array([t for t, _ in keys])
    KV = np.stack([p.v for _, p in keys])
    KM = np.array([p.mode for _, p in keys])
    n_frames = int(math.floor(kt[-1] * fps)) + 1
    t = np.arange(n_frames) / fps
    i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
    u = np.clip((t - kt[i]) / (kt[i + 1] - kt[i]), 0, 1)
    w = u * u * u * (10 - 15 * u + 6 * u * u)  # min-jerk
    V = KV[i] + (KV[i + 1] - KV[i]) * w[:, None]
    b = _body(V, KM[i], KM[i + 1], w, f, exercise)
    P = _landmarks3d(b, f)
    # camera: turn the body by the yaw about the vertical, orthographic projection
    yaw = math.radians(yaw_deg)
    X = P[..., 0] * math.cos(yaw) + P[..., 2] * math.sin(yaw)
    depth = -(P[..., 2] * math.cos(yaw) - P[..., 0] * math.sin(yaw))  # negative = nearer the camera
    # pixels per metre: standing height ~2/3 of the image, and a hip thrust's length fits its width
    scale = min((0.62 + 0.06 * rng.uniform()) * height, 0.75 * width) / (1.8 * f)
    xc = -0.45 * f if exercise == "hip_thrust" else 0.0
    lm = np.empty((n_frames, 33, 4))
    lm[..., 0] = (width / 2 + (X - xc) * scale) / width
    lm[..., 1] = (0.9 * height - P[..., 1] * scale) / height
    lm[..., 2] = (depth - depth[:, 23:25].mean(1, keepdims=True)) * scale / width
    far = np.array([not (n.startswith("left") or n == "nose") for n in L.NAMES])
    vis = np.where(far, 0.6, 0.95)
    lm[..., 3] = np.clip(vis + rng.normal(0, 0.02, (n_frames, 33)), 0, 1)
    jitter = rng.normal(0, noise, (n_frames, 33, 3)) * np.where(far, 1.5, 1.0)[None, :, None]
    lm[..., :3] += jitter * [1, 1, 3]
    if view == "right":  # the camera sees the right side: mirror the image and the labels
        lm = lm[:, list(L.MIRROR)]
        lm[..., 0] = 1 - lm[..., 0]
    frames = []
    for j, tj in enumerate(np.round(t, 4).tolist()):
        arr = None if dropouts and any(a <= tj <= z for a, z in dropouts) else lm[j]
        if arr is not None and swap and swap[0] <= tj <= swap[1]:
            arr = arr[list(L.MIRROR)]  # left/right labels (and their visibilities) swapped
        frames.append(Frame(tj, arr))
    meta = TraceMeta(width, height, fps, f"synthetic {exercise} seed {seed}")
    rep_faults = [sorted(faults.get(n, [])) for n in range(1, reps + 1)]
    return SynthTrace(meta, frames, [(round(a, 3), round(z, 3)) for a, z in windows], rep_faults)


def write_trace(trace: SynthTrace, path: str | os.PathLike[str]) -> str:
    """Write the trace as JSON Lines (gzip if the path ends in .gz); labels are not written."""
    with TraceWriter(path, trace.meta) as w:
        for fr in trace.frames:
            w.write(fr)
    return os.fspath(path)

"""Per-frame body signals a coach reads: hip and knee bend, trunk lean, arm angle, load path.

Everything is measured in pixels (x*width, y*height) because the aspect ratio matters. Each
left/right joint pair is merged into one point, weighted by visibility: the near side dominates,
and an L/R label swap (which swaps the points *and* their visibilities) changes nothing. Angles
are signed by the way the person faces, so "forward" means the same from either side.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.core import landmarks as lmk
from coach.core.filters import Median3, OneEuro
from coach.core.frames import Frame, TraceMeta

JOINTS = ("ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "toe")
_LEFT = np.array([lmk.SIDE_JOINTS[j][0] for j in JOINTS])
_RIGHT = np.array([lmk.SIDE_JOINTS[j][1] for j in JOINTS])
J = {name: i for i, name in enumerate(JOINTS)}

# A joint pair is usable when its better side is at least this visible.
MIN_VISIBILITY = 0.35
# Joints the hinge cannot be measured without.
CORE_JOINTS = ("shoulder", "hip", "knee")


@dataclass(frozen=True)
class Features:
    """One frame's signals. Angles in degrees; lengths in leg lengths (hip-knee-ankle)."""

    t: float
    hip_flexion: float  # 0 standing tall, ~90 trunk horizontal; negative = hips past the line
    knee_flexion: float  # 0 straight legs
    trunk_lean: float  # hip->shoulder from vertical; + forward
    shoulder_flexion: float  # arm from the trunk line; 0 hanging, 90 forward, + forward
    elbow_flexion: float
    wrist_forward: float  # wrist ahead of the midfoot, leg lengths
    wrist_height: float  # wrist above the ankle, leg lengths
    hip_height: float  # hip above the ankle, leg lengths
    shoulder_height: float  # shoulder above the ankle, leg lengths
    arm_from_vertical: float  # shoulder->wrist from straight down, + forward: a load held away
    com_forward: float  # whole-body centre of mass ahead of the midfoot, leg lengths
    visibility: float  # mean visibility of the core joints, better side
    # Hip flexion read from heights alone: how far the trunk and the thigh have tipped from
    # vertical, by how much shorter they look from top to bottom than at full length. It holds
    # from any side, the front included, but has no sign (a lean back reads as a bend).
    hip_bend_from_heights: float
    facing: int  # +1: the person faces image-right; -1: image-left


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Interior angle at b, degrees."""
    v1x, v1y = a[0] - b[0], a[1] - b[1]
    v2x, v2y = c[0] - b[0], c[1] - b[1]
    n = math.hypot(v1x, v1y) * math.hypot(v2x, v2y)
    if n == 0.0:
        return 180.0
    return math.degrees(math.acos(max(-1.0, min(1.0, (v1x * v2x + v1y * v2y) / n))))


def _signed_from(ref: tuple[float, float], v: tuple[float, float], facing: int) -> float:
    """Angle from direction `ref` to `v`, degrees, positive toward the facing direction
    (image y points down)."""
    cross = ref[0] * v[1] - ref[1] * v[0]
    dot = ref[0] * v[0] + ref[1] * v[1]
    ang = math.degrees(math.atan2(cross, dot))
    # With y down, rotating "down" (0, 1) toward +x gives a negative cross product.
    return -ang * facing


class FacingTracker:
    """Which way the person faces in the image, from the feet (toes ahead of heels) and the head
    (nose ahead of the ears). A vote over the last `window_s` seconds (seconds, not frames: at a
    Pi's 6 fps a frame count would take five times as long to follow a lifter who turns round),
    so a label swap or a noisy frame does not flip it."""

    def __init__(self, window_s: float = 3.0):
        self._votes: deque[tuple[float, float]] = deque()  # (t, vote)
        self._window_s = window_s
        self._sum = 0.0
        self.facing = 1

    def update(self, t: float, pts: np.ndarray, vis: np.ndarray, nose: np.ndarray | None) -> int:
        vote = 0.0
        if vis[J["toe"]] > MIN_VISIBILITY and vis[J["heel"]] > MIN_VISIBILITY:
            vote += np.sign(pts[J["toe"], 0] - pts[J["heel"], 0])
        if nose is not None and vis[J["ear"]] > MIN_VISIBILITY:
            vote += np.sign(nose[0] - pts[J["ear"], 0])
        self._votes.append((t, vote))
        self._sum += vote
        while self._votes[0][0] < t - self._window_s:
            self._sum -= self._votes.popleft()[1]
        if self._sum > 0:
            self.facing = 1
        elif self._sum < 0:
            self.facing = -1
        return self.facing


class FullLength:
    """The full length of a body segment: the longest it has looked lately (90th percentile of
    the last `window` frames), since a bent, turned or foreshortened segment only ever looks
    shorter. Re-read every `every` frames: the body does not change size between frames."""

    def __init__(self, window: int = 151, every: int = 8):
        self._recent: deque[float] = deque(maxlen=window)
        self._every = every
        self._added = 0
        self.value = math.nan

    @property
    def seen(self) -> bool:
        return self._added > 0

    def add(self, length: float) -> float:
        self._recent.append(length)
        if self._added % self._every == 0:
            ordered = sorted(self._recent)
            self.value = ordered[int(0.9 * (len(ordered) - 1))]
        self._added += 1
        return self.value


class FeatureExtractor:
    """Frames in, Features out (None when the body cannot be measured on this frame)."""

    def __init__(self, meta: TraceMeta):
        self.scale = np.array([meta.width, meta.height], dtype=float)
        self._despike = Median3()
        self._smooth = OneEuro(min_cutoff_hz=1.2, beta=0.3)
        self.facing = FacingTracker()
        self._leg = FullLength()
        self._leg_from_thigh = FullLength()
        self._trunk, self._thigh = FullLength(), FullLength()
        self.leg_length = math.nan

    @staticmethod
    def _tipped(full: FullLength, upper: np.ndarray, lower: np.ndarray) -> float:
        """Degrees the segment from `upper` down to `lower` has tipped from vertical, from its
        height against its full length."""
        length = full.add(math.hypot(*(upper - lower)))
        if not length > 0:
            return 0.0
        return math.degrees(math.acos(max(-1.0, min(1.0, (lower[1] - upper[1]) / length))))

    def merged_points(self, lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(9, 2) pixel points of the merged joint pairs and (9,) visibility of the better side."""
        left, right = lm[_LEFT], lm[_RIGHT]
        vl = np.where(np.isnan(left[:, 0]), 0.0, left[:, 3])
        vr = np.where(np.isnan(right[:, 0]), 0.0, right[:, 3])
        # Square the visibilities: the far side, jittery and often collapsed, counts much less.
        wl, wr = vl * vl + 1e-6, vr * vr + 1e-6
        xy_l = np.where(np.isnan(left[:, :2]), 0.0, left[:, :2])
        xy_r = np.where(np.isnan(right[:, :2]), 0.0, right[:, :2])
        pts = (xy_l * wl[:, None] + xy_r * wr[:, None]) / (wl + wr)[:, None]
        return pts * self.scale, np.maximum(vl, vr)

    def __call__(self, frame: Frame) -> Features | None:
        lm = frame.landmarks
        if lm is None:
            return None
        pts, vis = self.merged_points(lm)
        core = [J[j] for j in CORE_JOINTS]
        if (vis[core] < MIN_VISIBILITY).any():
            return None
        nose_seen = np.isfinite(lm[lmk.NOSE, 0]) and lm[lmk.NOSE, 3] > MIN_VISIBILITY
        nose = lm[lmk.NOSE, :2] * self.scale if nose_seen else None
        facing = self.facing.update(frame.t, pts, vis, nose)

        flat = np.where(vis[:, None] >= MIN_VISIBILITY, pts, np.nan).ravel()
        flat = self._smooth(frame.t, self._despike(frame.t, flat))
        p = flat.reshape(-1, 2)
        sh, el, wr, hp, kn, an = (p[J[n]] for n in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"))
        heel, toe, ear = p[J["heel"]], p[J["toe"]], p[J["ear"]]
        feet_visible = not (np.isnan(an).any() or vis[J["ankle"]] < MIN_VISIBILITY)
        arms_visible = not (np.isnan(wr).any() or np.isnan(el).any())

        if feet_visible:
            self.leg_length = self._leg.add(math.hypot(*(hp - kn)) + math.hypot(*(kn - an)))
        elif not self._leg.seen:
            # Feet never seen yet (cut off by the frame, hidden by plates): the shank is about
            # as long as the thigh.
            self.leg_length = self._leg_from_thigh.add(2.0 * math.hypot(*(hp - kn)))
        if not math.isfinite(self.leg_length) or self.leg_length <= 1.0:
            return None
        L = self.leg_length
        if not feet_visible:
            an = np.array([hp[0], hp[1] + L])  # assume the foot under the hip
        mid_foot = (heel + toe) / 2 if not (np.isnan(heel).any() or np.isnan(toe).any()) else an
        fwd = float(facing)

        thigh = (hp[0] - kn[0], hp[1] - kn[1])
        trunk = (sh[0] - hp[0], sh[1] - hp[1])
        # Forward rotations: the trunk tipping forward from the thigh line (hip flexion; negative
        # when the hips are pushed past straight) and from vertical (trunk lean).
        hip_flex = -_signed_from(thigh, trunk, facing)
        knee_flex = 180.0 - _angle(hp, kn, an)
        trunk_lean = -_signed_from((0.0, -1.0), trunk, facing)
        hip_bend = self._tipped(self._trunk, sh, hp) + self._tipped(self._thigh, hp, kn)
        if arms_visible:
            # The arm swinging forward from the trunk line, as in a front raise.
            sh_flex = _signed_from((-trunk[0], -trunk[1]), (wr[0] - sh[0], wr[1] - sh[1]), facing)
            el_flex = 180.0 - _angle(sh, el, wr)
            wr_fwd = (wr[0] - mid_foot[0]) * fwd / L
            wr_h = (an[1] - wr[1]) / L
        else:
            sh_flex = el_flex = wr_fwd = wr_h = math.nan
        arm_vertical = sh_flex - trunk_lean if arms_visible else math.nan
        # Segment masses (Dempster, rounded): head, trunk, thighs, shanks, arms.
        parts = [(0.08, ear), (0.50, (sh + hp) / 2), (0.20, (hp + kn) / 2), (0.09, (kn + an) / 2),
                 (0.10, (sh + wr) / 2)]
        parts = [(w, p) for w, p in parts if not np.isnan(p).any()]
        com_x = sum(w * p[0] for w, p in parts) / sum(w for w, _ in parts)
        return Features(
            t=frame.t, hip_flexion=hip_flex, knee_flexion=knee_flex, trunk_lean=trunk_lean,
            shoulder_flexion=sh_flex, elbow_flexion=el_flex, wrist_forward=wr_fwd, wrist_height=wr_h,
            hip_height=(an[1] - hp[1]) / L, shoulder_height=(an[1] - sh[1]) / L,
            arm_from_vertical=arm_vertical, com_forward=(com_x - mid_foot[0]) * fwd / L,
            visibility=float(vis[[J[j] for j in CORE_JOINTS]].mean()), hip_bend_from_heights=hip_bend,
            facing=facing,
        )

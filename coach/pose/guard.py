"""Keeps the analysis on one person (pure: arrays in, arrays or None out, no clock, no I/O).

MediaPipe Pose follows "the most prominent person". When it loses the lifter it may lock onto a
bystander in the next frame, and a rep counter fed that jump would see a rep that never happened.
So a body whose torso centre or size jumps between consecutive frames further than a person can
move is treated as someone else: frames become "no person" until one body has been stable for a
few frames (`reacquire_frames`); only then are landmarks passed on again. The tracked person
coming back after a short loss (`max_gap_s`), close to where they were, is welcome at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.core.landmarks import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER

_TORSO = (LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP)


@dataclass(frozen=True)
class Torso:
    """Where a body is (centre, in pixels) and how big (the larger of torso length and shoulder or
    hip width, in pixels: one of them stays long whichever way the person turns or bends)."""

    x: float
    y: float
    size: float


def torso_of(landmarks: np.ndarray, width: int, height: int) -> Torso | None:
    pts = landmarks[list(_TORSO), :2] * (width, height)
    if not np.isfinite(pts).all():
        return None
    ls, rs, lh, rh = pts
    shoulders, hips = (ls + rs) / 2, (lh + rh) / 2
    size = max(float(np.linalg.norm(shoulders - hips)), float(np.linalg.norm(ls - rs)),
               float(np.linalg.norm(lh - rh)))
    if size < 1e-6:
        return None
    centre = (shoulders + hips) / 2
    return Torso(float(centre[0]), float(centre[1]), size)


@dataclass(frozen=True)
class GuardSettings:
    # How far the torso centre may move between consecutive frames, in torso sizes: a fixed part
    # plus a part per second of gap (a low frame rate allows a longer step).
    max_step: float = 0.6
    max_step_per_s: float = 2.0
    max_size_ratio: float = 1.5  # larger/smaller torso size between consecutive frames
    reacquire_frames: int = 3  # consecutive consistent frames before a new body is trusted
    max_gap_s: float = 0.5  # a previous body older than this no longer vouches for continuity


class SinglePersonGuard:
    """Feed every frame in time order: `check(t, landmarks) -> landmarks or None`."""

    def __init__(self, width: int, height: int, settings: GuardSettings = GuardSettings()):
        self.width, self.height = width, height
        self.s = settings
        self._tracked: tuple[float, Torso] | None = None  # the body being passed on
        self._candidate: tuple[float, Torso, int] | None = None  # a body waiting to be trusted
        self._ever_tracked = False
        self.rejected = 0  # frames withheld because the body jumped or was not yet stable
        self.jumps = 0  # times the landmarks leapt from the tracked body to another one
        self.last_jump_t: float | None = None  # a "more than one person here" signal for framing

    def _same_body(self, a: Torso, b: Torso, dt: float) -> bool:
        step = math.hypot(a.x - b.x, a.y - b.y) / max(a.size, b.size)
        ratio = max(a.size, b.size) / min(a.size, b.size)
        return step <= self.s.max_step + self.s.max_step_per_s * max(dt, 0.0) and ratio <= self.s.max_size_ratio

    def check(self, t: float, landmarks: np.ndarray | None) -> np.ndarray | None:
        torso = None if landmarks is None else torso_of(landmarks, self.width, self.height)
        if landmarks is None or torso is None:
            # Nobody (or a body without a torso to check): a new body must prove itself again; the
            # tracked one is still welcome back if it returns soon, close to where it was.
            self._candidate = None
            if landmarks is not None:
                self.rejected += 1
            return None
        if self._tracked is not None:
            t0, prev = self._tracked
            if t - t0 <= self.s.max_gap_s and self._same_body(prev, torso, t - t0):
                self._tracked = (t, torso)  # the tracked person, moving or back after a short loss
                self._candidate = None
                return landmarks
            if t - t0 <= self.s.max_gap_s and self._candidate is None:
                self.jumps += 1  # somebody else, right where the tracked body just was
                self.last_jump_t = t
        elif not self._ever_tracked:
            self._ever_tracked = True  # the first body of the run: nobody to confuse it with
            self._tracked = (t, torso)
            return landmarks
        return self._consider(t, torso, landmarks)

    def _consider(self, t: float, torso: Torso, landmarks: np.ndarray) -> np.ndarray | None:
        if self._candidate is not None:
            t0, prev, count = self._candidate
            if t - t0 <= self.s.max_gap_s and self._same_body(prev, torso, t - t0):
                count += 1
                if count >= self.s.reacquire_frames:
                    self._candidate = None
                    self._tracked = (t, torso)
                    return landmarks
                self._candidate = (t, torso, count)
                self.rejected += 1
                return None
        self._candidate = (t, torso, 1)
        if self.s.reacquire_frames <= 1:
            self._candidate = None
            self._tracked = (t, torso)
            return landmarks
        self.rejected += 1
        return None

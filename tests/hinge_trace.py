"""A plain side-view stick figure doing hip hinges, for the runtime tests (no MediaPipe needed).

Uses the lead's coach.synth when it is installed; this is the small stand-in otherwise."""

from __future__ import annotations

import math

import numpy as np

from coach.core import landmarks as L
from coach.io.trace import Frame, TraceMeta, TraceWriter


def hinge_frames(reps: int = 5, fps: float = 30.0, rep_s: float = 3.0, pause_s: float = 1.0,
                 depth_deg: float = 80.0, lead_s: float = 1.5, t0: float = 0.0) -> list[Frame]:
    """Standing, then `reps` hinges (trunk tips forward `depth_deg` and back), then standing."""
    total = lead_s + reps * (rep_s + pause_s) + 1.0
    out = []
    for i in range(int(total * fps)):
        t = i / fps
        k = t - lead_s
        flex = 0.0
        if k > 0 and k < reps * (rep_s + pause_s):
            phase = k % (rep_s + pause_s)
            if phase < rep_s:
                flex = depth_deg * math.sin(math.pi * phase / rep_s) ** 2
        out.append(Frame(t0 + t, _pose(math.radians(flex))))
    return out


def _pose(flex: float) -> np.ndarray:
    lm = np.full((33, 4), np.nan)
    hip = np.array([0.50 - 0.06 * math.sin(flex), 0.55])  # hips travel back as the trunk tips
    knee = np.array([0.52, 0.72])
    ankle = np.array([0.50, 0.90])
    trunk = 0.27
    shoulder = hip + trunk * np.array([math.sin(flex), -math.cos(flex)])
    head = hip + (trunk + 0.08) * np.array([math.sin(flex), -math.cos(flex)])
    arm = shoulder + np.array([0.0, 0.22])
    pts = {"shoulder": shoulder, "hip": hip, "knee": knee, "ankle": ankle, "elbow": (shoulder + arm) / 2,
           "wrist": arm, "heel": ankle + [-0.03, 0.01], "toe": ankle + [0.07, 0.01], "ear": head}
    for name, p in pts.items():
        left, right = L.SIDE_JOINTS[name]
        lm[left] = [p[0], p[1], 0.0, 0.95]
        lm[right] = [p[0] + 0.005, p[1], 0.1, 0.6]
    lm[L.NOSE] = [head[0] + 0.03, head[1], 0.0, 0.95]
    return lm


META = TraceMeta(1280, 720, 30.0, "test hinge figure")


def write_hinge_trace(path, **kw) -> str:
    with TraceWriter(path, META) as w:
        for f in hinge_frames(**kw):
            w.write(f)
    return str(path)

"""The hip angle (shoulder-hip-knee, degrees) of one frame: the signal the report plots.

About 180 standing tall, smaller as the hips hinge. Read on the side that faces the camera (the
more visible one), in pixels so that a wide image does not squash the angle. Pure.
"""

from __future__ import annotations

import math

import numpy as np

from coach.core.landmarks import LEFT_HIP, LEFT_KNEE, LEFT_SHOULDER, RIGHT_HIP, RIGHT_KNEE, RIGHT_SHOULDER

_SIDES = ((LEFT_SHOULDER, LEFT_HIP, LEFT_KNEE), (RIGHT_SHOULDER, RIGHT_HIP, RIGHT_KNEE))
_MIN_VISIBILITY = 0.3


def hip_angle(landmarks: np.ndarray | None, width: int = 1, height: int = 1) -> float | None:
    """Degrees at the hip between the trunk and the thigh, or None when the side is not seen."""
    if landmarks is None:
        return None
    best: tuple[float, tuple[int, int, int]] | None = None
    for side in _SIDES:
        pts = landmarks[list(side)]
        if not np.isfinite(pts[:, :2]).all():
            continue
        vis = float(np.nanmin(pts[:, 3]))
        if vis >= _MIN_VISIBILITY and (best is None or vis > best[0]):
            best = (vis, side)
    if best is None:
        return None
    s, h, k = (landmarks[i, :2] * (width, height) for i in best[1])
    a, b = s - h, k - h
    na, nb = float(np.hypot(*a)), float(np.hypot(*b))
    if na == 0 or nb == 0:
        return None
    cos = float(np.dot(a, b)) / (na * nb)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))

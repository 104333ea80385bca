"""A small 3D stick figure seen by a pinhole camera, for the view tests: MediaPipe's 33 landmarks
of a standing (optionally hinging) person, projected from a chosen side and yaw.

Body axes: +x forward (where the person faces), +y the person's left, +z up; metres, feet on
the floor. The image follows the eval suite's convention: a left view shows the person facing
image-right.
"""

from __future__ import annotations

import math

import numpy as np

from coach.core.landmarks import INDEX
from coach.io.trace import Frame, TraceMeta

# name -> (forward, left, up) in metres for a 1.75 m person standing tall.
_BODY = {
    "nose": (0.10, 0.0, 1.62),
    "left_eye_inner": (0.085, 0.015, 1.655), "left_eye": (0.08, 0.03, 1.655),
    "left_eye_outer": (0.07, 0.045, 1.655),
    "right_eye_inner": (0.085, -0.015, 1.655), "right_eye": (0.08, -0.03, 1.655),
    "right_eye_outer": (0.07, -0.045, 1.655),
    "left_ear": (-0.01, 0.075, 1.62), "right_ear": (-0.01, -0.075, 1.62),
    "mouth_left": (0.09, 0.025, 1.575), "mouth_right": (0.09, -0.025, 1.575),
    "left_shoulder": (0.0, 0.19, 1.43), "right_shoulder": (0.0, -0.19, 1.43),
    "left_elbow": (0.02, 0.21, 1.15), "right_elbow": (0.02, -0.21, 1.15),
    "left_wrist": (0.04, 0.21, 0.88), "right_wrist": (0.04, -0.21, 0.88),
    "left_pinky": (0.05, 0.22, 0.80), "right_pinky": (0.05, -0.22, 0.80),
    "left_index": (0.07, 0.21, 0.80), "right_index": (0.07, -0.21, 0.80),
    "left_thumb": (0.07, 0.19, 0.83), "right_thumb": (0.07, -0.19, 0.83),
    "left_hip": (0.0, 0.10, 0.92), "right_hip": (0.0, -0.10, 0.92),
    "left_knee": (0.02, 0.10, 0.50), "right_knee": (0.02, -0.10, 0.50),
    "left_ankle": (0.0, 0.10, 0.08), "right_ankle": (0.0, -0.10, 0.08),
    "left_heel": (-0.05, 0.10, 0.03), "right_heel": (-0.05, -0.10, 0.03),
    "left_foot_index": (0.18, 0.10, 0.02), "right_foot_index": (0.18, -0.10, 0.02),
}
_UPPER = [n for n, p in _BODY.items() if p[2] > 0.95]  # moves with the trunk in a hinge
_NAMES = sorted(_BODY, key=lambda n: INDEX[n])
HIP_HEIGHT = 0.92


def body_points(hinge_deg: float = 0.0) -> np.ndarray:
    """(33, 3) body coordinates; the trunk pitched forward about the hips by `hinge_deg`."""
    pts = np.array([_BODY[n] for n in _NAMES], dtype=float)
    a = math.radians(hinge_deg)
    for n in _UPPER:
        i = INDEX[n]
        fx, up = pts[i, 0], pts[i, 2] - HIP_HEIGHT
        pts[i, 0] = fx * math.cos(a) + up * math.sin(a)
        pts[i, 2] = HIP_HEIGHT - fx * math.sin(a) + up * math.cos(a)
    return pts


def project(pts: np.ndarray, meta: TraceMeta, side: str, yaw_deg: float, toward: str = "front",
            distance: float = 4.0, height_frac: float = 0.6, centre=(0.5, 0.5),
            camera_height: float = 1.0) -> np.ndarray:
    """(33, 4) MediaPipe-style landmarks [x, y, z, visibility] of body points seen by a camera
    `yaw_deg` off the pure `side` view, turned toward the person's front or back."""
    yaw = math.radians(yaw_deg) * (1 if toward == "front" else -1)
    lateral = 1.0 if side == "left" else -1.0
    cam = np.array([distance * math.sin(yaw), lateral * distance * math.cos(yaw), camera_height])
    target = np.array([0.0, 0.0, camera_height])
    fwd = (target - cam) / np.linalg.norm(target - cam)
    up = np.array([0.0, 0.0, 1.0])
    right = np.cross(up, fwd)  # the suite's (mirrored) image: a left view faces image-right
    right /= np.linalg.norm(right)
    rel = pts - cam
    depth = rel @ fwd
    focal = height_frac * meta.height * distance / 1.75
    px = centre[0] * meta.width + focal * (rel @ right) / depth
    py = centre[1] * meta.height - focal * (rel @ up - (0.875 - camera_height)) / depth
    hip_depth = (depth[INDEX["left_hip"]] + depth[INDEX["right_hip"]]) / 2
    z = (depth - hip_depth) * focal / distance / meta.width
    # The near side is seen clearly, the far side less so (how far "behind" the body it lies).
    left_axis = np.array([0.0, 1.0, 0.0])
    toward_cam = float(-left_axis @ fwd)  # > 0: the left side faces the camera
    vis = np.empty(len(pts))
    for n in _NAMES:
        i = INDEX[n]
        s = 1.0 if n.startswith("left") else -1.0 if n.startswith("right") else 0.0
        vis[i] = 0.95 if s * toward_cam >= -0.2 else 0.95 - 0.5 * min(1.0, -s * toward_cam)
    out = np.column_stack([px / meta.width, py / meta.height, z, vis])
    off = (out[:, 0] < 0) | (out[:, 0] > 1) | (out[:, 1] < 0) | (out[:, 1] > 1)
    out[off, 3] = 0.05  # MediaPipe guesses points outside the picture, with low visibility
    return out


def make_frames(meta: TraceMeta, side: str = "left", yaw_deg: float = 0.0, seconds: float = 6.0,
                fps: float = 15.0, toward: str = "front", hinge: bool = False, jitter: float = 0.0,
                seed: int = 0, hold_deg: float = 0.0, **camera) -> list[Frame]:
    """A person standing (or hinging slowly, or holding the trunk pitched forward by `hold_deg`)
    for `seconds`, with optional landmark jitter."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(int(seconds * fps)):
        t = k / fps
        angle = 35.0 * (1 - math.cos(2 * math.pi * t / 3.0)) if hinge else hold_deg
        lms = project(body_points(angle), meta, side, yaw_deg, toward, **camera)
        if jitter:
            lms[:, :2] += rng.normal(0.0, jitter, size=(33, 2))
        frames.append(Frame(round(t, 4), lms))
    return frames

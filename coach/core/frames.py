"""The frame model the whole core works on: what a camera (or a trace) gives per picture."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TraceMeta:
    width: int
    height: int
    fps: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Frame:
    """One frame: `landmarks` is a (33, 4) array of x, y, z, visibility, NaN where missing,
    or None when no person was detected."""

    t: float
    landmarks: np.ndarray | None

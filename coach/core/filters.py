"""Smoothing for noisy landmark signals.

MediaPipe output jitters more as visibility falls and has single-frame spikes. A median of the last
three samples removes the spikes; a One Euro filter (Casiez et al., CHI 2012) then smooths hard when
the body is still and little when it moves fast, so reps keep their timing. Both take the sample's
own timestamp: frame rates vary (6-30 fps) and frames go missing.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuro:
    """One Euro filter over a vector of values; NaN entries are held at their last value."""

    def __init__(self, min_cutoff_hz: float = 1.5, beta: float = 0.02, d_cutoff_hz: float = 1.0,
                 reset_after_s: float = 1.0):
        self.min_cutoff = min_cutoff_hz
        self.beta = beta
        self.d_cutoff = d_cutoff_hz
        self.reset_after = reset_after_s
        self._x: np.ndarray | None = None
        self._dx = np.zeros(0)
        self._t = 0.0

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x is None or t - self._t > self.reset_after:
            self._x = np.where(np.isnan(x), np.nan, x)
            self._dx = np.zeros_like(x)
            self._t = t
            return self._x.copy()
        dt = max(t - self._t, 1e-3)
        self._t = t
        prev = self._x
        fresh = np.isnan(prev) & ~np.isnan(x)  # a value that was missing comes back: take it as is
        x_in = np.where(np.isnan(x), prev, x)
        dx = np.where(fresh, 0.0, (x_in - prev) / dt)
        a_d = _alpha(self.d_cutoff, dt)
        dx = a_d * dx + (1 - a_d) * self._dx
        self._dx = np.where(np.isnan(dx), 0.0, dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        self._x = np.where(fresh, x_in, a * x_in + (1 - a) * prev)
        return self._x.copy()


_MAX_SPAN_S = 0.2  # the median of three is used up to this span (>= ~10 fps)


class Median3:
    """Median of the last three samples, per entry: removes single-frame spikes at one frame's lag."""

    def __init__(self, reset_after_s: float = 1.0):
        self._hist: list[np.ndarray] = []
        self._times: list[float] = []
        self._t = -math.inf
        self.reset_after = reset_after_s

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        if t - self._t > self.reset_after:
            self._hist.clear()
            self._times.clear()
        self._t = t
        self._hist.append(np.asarray(x, dtype=float))
        if len(self._hist) > 3:
            self._hist.pop(0)
        self._times.append(t)
        if len(self._times) > 3:
            self._times.pop(0)
        # At a low frame rate three samples span a whole phase of a fast rep (a swing's float
        # is one or two frames at 6 fps): a median would erase it, so pass samples through.
        if len(self._hist) < 3 or self._times[-1] - self._times[0] > _MAX_SPAN_S:
            return self._hist[-1].copy()
        a, b, c = self._hist
        med = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
        # Where a point just went missing or came back there is no spike test: take it as is.
        return np.where(np.isnan(med), c, med)

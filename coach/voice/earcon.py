"""Short confirmation sounds (pure: samples out, no I/O): a rising two-note chime when a command
is accepted, a falling one for "say that again". Quicker than speech, and clear in a noisy gym."""

from __future__ import annotations

import numpy as np


def earcon(kind: str = "accept", rate: int = 22050, volume: float = 0.3) -> np.ndarray:
    """float32 samples in [-1, 1]: "accept" (E6 then A6, 140 ms) or "reject" (A5 then E5)."""
    notes = {"accept": (1318.5, 1760.0), "reject": (880.0, 659.3)}[kind]
    n = int(0.07 * rate)
    t = np.arange(n) / rate
    env = np.minimum(1.0, t / 0.005) * np.exp(-t * 25)   # 5 ms attack: no click
    tone = np.concatenate([np.sin(2 * np.pi * f * t) * env for f in notes])
    return (volume * tone).astype(np.float32)

"""The one text-to-speech interface and its settings (the engines: espeak_engine, piper_engine).

An engine turns text into mono float32 samples in [-1, 1] and their sample rate. Engines load
their voice once (in `__init__`) and are then safe to call from one thread at a time; the
Speaker keeps all synthesis on its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coach.core.errors import CoachError

ENGINES = ("espeak", "piper")
DEFAULT_RATE_WPM = 170  # a calm coaching pace; espeak's default of 175 sounds hurried


class TtsError(CoachError):
    """Speech synthesis is unavailable or failed. str() is one sentence for the user."""


@dataclass(frozen=True)
class SpeechConfig:
    engine: str = "espeak"  # espeak | piper
    voice: str = ""  # espeak voice name ("en-us"); piper: path to a .onnx voice ("" = bundled joe)
    rate_wpm: int = DEFAULT_RATE_WPM
    volume: float = 1.0  # 0..1, applied to the samples (the same for every engine)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise TtsError(f"unknown speech engine {self.engine!r} (choose {' or '.join(ENGINES)})")
        if not 60 <= self.rate_wpm <= 400:
            raise TtsError(f"speech rate {self.rate_wpm} is out of range (60-400 words a minute)")
        if not 0.0 <= self.volume <= 1.0:
            raise TtsError(f"speech volume {self.volume} is out of range (0-1)")


class SpeechEngine(Protocol):
    name: str  # "espeak" | "piper"
    voice: str
    rate_wpm: int
    sample_rate: int

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Mono float32 samples in [-1, 1] and the sample rate. Raises TtsError."""
        ...


def trim_silence(samples: np.ndarray, sample_rate: int, threshold: float = 0.01,
                 keep_s: float = 0.03) -> np.ndarray:
    """Cut leading/trailing silence (keeping a few ms) so audio starts the moment it is played."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return samples[:0]
    keep = int(keep_s * sample_rate)
    return samples[max(0, loud[0] - keep): loud[-1] + 1 + keep]

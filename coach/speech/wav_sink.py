"""Render a session's cues into a WAV file on the trace's timeline: what the coach would have
said, at the moments it would have said it (used by `coach analyze --speak-to`, the demo and
the tests)."""

from __future__ import annotations

import os
import wave

import numpy as np

from coach.core.cue_policy import PolicyConfig
from coach.core.events import Cue, CueSpoken
from coach.speech.cache import AudioCache
from coach.speech.timeline import Timeline, lay_out, mix


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, sample_rate: int) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    # open the file first: wave.open(path) on a bad path leaves a half-built writer that warns
    with open(os.fspath(path), "wb") as raw, wave.open(raw, "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(sample_rate)
        fh.writeframes(pcm.tobytes())


class WavSink:
    """Collect cues with `add`, then `close()` renders and writes the file."""

    def __init__(self, path: str | os.PathLike[str], cache: AudioCache,
                 config: PolicyConfig | None = None, volume: float = 1.0):
        self.path = os.fspath(path)
        self.cache, self.config, self.volume = cache, config, volume
        self._cues: list[Cue] = []
        self.timeline: Timeline | None = None

    def add(self, cue: Cue) -> None:
        self._cues.append(cue)

    def close(self, duration: float | None = None) -> list[CueSpoken]:
        """Write the WAV (at least `duration` seconds long); returns what was spoken, when."""
        sr = self.cache.sample_rate
        self.timeline = lay_out(self._cues, self.cache.get, sr, self.config)
        write_wav(self.path, mix(self.timeline, sr, duration, self.volume), sr)
        return self.timeline.spoken

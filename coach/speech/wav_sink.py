"""Render a session's cues into a WAV file on the trace's timeline: what the coach would have
said, at the moments it would have said it (used by `coach analyze --speak-to`, the demo and
the tests)."""

from __future__ import annotations

import os

from coach.core.events import Cue, CueSpoken
from coach.core.policy_config import PolicyConfig
from coach.io.wav import unit_to_int16, write_wav
from coach.speech.cache import AudioCache
from coach.speech.timeline import Timeline, lay_out, mix


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
        write_wav(self.path, unit_to_int16(mix(self.timeline, sr, duration, self.volume)), sr)
        return self.timeline.spoken

"""Where the runtime's cues go: the sound card (LiveSpeaker, through coach.speech.speaker), one
WAV file on the session's timeline (WavSpeaker, the demo), or nowhere (NullSpeaker: the printed
transcript is all there is). Each has `say(cue) -> (start, end) | None` and `close()`."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from coach.core import events as ev
from coach.core.commands import Command, Louder, Quieter
from coach.core.errors import DeviceMissing
from coach.io.wav import resample, to_int16, unit_to_int16, write_wav
from coach.runtime.clock import Clock
from coach.speech.cache import AudioCache
from coach.speech.engine import DEFAULT_RATE_WPM, SpeechConfig, TtsError
from coach.speech.engines import make_engine
from coach.speech.speaker import Speaker as _Speaker


class CueSink(Protocol):
    def say(self, cue: ev.Cue) -> tuple[float, float] | None: ...
    def apply_command(self, command: Command) -> None: ...
    def close(self) -> None: ...


class EngineVoice:
    """Text to int16 samples with the speech module's engine and cache (espeak-ng or Piper)."""

    def __init__(self, engine: str = "espeak", rate_wpm: int | None = None, volume: float = 1.0):
        try:
            # volume is applied here (it changes by voice), not baked into the cached audio
            cfg = SpeechConfig(engine=engine, rate_wpm=rate_wpm or DEFAULT_RATE_WPM)
            self.cache = AudioCache(make_engine(cfg))
        except TtsError as e:
            raise DeviceMissing(str(e)) from None
        self.volume = volume

    def render(self, text: str) -> tuple[np.ndarray, int]:
        x = self.cache.get(text)
        return unit_to_int16(np.asarray(x, dtype=np.float64) * self.volume), self.cache.sample_rate


def default_voice(engine: str = "espeak", rate_wpm: int | None = None, volume: float = 1.0) -> EngineVoice:
    """The configured engine (espeak-ng or Piper) with its cache; DeviceMissing if it cannot speak."""
    return EngineVoice(engine, rate_wpm, volume)


class WavSpeaker:
    """Speech rendered into one WAV file on the session's timeline: each cue starts at its time,
    or when the one before has finished; a much more important cue cuts the one playing; a count
    that could only come late is dropped (a late number is noise)."""

    RATE = 22050

    def __init__(self, path: str, voice: Any = None, preempt_margin: int = 20,
                 max_count_lag_s: float = 1.0):
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            raise DeviceMissing(f"{path}: cannot write the speech WAV there")
        self.voice = voice or default_voice()
        self._buf = np.zeros(0, dtype=np.int16)
        self._busy_until = -math.inf
        self._playing: ev.Cue | None = None
        self.preempt_margin, self.max_count_lag_s = preempt_margin, max_count_lag_s
        self.spoken: list[tuple[float, float, ev.Cue]] = []

    def _more_important(self, new: ev.Cue, old: ev.Cue) -> bool:
        return new.priority >= old.priority + self.preempt_margin and old.kind != "safety"

    def say(self, cue: ev.Cue) -> tuple[float, float] | None:
        start = cue.t
        if self._playing is not None and start < self._busy_until:
            playing_since = self.spoken[-1][0] if self.spoken else -math.inf
            if playing_since <= start and self._more_important(cue, self._playing):
                cut = int(start * self.RATE)  # pre-empt: the old cue stops here
                self._buf[cut:] = 0
                if self.spoken:
                    s0, _, c0 = self.spoken[-1]
                    self.spoken[-1] = (s0, start, c0)
            else:
                start = self._busy_until + 0.15
                if cue.kind == "count" and start - cue.t > self.max_count_lag_s:
                    return None
        samples, rate = self.voice.render(cue.text)
        if rate != self.RATE:
            samples = to_int16(resample(samples, rate, self.RATE))
        i0 = int(round(start * self.RATE))
        need = i0 + len(samples)
        if need > len(self._buf):
            self._buf = np.concatenate([self._buf, np.zeros(need - len(self._buf), np.int16)])
        self._buf[i0:need] = samples
        end = start + len(samples) / self.RATE
        self._busy_until, self._playing = end, cue
        self.spoken.append((start, end, cue))
        return start, end

    def apply_command(self, command: Command) -> None:
        if isinstance(command, (Louder, Quieter)):
            step = 0.2 if isinstance(command, Louder) else -0.2
            self.voice.volume = min(1.0, max(0.2, self.voice.volume + step))

    def close(self) -> None:
        write_wav(self.path, self._buf, self.RATE)


class LiveSpeaker:
    """Cues on the sound card through the speech module's non-blocking Speaker (pre-emption,
    cached audio). Reports what it started playing through `on_spoken`."""

    def __init__(self, device: str | int | None = None, engine: str = "espeak", rate_wpm: int | None = None,
                 volume: float = 1.0, on_spoken: Callable[[ev.CueSpoken], None] | None = None,
                 clock: Clock | None = None):
        voice = EngineVoice(engine, rate_wpm, volume)
        self.rate_wpm = rate_wpm or DEFAULT_RATE_WPM
        self.clock = clock or Clock(realtime=True)
        self.listeners: list[Callable[[ev.CueSpoken], None]] = [on_spoken] if on_spoken else []
        self._speaker = _Speaker(voice.cache, device=device, volume=volume,
                                 on_spoken=self._spoken,
                                 text_stream=io.StringIO(), clock=lambda: self.clock.now())
        if self._speaker.problem:
            problem = self._speaker.problem
            self._speaker.close()
            raise DeviceMissing(problem)
        self.asynchronous = True

    def _spoken(self, cue_spoken: ev.CueSpoken) -> None:
        for listener in self.listeners:
            listener(cue_spoken)

    def say(self, cue: ev.Cue) -> tuple[float, float] | None:
        self._speaker.say(cue)
        return None  # started later, on the speaker's thread: on_spoken reports it

    def apply_command(self, command: Command) -> None:
        self._speaker.apply_command(command)

    def close(self) -> None:
        self._speaker.close(drain=True)


class NullSpeaker:
    """No speaker: the transcript (printed) is all there is."""

    def say(self, cue: ev.Cue) -> tuple[float, float] | None:
        return cue.t, cue.t

    def apply_command(self, command: Command) -> None:
        pass

    def close(self) -> None:
        pass

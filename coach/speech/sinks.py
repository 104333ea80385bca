"""Where the runtime's cues go: the sound card (LiveSpeaker, through coach.speech.speaker), one
WAV file on the session's timeline (WavSpeaker, the demo), or nowhere (NullSpeaker: the printed
transcript is all there is). Each has `say(cue)`, reports what it starts to its `listeners`,
and `close()`; the two that speak arbitrate with the one SpeechQueue."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Protocol

import numpy as np

from coach.core import events as ev
from coach.core.commands import Command, Louder, Quieter
from coach.core.errors import DeviceMissing
from coach.core.policy_config import PolicyConfig
from coach.io.wav import resample, to_int16, unit_to_int16, write_wav
from coach.runtime.clock import Clock
from coach.speech.cache import AudioCache
from coach.speech.engine import DEFAULT_RATE_WPM, SpeechConfig, TtsError
from coach.speech.engines import make_engine
from coach.speech.speaker import Speaker as _Speaker
from coach.speech.timeline import Layout, Timeline, mix

_UNHEARD_S = 0.3  # a cue cut this soon after it started was not heard


class CueSink(Protocol):
    """Says cues; reports each as it starts (a CueSpoken) to every function in `listeners`."""

    listeners: list[Callable[[ev.CueSpoken], None]]

    def say(self, cue: ev.Cue) -> None: ...
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
    """Speech rendered into one WAV file on the session's timeline, arbitrated exactly as the
    live speaker and `--speak-to` do (coach.core.speech_queue through speech.timeline.Layout):
    what the demo's WAV says is what a live session would say. Reports each cue as it starts."""

    RATE = 22050

    def __init__(self, path: str, voice: EngineVoice | None = None, config: PolicyConfig | None = None):
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            raise DeviceMissing(f"{path}: cannot write the speech WAV there")
        self.voice = voice or default_voice()
        self.listeners: list[Callable[[ev.CueSpoken], None]] = []
        self._layout = Layout(self._audio, self.RATE, config)
        self._reported = 0  # segments told to the listeners (once time has moved past their start)

    def _audio(self, text: str) -> np.ndarray:
        samples, rate = self.voice.render(text)
        if rate != self.RATE:
            samples = to_int16(resample(samples, rate, self.RATE))
        return samples.astype(np.float32) / 32768.0

    def _report(self, final: bool = False) -> None:
        """Tell what was said, once it is known how long it played (another cue followed, or
        the end): a cue cut within its first moments was not heard, and is said again later."""
        segments = self._layout.segments
        while self._reported < len(segments) - (0 if final else 1):
            seg = segments[self._reported]
            self._reported += 1
            if seg.cut and seg.end - seg.start < _UNHEARD_S:
                continue
            for listener in self.listeners:
                listener(ev.CueSpoken(seg.start, seg.cue))

    def say(self, cue: ev.Cue) -> None:
        self._layout.add(cue)
        self._report()

    @property
    def timeline(self) -> Timeline:
        return self._layout.timeline

    def apply_command(self, command: Command) -> None:
        if isinstance(command, (Louder, Quieter)):
            step = 0.2 if isinstance(command, Louder) else -0.2
            self.voice.volume = min(1.0, max(0.2, self.voice.volume + step))

    def close(self) -> None:
        self._layout.finish()
        self._report(final=True)
        write_wav(self.path, unit_to_int16(mix(self._layout.timeline, self.RATE)), self.RATE)


class LiveSpeaker:
    """Cues on the sound card through the speech module's non-blocking Speaker (pre-emption,
    cached audio). Reports what it started playing through `on_spoken`."""

    def __init__(self, device: str | int | None = None, engine: str = "espeak", rate_wpm: int | None = None,
                 volume: float = 1.0, config: PolicyConfig | None = None, clock: Clock | None = None):
        voice = EngineVoice(engine, rate_wpm, volume)
        self.rate_wpm = rate_wpm or DEFAULT_RATE_WPM
        self.clock = clock or Clock(realtime=True)
        self.listeners: list[Callable[[ev.CueSpoken], None]] = []
        self._speaker = _Speaker(voice.cache, config, device=device, volume=volume,
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

    def say(self, cue: ev.Cue) -> None:
        self._speaker.say(cue)  # started on the speaker's thread, which reports it

    def apply_command(self, command: Command) -> None:
        self._speaker.apply_command(command)

    def close(self) -> None:
        self._speaker.close(drain=True)


class NullSpeaker:
    """No speaker: the transcript (printed) is all there is; every cue "starts" at its time."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[ev.CueSpoken], None]] = []

    def say(self, cue: ev.Cue) -> None:
        for listener in self.listeners:
            listener(ev.CueSpoken(cue.t, cue))

    def apply_command(self, command: Command) -> None:
        pass

    def close(self) -> None:
        pass

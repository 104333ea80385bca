"""Lay cues on a timeline the way a speaker would play them (pure: no clock, no I/O).

A cue starts at its time `t`, or when the one before it finishes; the SpeechQueue decides whether
it pre-empts (the playing cue is cut at that moment), waits, or is dropped (stale or a repeat).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from coach.core.events import Cue, CueSpoken
from coach.core.policy_config import PolicyConfig
from coach.core.speech_queue import PLAY, PREEMPT, SpeechQueue

_FADE_S = 0.01  # a cut cue fades out instead of clicking


@dataclass
class Segment:
    start: float
    end: float
    cue: Cue
    samples: np.ndarray
    cut: bool = False


@dataclass(frozen=True)
class Timeline:
    segments: tuple[Segment, ...]
    dropped: tuple[Cue, ...]

    @property
    def spoken(self) -> list[CueSpoken]:
        return [CueSpoken(s.start, s.cue) for s in self.segments]

    @property
    def end(self) -> float:
        return max((s.end for s in self.segments), default=0.0)


class Layout:
    """Cues laid on a timeline as they come (the demo's WAV speaker) or all at once (`lay_out`):
    `add(cue)` returns the segments that started up to the cue's time; `finish()` the rest."""

    def __init__(self, audio_for: Callable[[str], np.ndarray], sample_rate: int,
                 config: PolicyConfig | None = None):
        self.audio_for, self.sample_rate = audio_for, sample_rate
        self.queue = SpeechQueue(config)
        self.segments: list[Segment] = []
        self._now = -math.inf

    def _start(self, cue: Cue, t: float) -> None:
        samples = self.audio_for(cue.text)
        self.segments.append(Segment(t, t + len(samples) / self.sample_rate, cue, samples))

    def _said_share(self, now: float) -> float:
        last = self.segments[-1] if self.segments else None
        if last is None or last.end <= now or not len(last.samples):
            return 1.0
        return (now - last.start) * self.sample_rate / len(last.samples)

    def _advance(self, until: float) -> None:
        while self.segments and self.queue.playing is not None and self.segments[-1].end <= until:
            nxt = self.queue.finished(self.segments[-1].end)
            if nxt is not None:
                self._start(nxt, self.segments[-1].end)

    def add(self, cue: Cue) -> list[Segment]:
        before = len(self.segments)
        # time only moves forward: a cue handed over late (another thread's) is said from now
        now = self._now = max(cue.t, self._now)
        self._advance(now)
        decision = self.queue.offer(cue, now, self._said_share(now))
        if decision in (PLAY, PREEMPT):
            if decision == PREEMPT and self.segments and self.segments[-1].end > now:
                if self.segments[-1].start >= now:  # cut before a sound of it: never said
                    self.segments.pop()
                    before = min(before, len(self.segments))
                else:
                    self.segments[-1].end, self.segments[-1].cut = now, True
            self._start(cue, now)
        return self.segments[before:]

    def finish(self) -> list[Segment]:
        before = len(self.segments)
        self._advance(math.inf)
        return self.segments[before:]

    @property
    def timeline(self) -> Timeline:
        return Timeline(tuple(self.segments), tuple(self.queue.dropped))


def lay_out(cues: Iterable[Cue], audio_for: Callable[[str], np.ndarray], sample_rate: int,
            config: PolicyConfig | None = None) -> Timeline:
    """All the cues of a session laid out at once (same-time cues keep the policy's order)."""
    layout = Layout(audio_for, sample_rate, config)
    for cue in sorted(cues, key=lambda c: c.t):
        layout.add(cue)
    layout.finish()
    return layout.timeline


def mix(timeline: Timeline, sample_rate: int, duration: float | None = None,
        volume: float = 1.0) -> np.ndarray:
    """The timeline as one mono float32 buffer (silence where nothing plays)."""
    total = max(timeline.end, duration or 0.0)
    out = np.zeros(int(np.ceil(total * sample_rate)) + 1, np.float32)
    fade = int(_FADE_S * sample_rate)
    for seg in timeline.segments:
        i0 = int(round(seg.start * sample_rate))
        n = min(len(seg.samples), int(round((seg.end - seg.start) * sample_rate)), len(out) - i0)
        if n <= 0:
            continue
        chunk = seg.samples[:n].copy()
        if seg.cut and n > fade:
            chunk[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        out[i0:i0 + n] = chunk
    return out * np.float32(volume)

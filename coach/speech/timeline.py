"""Lay cues on a timeline the way a speaker would play them (pure: no clock, no I/O).

A cue starts at its time `t`, or when the one before it finishes; the SpeechQueue decides whether
it pre-empts (the playing cue is cut at that moment), waits, or is dropped (stale or a repeat).
"""

from __future__ import annotations

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


def lay_out(cues: Iterable[Cue], audio_for: Callable[[str], np.ndarray], sample_rate: int,
            config: PolicyConfig | None = None) -> Timeline:
    queue = SpeechQueue(config)
    segments: list[Segment] = []

    def start(cue: Cue, t: float) -> None:
        samples = audio_for(cue.text)
        segments.append(Segment(t, t + len(samples) / sample_rate, cue, samples))

    def advance(until: float) -> None:
        while segments and queue.playing is not None and segments[-1].end <= until:
            nxt = queue.finished(segments[-1].end)
            if nxt is not None:
                start(nxt, segments[-1].end)

    for cue in sorted(cues, key=lambda c: c.t):  # stable: same-time cues keep the policy's order
        advance(cue.t)
        decision = queue.offer(cue, cue.t)
        if decision in (PLAY, PREEMPT):
            if decision == PREEMPT and segments and segments[-1].end > cue.t:
                segments[-1].end, segments[-1].cut = cue.t, True
            start(cue, cue.t)
    advance(float("inf"))
    return Timeline(tuple(segments), tuple(queue.dropped))


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

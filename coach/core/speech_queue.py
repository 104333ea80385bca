"""The one arbiter of what is said when: a cue offered while another plays is played, cut in
(pre-empts the one playing), queued, or dropped, on one priority scale (PolicyConfig.priorities).
Every speaker (the sound card, the demo's WAV, --speak-to) asks it the same question."""

from __future__ import annotations

import math
from enum import StrEnum

from coach.core.events import Cue
from coach.core.policy_config import PolicyConfig


class Decision(StrEnum):
    """What the arbiter does with a cue offered while another may be playing."""

    PLAY = "play"
    PREEMPT = "preempt"  # cut the one playing
    WAIT = "wait"  # queue it behind
    DROP = "drop"  # stale or not worth saying


PLAY, PREEMPT, WAIT, DROP = Decision.PLAY, Decision.PREEMPT, Decision.WAIT, Decision.DROP


def arbitrate(new: Cue, playing: Cue | None, playing_since: float, now: float,
              config: PolicyConfig) -> Decision:
    """PLAY (nothing playing), PREEMPT (cut the playing cue), WAIT, or DROP (a repeat)."""
    if playing is None:
        return PLAY
    if new.text == playing.text:
        return DROP  # it is being said right now
    if new.priority >= playing.priority + config.preempt_margin:
        young_count = playing.kind == "count" and now - playing_since < config.count_grace_s
        if not young_count or new.priority >= config.always_preempts:
            return PREEMPT
    return WAIT


class SpeechQueue:
    """Which cue plays now. Pure: the caller tells it the time and when playback finished.

    `offer` returns PLAY/PREEMPT (start `cue` now, cutting whatever played), WAIT or DROP;
    `finished` returns the next waiting cue to start, skipping stale ones."""

    def __init__(self, config: PolicyConfig | None = None):
        self.config = config or PolicyConfig()
        self.playing: Cue | None = None
        self.playing_since = 0.0
        self.waiting: list[Cue] = []
        self.dropped: list[Cue] = []

    def offer(self, cue: Cue, now: float) -> Decision:
        decision = arbitrate(cue, self.playing, self.playing_since, now, self.config)
        if decision in (PLAY, PREEMPT):
            self.playing, self.playing_since = cue, now
        elif decision == WAIT:
            if any(w.text == cue.text for w in self.waiting):
                decision = DROP
            else:
                if cue.kind == "count":  # a newer count makes an older waiting one pointless
                    self._drop([w for w in self.waiting if w.kind == "count"])
                self.waiting.append(cue)
        if decision == DROP:
            self.dropped.append(cue)
        return decision

    def finished(self, now: float) -> Cue | None:
        """The playing cue ended at `now`: return the cue to start next (or None)."""
        self.playing = None
        while self.waiting:
            best = max(self.waiting, key=lambda c: self._turn(c, now))
            self.waiting.remove(best)
            if now - best.t > self.config.max_wait_s.get(best.kind, math.inf):
                self.dropped.append(best)
                continue
            self.playing, self.playing_since = best, now
            return best
        return None

    def _turn(self, cue: Cue, now: float) -> tuple[bool, bool, int, float]:
        """Who goes next: safety first; then a count that is still fresh (it is short and goes
        stale in a second, a correction can wait that long); then by priority, oldest first."""
        urgent = cue.priority >= self.config.always_preempts
        fresh_count = (cue.kind == "count"
                       and now - cue.t <= self.config.max_wait_s.get("count", math.inf))
        return (urgent, fresh_count, cue.priority, -cue.t)

    def _drop(self, cues: list[Cue]) -> None:
        for c in cues:
            self.waiting.remove(c)
            self.dropped.append(c)



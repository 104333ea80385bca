"""The one arbiter of what is said when: a cue offered while another plays is played, cut in
(pre-empts the one playing), queued, or dropped, on one priority scale (PolicyConfig.priorities).
Every speaker (the sound card, the demo's WAV, --speak-to) asks it the same question."""

from __future__ import annotations

import math
import re
from dataclasses import replace
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
    if playing.kind == "count" and now - playing_since < config.count_grace_s:
        return WAIT  # a number is never cut: it is short, and it is what the lifter listens for
    if new.kind == "count" and playing.kind != "count":
        return PREEMPT  # nothing delays a count, a safety message neither: it is said after it
    if new.priority >= config.always_preempts and playing.priority < new.priority:
        return PREEMPT  # safety: now
    if new.priority >= playing.priority + config.preempt_margin:
        return PREEMPT
    return WAIT


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def unsaid(text: str, said_share: float) -> str:
    """What is left of `text` when `said_share` of it was said: from the sentence it was cut
    in (a half-heard sentence is said again whole), or "" when the last one was nearly done."""
    said_chars = said_share * len(text)
    pos, left = 0, []
    for sentence in _SENTENCE_END.split(text.strip()):
        end = pos + len(sentence)
        if end - said_chars > 0.25 * len(sentence):  # more than a quarter of it was still to say
            left.append(sentence)
        pos = end + 1
    return " ".join(left)


def _late(cue: Cue, count: Cue) -> bool:
    """A correction or praise about a rep before the one `count` counts: a rep late."""
    return (cue.kind in ("correction", "praise") and cue.rep is not None and count.rep is not None
            and cue.rep <= count.rep - 1)


def _under_way(cue: Cue) -> bool:
    """Words for before the lifting (the greeting, a set's "go when you're ready"): moot once
    a rep is being counted. (The greeting is moot too once the coach answers the lifter: they
    know how to talk to it.)"""
    return cue.key == "system.greeting" or cue.key.startswith("set.start")


# News that makes an earlier message moot, by key. A set that starts makes the greeting moot:
# the lifter knows what to say.
SUPERSEDES = {"system.person_back": ("system.person_lost",),
              "view.framing.good": ("view.framing.too_close",),
              "system.resumed": ("system.paused",),
              "set.start": ("system.greeting",),
              "set.start_target": ("system.greeting",)}


def _moot(old: Cue, new: Cue) -> bool:
    """Whether `new` makes `old` not worth saying any more (nor the rest of it, if it plays):
    news that supersedes it; a count, for a word a rep late or for the words for before the
    lifting; an answer to the lifter, for the greeting (they know how to talk to the coach)."""
    if old.key in SUPERSEDES.get(new.key, ()):
        return True
    if new.kind == "count" and new.rep is not None:
        return _late(old, new) or _under_way(old)
    return new.kind == "confirm" and old.key == "system.greeting"


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

    def offer(self, cue: Cue, now: float, said_share: float = 0.0) -> Decision:
        """`said_share`: how much of the playing cue has been said by `now` (the player knows);
        if `cue` cuts it, the rest of it is said after, from the sentence it was cut in."""
        self._drop([w for w in self.waiting if _moot(w, cue)])
        cut = self.playing
        if cut is not None and cut.kind != "count" and _moot(cut, cue):
            decision = PREEMPT  # and nothing of it is said again
        else:
            decision = arbitrate(cue, cut, self.playing_since, now, self.config)
            if decision == PREEMPT and cut is not None and cut.kind != "count":
                rest = unsaid(cut.text, said_share)  # a number is short: it is never resumed
                if rest and not any(w.text == rest for w in self.waiting):
                    self.waiting.append(replace(cut, t=now, text=rest))  # re-timed: from the cut
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
        """Who goes next: a count that is still fresh (it is short and goes stale in a second);
        then safety; then by priority, oldest first."""
        urgent = cue.priority >= self.config.always_preempts
        fresh_count = (cue.kind == "count"
                       and now - cue.t <= self.config.max_wait_s.get("count", math.inf))
        return (fresh_count, urgent, cue.priority, -cue.t)

    def _drop(self, cues: list[Cue]) -> None:
        for c in cues:
            self.waiting.remove(c)
            self.dropped.append(c)



"""The rules that refuse a movement the phase machine would count: each one a sentence a coach
could say ("too quick to be a rep", "stood up without the load"), told to the lifter with its time.
What each rule costs and saves on real lifters: docs/counting.md.

RefusalRules is the rule half of RepMachine (coach.core.reps): the rules read the machine's state
(the lifter's learned top and range, its recent frames, the reps so far), declared below.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

from coach.core.exercises import Counting, Exercise
from coach.core.features import Features

_UNLOADED_ELBOW_DEG = 32.0  # bent elbows at the top: hands on the hips, no load in them
_HANDS_ON_THIGHS_ELBOW_DEG = 40.0  # bent elbows early in the rise: pushing on the thighs
_OFF_THE_FLOOR = 0.3  # share of the last pull's travel: a bottom this far above its floor is no pull
SAME_KNEES_DEG = 25.0  # knee bends this close are one movement pattern (real pose: +-10 degrees)


@dataclass
class Rep:
    """The machine's account of one rep (times on the trace's clock)."""

    index: int
    start: float  # window start
    end: float  # count moment
    bottom_t: float  # deepest point
    depth: float  # hip flexion at the deepest point
    top_level: float  # the lifter's top when this rep counted
    range_deg: float  # the lifter's usual range when this rep counted
    lowering: tuple[float, float] | None = None  # (start, end) of its lowering, once seen
    extra: dict[str, float] = field(default_factory=dict)


# The rules that can refuse a movement, and how the lifter is told.
REASONS = {
    "partial": "turned back short of the usual depth",
    "too_quick": "too quick to be a rep",
    "pickup": "the load picked up from the floor or put down, not a rep",
    "unloaded": "stood up without the load",
    "no_float": "the bell did not float",
    "not_from_floor": "did not start from the floor: the last pull still finding its lockout",
}


@dataclass(frozen=True)
class Rejected:
    """A movement that looked like a rep but is not one: when, and the rule that refused it."""

    t: float
    rule: str

    @property
    def reason(self) -> str:
        return REASONS[self.rule]


class RefusalRules:
    """The refusal rules, as methods of the rep machine."""

    ex: Exercise
    c: Counting
    rules_off: frozenset[str]
    reps: list[Rep]
    top: float
    range: float
    _f: deque[Features]
    _peak: float
    _peak_knee: float
    _left_top_t: float
    _rise_t: float
    _unconfirmed: Rep | None
    _maybe_pickup: Rep | None
    _maybe_unloaded: tuple[Rep, float] | None

    def _median(self, name: str, start: float, end: float) -> float:
        raise NotImplementedError  # the machine's: the median of a feature over a time span

    def _accept(self, rep: Rep, out: list) -> None:
        raise NotImplementedError  # the machine's: a rep counted

    def _unloaded(self, rep: Rep, now: float) -> bool:
        """Hands pushing on the thighs during the rise, or on the hips after it (elbows bent):
        the lifter stood up without the load. Only a lifter who has put the load down can stand
        up without it: before the first pull the load is on the floor, and real pose output
        bends a loaded lifter's elbows as often as not. (Wrists above the hips are no sign:
        real lifters' wrists sit there at lockout with the bar in their hands.)"""
        if not self.reps or "unloaded" in self.rules_off:
            return False
        mid = (rep.start + rep.end) / 2
        if self._median("elbow_flexion", rep.start - 0.5, mid) > _HANDS_ON_THIGHS_ELBOW_DEG:
            return True
        # The hands reach the hips a moment after standing up: read the end of the watch.
        since = max(rep.end, now - 0.5)
        return self._median("elbow_flexion", since, now) > _UNLOADED_ELBOW_DEG

    def _not_a_rep(self, start: float, end: float) -> str:
        """The first rule that refuses the movement just counted, or "" (rules left out by
        `rules_off` are skipped)."""
        rules = (("too_quick", self._too_quick), ("not_from_floor", self._above_the_floor),
                 ("pickup", self._picked_up))
        return next((rule for rule, refuses in rules
                     if rule not in self.rules_off and refuses(start, end)), "")

    def _too_quick(self, start: float, end: float) -> bool:
        # Timed from when the movement left the top or the bottom, if that is earlier than the
        # window's start: a pose spike can put the start of a real movement late.
        return end - min(start, self._left_top_t, self._rise_t) < self.c.min_rep_s

    def _above_the_floor(self, start: float, end: float) -> bool:
        # Every pull starts from the floor: a dip and rise well above the last rep's floor
        # position is that rep still finding its lockout (a hitch), not a new rep.
        last = self._unconfirmed or (self._maybe_unloaded[0] if self._maybe_unloaded else None) \
            or (self.reps[-1] if self.reps else None)
        return self.ex.kind == "floor_start" and last is not None \
            and self._peak < last.depth - _OFF_THE_FLOOR * (last.depth - last.extra["top"])

    def _picked_up(self, start: float, end: float) -> bool:
        # Knees bent far more than on this lifter's own reps (or no reps yet to tell by).
        if not self._pickup_like():
            return False
        knees = [r.extra["knee"] for r in self.reps[-7:]]
        return not knees or self._peak_knee >= statistics.median(knees) + SAME_KNEES_DEG

    def _pickup_like(self) -> bool:
        """Knees bent like a deadlift and hips deeper than this lifter's hinge: the bar going to
        or coming from the floor, unless this lifter's own reps bend the knees as much."""
        c = self.c
        return bool(c.pickup_knee_flexion_deg) and self._peak_knee >= c.pickup_knee_flexion_deg \
            and self._peak >= self.top + self.range

    def _settle_first_pickup(self, out: list) -> None:
        """A movement that looked like the pick-up is settled by the next one: if that bends
        the knees as much, both are this lifter's reps (an oblique camera and a deep hinge look
        like that); otherwise the first was the pick-up."""
        pending, self._maybe_pickup = self._maybe_pickup, None
        if pending is None:
            return
        if self._pickup_like() and abs(self._peak_knee - pending.extra["knee"]) < SAME_KNEES_DEG:
            self._accept(pending, out)
        else:
            out.append(Rejected(pending.end, "pickup"))

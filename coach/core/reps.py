"""The rep phase machine: hip flexion in, phases and counted reps out.

One machine serves every lift; the exercise definition says where a rep starts and counts:
- top_start (RDL, good morning, squat, drill): the window is the descent and the ascent; the rep
  counts back at the top.
- floor_start (deadlift, kettlebell deadlift, hip thrust): the window is the pull, from the moment
  the load leaves the floor to lockout, where it counts; the lowering that follows belongs to it.
- swing: the window runs from the hinge to the float, where it counts.

Thresholds are shares of the lifter's own range (their top and their usual depth, learned from
the reps they have done; the exercise file gives the priors), so a tall lifter, a yawed camera or
a shallow hinger all count the same way. A movement that turns back before reaching the bottom
share of that range is a partial and is not counted.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

from coach.core.events import Phase, PhaseChanged
from coach.core.exercises import Exercise
from coach.core.features import Features
from coach.core.refusals import REASONS, RefusalRules, Rejected, Rep

TOP, LOWERING, BOTTOM, RISING, LOCKOUT, UNKNOWN = (Phase.TOP, Phase.LOWERING, Phase.BOTTOM, Phase.RISING,
                                                    Phase.LOCKOUT, Phase.UNKNOWN)
_HISTORY_S = 12.0  # enough signal to look back over the slowest rep
_REST_S = 0.3  # a stop this long is a pause: a movement starts where it ends
_FLOAT_ABOVE_HIP = 0.25  # leg lengths: the bell swings clearly above the hips at the float
_GAP_S = 0.25  # a loss of the person this long may hide the top of a rep
_LOCKOUT_CHECK_S = 1.2  # how long after lockout the arms are watched for the load
_TOP_BAND_DEG = 25.0  # the lifter's learned top stays this close to the exercise's usual top
_MIN_HINGE_DEG = 15.0  # a smaller bend of the hips is a fidget, never a rep
_SAME_SIZE_RUN = 3  # this many like movements in a row make a set
_SHALLOW_SHARE = 1 / 3  # ...each at least this share of the prior range (a partial turns back short of it)
_SET_RHYTHM_S = 4.0  # at most this long between the movements of one set
_MIN_RISE_S = 0.2  # the quickest rise from the bottom to the top (a swing's hip snap is ~0.3 s)


def _alike(values: list[float]) -> bool:
    """All within 35 % of their median: one size, or one rhythm."""
    usual = statistics.median(values)
    return all(abs(v - usual) <= 0.35 * usual for v in values)


class RepMachine(RefusalRules):
    """Features in, phases and reps out: `update(features, t)` each frame returns the
    PhaseChanged events, the counted Reps and the Rejected movements of that moment; `finish()`
    settles what the end of the recording decides."""

    def __init__(self, exercise: Exercise, rules_off: frozenset[str] = frozenset()):
        """`rules_off`: refusal rules (keys of REASONS) to leave out, for benches that measure
        what each rule refuses."""
        unknown = set(rules_off) - set(REASONS)
        if unknown:
            raise ValueError(f"unknown refusal rule {sorted(unknown)[0]!r} (known: {', '.join(REASONS)})")
        self.rules_off = rules_off
        self.ex = exercise
        c = exercise.counting
        self.c = c
        self.phase = UNKNOWN
        self.top = c.top_deg
        self._tops: deque[float] = deque(maxlen=5)
        self._depths: deque[float] = deque(maxlen=7)
        self.range = c.usual_depth_deg - c.top_deg
        self.reps: list[Rep] = []
        self._t: deque[float] = deque()
        self._d: deque[float] = deque()
        self._f: deque[Features] = deque()
        self._last_t = -math.inf
        self._peak = self._peak_t = 0.0
        self._peak_knee = 0.0
        self._min = self._min_t = 0.0
        self._descent_start: float | None = None
        self._rise_start: float | None = None
        self._pending_lowering: Rep | None = None  # floor-start: the rep whose lowering is under way
        self._last_descent: tuple[float, float] | None = None
        self._unconfirmed: Rep | None = None  # a loaded pull waiting for its lockout to be seen
        self._maybe_pickup: Rep | None = None  # a first movement that may be the pick-up
        self._maybe_unloaded: tuple[Rep, float] | None = None  # a stand-up that may be unloaded
        self._left_top_t = math.inf  # when the movement in progress left the top
        self._rise_t = math.inf  # when the rise in progress left the bottom
        self._shallow: list[Rep] = []  # movements short of the prior range, before the first rep
        self._shallow_peak: tuple[float, float, float] = (0.0, 0.0, 0.0)  # depth, t, knee

    # -- the lifter's own scale ------------------------------------------------------------
    def _level(self, share: float) -> float:
        return self.top + share * self.range

    def _learn(self, rep_depth: float, top: float) -> None:
        self._tops.append(top)
        self._depths.append(rep_depth)
        # Standing tall lies within a few tens of degrees of upright: a "top" outside that band is
        # the pose tracker's, not the lifter's (a person walking in, a limb mislabelled).
        self.top = min(max(statistics.median(self._tops), self.c.top_deg - _TOP_BAND_DEG),
                       self.c.top_deg + _TOP_BAND_DEG)
        usual = statistics.median(self._depths)
        prior = self.c.usual_depth_deg - self.c.top_deg
        # A single rep can be a fluke; lean on the prior until a few reps agree.
        w = min(len(self._depths), 3) / 3.0
        self.range = max(15.0, w * (usual - self.top) + (1 - w) * min(prior, usual - self.top))

    # -- history ---------------------------------------------------------------------------
    def _remember(self, f: Features) -> None:
        self._t.append(f.t)
        self._d.append(f.hip_flexion)
        self._f.append(f)
        while self._t and self._t[0] < f.t - _HISTORY_S:
            self._t.popleft()
            self._d.popleft()
            self._f.popleft()

    def _median(self, name: str, start: float, end: float) -> float:
        values = [getattr(f, name) for f in self._f if start <= f.t <= end]
        values = [v for v in values if v == v]
        return statistics.median(values) if values else math.nan

    def _onset(self, t_extreme: float, sign: int, pause_near_extreme: bool = False) -> float:
        """When did the movement that ended at `t_extreme` begin? `sign` +1: hip flexion was
        rising into it (a descent), -1: falling into it (a rise). Walk back to the last pause or
        turning point before it."""
        ts, ds = self._t, self._d
        k = len(ts) - 1
        while k > 0 and ts[k] > t_extreme:
            k -= 1
        d_k = ds[k]
        amp = max(abs(d_k - self.top) if sign > 0 else abs(self._peak - d_k), 0.3 * self.range)
        m, arg = d_k, k
        j = k
        i = k - 1
        while i >= 0:
            v = ds[i]
            if sign * (v - m) < 0:
                m, arg = v, i
            far = abs(d_k - v) >= 0.5 * amp or (pause_near_extreme and ts[k] - ts[i] > 0.15)
            if sign * (v - m) > 0.1 * self.range:
                break  # a turning point: the previous movement
            if far:
                while j > 0 and ts[j] > ts[i] - _REST_S:
                    j -= 1
                window = [ds[x] for x in range(j, i + 1)]
                if ts[i] - ts[j] >= _REST_S * 0.8 and max(window) - min(window) < 0.06 * self.range:
                    return ts[i]  # the end of a pause
            i -= 1
        # The departure from the turning point (or the oldest sample kept).
        band = 0.04 * self.range
        for x in range(arg, k + 1):
            if sign * (ds[x] - m) > band:
                return ts[max(arg, x - 1)]
        return ts[arg]

    # -- the machine -----------------------------------------------------------------------
    def _enter(self, phase: Phase, t: float, out: list) -> None:
        self.phase = phase
        out.append(PhaseChanged(t, phase, len(self.reps) + 1))

    def reset(self) -> None:
        """Forget the rep in progress (the person left; a long gap)."""
        self.phase = UNKNOWN
        self._pending_lowering = None

    def update(self, f: Features | None, t: float) -> list:
        """Feed one frame's features (None: no usable pose). Returns PhaseChanged events, the
        Reps counted and the movements Rejected on this frame (a rep or a refusal can be of an
        earlier movement that only now is settled)."""
        out: list = []
        if f is None:
            if t - self._last_t > self.c.max_gap_s and self.phase != UNKNOWN:
                self.reset()
            return out
        if t - self._last_t > self.c.max_gap_s:
            self.reset()
        gap_from = self._last_t
        self._last_t = t
        d = f.hip_flexion
        if self.phase == RISING and t - gap_from > _GAP_S and self._t:
            self._top_in_gap(f, gap_from, out)
        self._remember(f)
        if self._unconfirmed is not None:
            self._confirm(f, out)
        # At a low frame rate one frame can cross two phases (the float of a swing and the
        # start of the next backswing fall between two frames at 6 fps): step until it settles.
        for _ in range(3):
            if not self._step(f, d, t, out):
                break
        return out

    def _step(self, f: Features, d: float, t: float, out: list) -> bool:
        """One transition of the phase machine on this frame; True if the phase changed."""
        lo, bot, tz = self._level(self.c.lowering_fraction), self._level(self.c.bottom_fraction), \
            self._level(self.c.top_fraction)
        R = self.range
        phase = self.phase
        if phase == UNKNOWN:
            if d >= bot:
                self._start_bottom(t, d, f)
                self._enter(BOTTOM, t, out)
            elif d <= lo:
                self._enter(TOP, t, out)
        elif phase == TOP:
            if d > lo:
                self._shallow_peak = (d, t, f.knee_flexion)
                self._left_top_t = t
                self._enter(LOWERING, t, out)
        elif phase == LOWERING:
            if d > self._shallow_peak[0]:
                self._shallow_peak = (d, t, f.knee_flexion)
            if d >= bot:
                self._start_bottom(t, d, f)
                self._enter(BOTTOM, t, out)
            elif d < self.top + 0.1 * R:
                self._enter(TOP, t, out)
                if not self._same_size_movements(t, out):
                    out.append(Rejected(t, "partial"))
        elif phase == BOTTOM:
            if d > self._peak:
                self._peak, self._peak_t = d, t
                # The knees where the hips are deepest (not the most bent frame: noise only
                # ever adds to a maximum).
                if f.knee_flexion == f.knee_flexion:
                    self._peak_knee = f.knee_flexion
            if d < self._peak - 0.2 * R:
                self._finish_lowering()
                self._min, self._min_t = d, t
                self._rise_t = t
                self._enter(RISING, t, out)
        elif phase == RISING:
            if d < self._min:
                self._min, self._min_t = d, t
            # The top is reached when the rise turns back, or when it holds near the top: a
            # stall halfway up (a real pull's sticking point) is not the top.
            near_top = self.top + 0.25 * max(R, self._peak - self.top)
            held = t - self._min_t >= 0.12 and self._min <= near_top
            if self._min <= tz and (d - self._min > 0.05 * R or held):
                if self._min_t - self._peak_t < _MIN_RISE_S:
                    # Up from the bottom in a frame or two and straight back down: the tracker
                    # lost the hips for a moment, nobody rises that fast.
                    self._enter(BOTTOM, t, out)
                    return True
                self._count(f, out)  # the top was reached, even if this frame is already past it
            elif d > self._peak - 0.1 * R:
                self._enter(BOTTOM, t, out)
        return self.phase != phase

    def _same_size_movements(self, t: float, out: list) -> bool:
        """Before the first rep the lifter's range is the exercise's prior. A lifter who hinges
        less than that (or a camera that sees the hinge smaller) makes movements that all turn
        back short of it: several in a row, of one size and one tempo, each at least a third of
        the prior range (less is a partial however regular), are their reps. True if
        this movement is kept as one of those (counted now or refused later)."""
        if self.reps or self._unconfirmed is not None:
            return False
        depth, peak_t, knee = self._shallow_peak
        if depth - self.top < _MIN_HINGE_DEG:
            self._refuse_shallow(out)  # a fidget breaks the run
            return False
        rep = Rep(index=0, start=self._onset(peak_t, +1), end=t, bottom_t=peak_t, depth=depth,
                  top_level=self.top, range_deg=self.range)
        rep.extra["top"] = self.top
        rep.extra["knee"] = knee if knee == knee else 0.0
        if self._shallow and rep.start - self._shallow[-1].end > _SET_RHYTHM_S:
            self._refuse_shallow(out)
        self._shallow.append(rep)
        sizes = [r.depth - self.top for r in self._shallow]
        # The rhythm from bottom to bottom: the ends of a shallow movement are too flat to time.
        gaps = [b.bottom_t - a.bottom_t for a, b in zip(self._shallow, self._shallow[1:])]
        if len(sizes) >= _SAME_SIZE_RUN:
            if _alike(sizes) and _alike(gaps) and statistics.median(sizes) >= _SHALLOW_SHARE * self.range:
                for r in self._shallow:
                    self._accept(r, out)
                self._shallow.clear()
            else:
                out.append(Rejected(self._shallow.pop(0).end, "partial"))
        return True

    def _refuse_shallow(self, out: list) -> None:
        out.extend(Rejected(r.end, "partial") for r in self._shallow)
        self._shallow.clear()

    def _top_in_gap(self, f: Features, gap_from: float, out: list) -> None:
        """The person vanished while rising fast and reappears lower again: the top of that rep
        happened while they were out of sight. Count it where the rise would have reached it."""
        ts, ds = self._t, self._d
        k = len(ts) - 1
        j = k
        while j > 0 and ts[j] > ts[k] - 0.25:
            j -= 1
        if ts[k] - ts[j] <= 0:
            return
        speed = (ds[k] - ds[j]) / (ts[k] - ts[j])  # negative while rising
        gap = f.t - gap_from
        tz = self._level(self.c.top_fraction)
        if speed >= 0 or ds[k] + speed * gap > tz or f.hip_flexion < ds[k] + 0.1 * self.range:
            return
        reach = min(gap * 0.8, (ds[k] - self.top) / -speed)
        self._min, self._min_t = self.top, gap_from + reach
        self._count(f, out, seen=False)
        # The lifter is already on the way down into the next rep.
        self._enter(LOWERING, f.t, out)

    def finish(self) -> list:
        """The recording ended: a rise that reached the top counts (a clip can end at lockout),
        and a pull waiting for its lockout check is judged on what was seen."""
        out: list = []
        if self.phase == RISING and self._f and self._min <= self._level(self.c.top_fraction):
            self._count(self._f[-1], out)
        elif self.phase == BOTTOM and self._pending_lowering is not None:
            self._finish_lowering()  # the set ended on the floor: the last lowering is complete
        self._refuse_shallow(out)
        if self._maybe_pickup is not None:
            out.append(Rejected(self._maybe_pickup.end, "pickup"))
            self._maybe_pickup = None
        rep, self._unconfirmed = self._unconfirmed, None
        if rep is not None:  # a pull after a stand-up that looked unloaded keeps that one
            if self._unloaded(rep, self._last_t):
                self._keep_earlier_stand_up(out)
                out.append(Rejected(self._last_t, "unloaded"))
            else:
                self._accept(rep, out)
        if self._maybe_unloaded is not None:
            out.append(Rejected(self._maybe_unloaded[1], "unloaded"))
            self._maybe_unloaded = None
        return out

    def _start_bottom(self, t: float, d: float, f: Features) -> None:
        self._peak, self._peak_t = d, t
        self._peak_knee = f.knee_flexion if f.knee_flexion == f.knee_flexion else 0.0

    def _finish_lowering(self) -> None:
        """The bottom is over: the descent into it is known, and for floor-start lifts the
        previous rep's lowering ends here."""
        # The first swing starts with the hike from a standstill, the bell gripped on the floor:
        # the pause is close to the bottom of that first backswing.
        first_swing = self.ex.kind == "swing" and (not self.reps or self._peak_t - self.reps[-1].end > 3.0)
        start = self._onset(self._peak_t, +1, pause_near_extreme=first_swing)
        self._descent_start = start
        # How long the lowering took: from 10 % to 90 % of the way down (the ends of a smooth
        # movement are slow and noisy, the middle is not).
        top = min((d for t_i, d in zip(self._t, self._d) if t_i >= start), default=self.top)
        lo_level = top + 0.1 * (self._peak - top)
        hi_level = top + 0.9 * (self._peak - top)
        end = self._peak_t
        for t_i, d_i in zip(self._t, self._d):
            if t_i >= start and d_i >= hi_level:
                end = t_i
                break
        begin = start
        for t_i, d_i in zip(self._t, self._d):
            if start <= t_i <= end and d_i <= lo_level:
                begin = t_i
        rep = self._pending_lowering
        if rep is not None and start >= rep.end:
            rep.lowering = (begin, end)
        self._pending_lowering = None
        self._last_descent = (begin, end)

    def _count(self, f: Features, out: list, seen: bool = True) -> None:
        end = self._min_t
        kind = self.ex.kind
        if kind == "swing" and seen:
            # The float: the bell at its highest, around the hip snap. Standing up after parking
            # the bell has no float, so it is no rep.
            near = [x for x in self._f if self._peak_t <= x.t <= f.t and x.wrist_height == x.wrist_height]
            if near:
                top = max(near, key=lambda x: x.wrist_height)
                no_float = top.wrist_height < top.hip_height + _FLOAT_ABOVE_HIP
                if no_float and "no_float" not in self.rules_off:
                    out.append(Rejected(f.t, "no_float"))
                    self._enter(TOP, f.t, out)
                    return
                end = top.t
        if kind == "floor_start":
            start = self._onset(end, -1)
            start = max(start, self._peak_t - 0.05) if start < self._peak_t - 5.0 else start
        else:
            start = self._descent_start if self._descent_start is not None else self._peak_t
        rep = Rep(index=len(self.reps) + 1, start=start, end=end, bottom_t=self._peak_t,
                  depth=self._peak, top_level=self.top, range_deg=self.range)
        rep.extra["top"] = self._min
        rep.extra["knee"] = self._peak_knee
        self._settle_first_pickup(out)
        reason = self._not_a_rep(start, end)
        self._enter(TOP, f.t, out)
        if reason == "pickup" and not self.reps and self._unconfirmed is None:
            # The first movement of a set: a pick-up from the floor, or the first rep of a lifter
            # whose hinge bends the knees that much. The next movement tells.
            self._maybe_pickup = rep
            return
        if reason:
            out.append(Rejected(f.t, reason))
            return
        if kind != "floor_start":
            rep.lowering = self._last_descent
        if self.c.loaded_lockout:
            self._unconfirmed = rep
            self._confirm(f, out)
        else:
            self._accept(rep, out)

    def _accept(self, rep: Rep, out: list) -> None:
        self._keep_earlier_stand_up(out)
        rep.index = len(self.reps) + 1
        if self.ex.kind == "floor_start":
            self._pending_lowering = rep
        self.reps.append(rep)
        self._learn(rep.depth, rep.extra["top"])
        out.append(rep)

    def _confirm(self, f: Features, out: list) -> None:
        """A pull ends with the load hanging in straight arms. Hands moving to the hips (elbows
        bent) right after "lockout" is standing up after putting the bar down: not a rep."""
        rep = self._unconfirmed
        assert rep is not None
        if f.t - rep.end < _LOCKOUT_CHECK_S and self.phase == TOP:
            return
        self._unconfirmed = None
        if self._unloaded(rep, f.t):
            # Standing up without the load ends a set: a pull that follows shows this was a
            # rep after all (real pose bends loaded elbows at times, at low frame rates most).
            self._keep_earlier_stand_up(out)
            self._maybe_unloaded = (rep, f.t)
        else:
            self._accept(rep, out)

    def _keep_earlier_stand_up(self, out: list) -> None:
        """A pull followed a stand-up that looked unloaded: that stand-up was a rep."""
        if self._maybe_unloaded is not None:
            earlier, self._maybe_unloaded = self._maybe_unloaded[0], None
            self._accept(earlier, out)

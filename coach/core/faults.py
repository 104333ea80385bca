"""Fault checks: each fault judged in the phase where it shows, with the numbers as evidence.

Which faults apply to an exercise, and their limits, come from the exercise file's [faults]
tables; a fault not listed there is never called. A rep whose frames are too few or too poorly
seen is "not judged" rather than guessed at.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from coach.core.events import FAULT_IDS, Fault
from coach.core.exercises import Exercise
from coach.core.features import Features
from coach.core.reps import Rep

MIN_VISIBILITY = 0.55  # mean visibility of shoulder, hip and knee over the rep
MIN_COVERAGE = 0.5  # share of the rep window with a usable pose
_AROUND_S = 0.15  # half-width of the moment a position is read at
_FRAMES_TO_SMOOTH = 7  # fewer frames than this around a moment (under ~12 fps) are read raw
_UPRIGHT_DEG = 12.0  # hips this close to straight, and knees within _SOFT_KNEES_DEG: standing
_SOFT_KNEES_DEG = 25.0  # real lifters stand with soft knees (17-27 degrees read at lockout)
_UPRIGHT_FRAMES = 5  # frames enough to know how the lifter stands
# A fault that is the visible consequence of another on the same rep is not called on its own:
# knees travelling forward carry the weight to the toes, and the fix is the knees' cue.
CONSEQUENCE_OF = {"balance": ("knee_dominant",)}


@dataclass(frozen=True)
class Verdict:
    judged: bool
    faults: tuple[Fault, ...]
    late_faults: tuple[Fault, ...] = ()  # found only at the verdict (not announced before)
    not_judged: Mapping[str, str] = field(default_factory=dict)


def _values(history: Iterable[Features], name: str, start: float, end: float) -> list[float]:
    return [v for f in history if start <= f.t <= end and (v := getattr(f, name)) == v]


def _at(history: Iterable[Features], name: str, t: float) -> float | None:
    vals = _values(history, name, t - _AROUND_S, t + _AROUND_S)
    return statistics.median(vals) if vals else None


def _running_median3(vals: list[float]) -> list[float]:
    """Each value with its neighbours' median: one flickering frame cannot make or hide a fault."""
    if len(vals) < 3:
        return vals
    return [statistics.median(vals[i:i + 3]) for i in range(len(vals) - 2)]


def _severity(value: float, limit: float) -> str:
    """How far past the limit, in shares of the limit: mild up to +25 %, moderate up to +60 %,
    severe beyond."""
    over = (value - limit) / max(abs(limit), 1e-6)
    return "mild" if over < 0.25 else "moderate" if over < 0.6 else "severe"


def _deepest_t(rep: Rep, kind: str) -> float:
    return rep.start if kind == "floor_start" else rep.bottom_t


@dataclass(frozen=True)
class Seen:
    """How the lift is seen: the exercise's kind, and the camera's yaw off the person's side
    (0 = square to the side), which shortens everything that points forward or back."""
    kind: str
    yaw_deg: float = 0.0

    @property
    def forward_scale(self) -> float:
        """What a distance forward or back in the image is multiplied by to be as from the side."""
        return 1.0 / max(0.5, math.cos(math.radians(self.yaw_deg)))


def _true_angle_from_vertical(seen_deg: float, yaw_deg: float) -> float:
    """An angle from vertical in the person's sagittal plane, from its image: the forward part
    of a segment shows cos(yaw) of itself, the vertical part all of it."""
    if not yaw_deg or abs(seen_deg) >= 89.0:
        return seen_deg
    return math.degrees(math.atan2(math.tan(math.radians(seen_deg)), math.cos(math.radians(yaw_deg))))


# Each check: (history, rep, limits, how it is seen) -> (value, limit, evidence name) or None.
# A string instead says why the fault cannot be judged on this rep.
Check = Callable[[list[Features], Rep, Mapping[str, float], Seen], "tuple[float, float, str] | str | None"]


def _knee_dominant(h, rep, lim, seen):
    # Squatting instead of hinging: the knees bend far more than this hinge needs at the bottom,
    # and the hips drop instead of travelling back, so the trunk stays more upright than a
    # hinge's. Real pose output bends the knees of many a good hinge past the limit; the trunk
    # tells them apart.
    t = _deepest_t(rep, seen.kind)
    v = _at(h, "knee_flexion", t)
    if v is None:
        return None
    if "max_trunk_lean_deg" in lim:
        lean = _at(h, "trunk_lean", t)
        if lean is None or _true_angle_from_vertical(lean, seen.yaw_deg) > lim["max_trunk_lean_deg"]:
            return None
    return v, lim["max_knee_flexion_deg"], "knee_flexion_deg"


def _incomplete_lockout(h, rep, lim, seen):
    # At the count the hips should be fully open: shoulders, hips and knees in one line. Judged
    # on the most open they got around the count: a lifter who got there did lock out.
    raw = _values(h, "hip_flexion", rep.end - 0.3, rep.end + 0.3)
    # At a Pi's frame rate a swing's float is a frame or two: smoothing would erase it.
    vals = _running_median3(raw) if len(raw) >= _FRAMES_TO_SMOOTH else raw
    return None if not vals else (min(vals), lim["max_hip_flexion_deg"], "hip_flexion_at_top_deg")


def _upright_lean(history: list[Features]) -> float | None:
    """The trunk's lean in the image while this lifter stands straight (hips and knees
    open): real pose output often tilts a whole standing body by 10-20 degrees, so a lean
    back is judged from this, not from the image's vertical. None if never seen."""
    leans = [f.trunk_lean for f in history if abs(f.hip_flexion) <= _UPRIGHT_DEG
             and f.knee_flexion <= _SOFT_KNEES_DEG and f.trunk_lean == f.trunk_lean]
    return statistics.median(leans) if len(leans) >= _UPRIGHT_FRAMES else None


def _lockout_lean_back(h, rep, lim, seen):
    # Finishing past vertical: the trunk leans behind the hips at the top (hip thrust: the hips
    # pushed above the shoulder-knee line).
    name = "hip_flexion" if "hip_line" in lim else "trunk_lean"
    # A trunk lean is judged behind the lifter's own upright, not the image's vertical. Only a
    # lifter who stands leaning back moves that reference: one who stands a little forward is
    # judged from vertical, as the definition says.
    reference = 0.0
    if name == "trunk_lean":
        upright = _upright_lean(h)
        if upright is None:
            return "the lifter was never seen standing straight to judge a lean against"
        reference = min(upright, 0.0)
    vals = [v - reference for v in _values(h, name, rep.end - 0.4, rep.end + 0.4)]
    if not vals:
        return None
    back = _true_angle_from_vertical(-min(_running_median3(vals)), seen.yaw_deg)
    return back, lim["max_lean_back_deg"], "lean_back_deg" if name == "trunk_lean" else "hips_past_line_deg"


def _arm_driven_swing(h, rep, lim, seen):
    # The bell lifted by the arms: the elbows bend in the upswing, or the arms raise the bell
    # past the chest (a hip-driven swing floats it at chest height on straight arms).
    elbow = _values(h, "elbow_flexion", rep.end - 0.3, rep.end + 0.1)
    if elbow and statistics.median(elbow) >= lim["max_elbow_flexion_deg"]:
        return statistics.median(elbow), lim["max_elbow_flexion_deg"], "elbow_flexion_at_float_deg"
    raise_ = _at(h, "shoulder_flexion", rep.end)
    return None if raise_ is None else (raise_, lim["max_arm_raise_deg"], "arm_raise_at_float_deg")


def _top_t(rep: Rep, kind: str) -> float:
    """When this rep stands tall: before the descent for top-start lifts, at lockout or the
    float otherwise. Its own posture there is the reference for what changes in the rep."""
    return rep.start if kind == "top_start" else rep.end


def _peak_in_hinge(history: Iterable[Features], name: str, start: float, end: float) -> float | None:
    """The highest value while the hips are still bent (the pull, not the lockout, where the
    arms settle), over a running median of three frames: a drift lasts, a one-frame flicker of
    a wrist landmark does not."""
    frames = [f for f in history if start <= f.t <= end and f.hip_flexion == f.hip_flexion]
    if not frames:
        return None
    deepest = max(f.hip_flexion for f in frames)
    bent = [v for f in frames if f.hip_flexion >= 0.3 * deepest and (v := getattr(f, name)) == v]
    vals = _running_median3(bent)
    return max(vals) if vals else None


def _load_drift(h, rep, lim, seen):
    # The load drifts away from the body: the arms swing forward from hanging straight down
    # (compared with this rep's own standing), or the hands get far ahead of the midfoot.
    ref = _at(h, "arm_from_vertical", _top_t(rep, seen.kind))
    if seen.kind == "top_start":  # a hinge from the top: the bar should slide down the legs
        swing = _at(h, "arm_from_vertical", rep.bottom_t)
    else:  # a pull: the bar drifts out anywhere on the way up
        swing = _peak_in_hinge(h, "arm_from_vertical", rep.start, rep.end)
    if ref is not None and swing is not None:
        ref, swing = (_true_angle_from_vertical(a, seen.yaw_deg) for a in (ref, swing))
        if swing - ref >= lim["max_arm_swing_deg"]:
            return swing - ref, lim["max_arm_swing_deg"], "arms_forward_of_vertical_deg"
    ahead = _peak_in_hinge(h, "wrist_forward", rep.start, rep.end)
    return None if ahead is None else (ahead, lim["max_forward_leg_lengths"], "load_ahead_of_midfoot")


def _balance(h, rep, lim, seen):
    # Weight to the toes: the body's centre of mass goes ahead of the midfoot at the bottom.
    # Lifts from the top compare it with where this lifter stood balanced before the descent:
    # how far it normally travels depends on the load (a bar held in front or across the back
    # pulls the body's own centre back), so the limit is the exercise's usual travel plus margin.
    t = _deepest_t(rep, seen.kind)
    bottom = _at(h, "com_forward", t)
    if bottom is None:
        return None
    bottom *= seen.forward_scale
    limit = lim.get("max_com_shift_leg_lengths")
    if limit is not None and seen.kind == "top_start":
        top = _at(h, "com_forward", rep.start)
        if top is None:
            return None
        return bottom - top * seen.forward_scale, limit, "centre_of_mass_shift_forward"
    ahead = lim.get("max_com_ahead_leg_lengths")
    return None if ahead is None else (bottom, ahead, "centre_of_mass_ahead_of_midfoot")


def _spine_rounding(h, rep, lim, seen):
    # The back rounds: the shoulders sink toward (or below) the hips at the bottom, further
    # than a flat back of this lift allows; or the trunk folds onto the thighs well past a
    # flat-back hinge.
    t = _deepest_t(rep, seen.kind)
    sh, hip = _at(h, "shoulder_height", t), _at(h, "hip_height", t)
    limit = lim.get("max_shoulders_below_hips_leg_lengths")
    if limit is not None and sh is not None and hip is not None and hip - sh >= limit:
        return hip - sh, limit, "shoulders_below_hips_leg_lengths"
    v = _at(h, "hip_flexion", t)
    return None if v is None else (v, lim["max_fold_deg"], "trunk_fold_deg")


CHECKS: dict[str, tuple[str, Check]] = {
    # fault id: (the phase where it shows, check)
    "knee_dominant": ("bottom", _knee_dominant),
    "spine_rounding": ("bottom", _spine_rounding),
    "load_drift": ("rising", _load_drift),
    "balance": ("bottom", _balance),
    "incomplete_lockout": ("lockout", _incomplete_lockout),
    "lockout_lean_back": ("lockout", _lockout_lean_back),
    "arm_driven_swing": ("lockout", _arm_driven_swing),
}


class FaultJudge:
    def __init__(self, exercise: Exercise):
        self.ex = exercise
        self._said: dict[int, set[str]] = {}
        self._drops: dict[int, float] = {}  # rep -> hips minus shoulders at the bottom (leg lengths)
        self.camera_yaw_deg = 0.0  # the analysis keeps it at the view estimate
        self._rushed_reps: set[int] = set()

    def _judgeable(self, rep: Rep, history: list[Features]) -> str:
        frames = [f for f in history if rep.start <= f.t <= rep.end]
        span = rep.end - rep.start
        if span > 0 and len(frames) >= 2 and (frames[-1].t - frames[0].t) < MIN_COVERAGE * span:
            return "too few frames"
        if not frames:
            return "no frames"
        if statistics.fmean(f.visibility for f in frames) < MIN_VISIBILITY:
            return "poor visibility"
        return ""

    def _check(self, rep: Rep, history: list[Features]) -> tuple[list[Fault], dict[str, str]]:
        """The faults found on this rep, and {fault id: why not} for those it cannot judge."""
        found = []
        seen = Seen(self.ex.kind, self.camera_yaw_deg)
        unjudged = dict(self.ex.not_judged)
        for fid, limits in self.ex.faults.items():
            if fid not in CHECKS:
                continue
            phase, check = CHECKS[fid]
            res = check(history, rep, limits, seen)
            if isinstance(res, str):
                unjudged[fid] = res
                continue
            if res is None:
                continue
            value, limit, name = res
            if value >= limit:
                found.append(Fault(fid, phase, _severity(value, limit),
                                   {name: round(value, 3), "limit": limit}))
        rounding = self._rounding_against_usual(rep, history)
        if rounding and not any(f.id == rounding.id for f in found):
            found.append(rounding)
        ids = {f.id for f in found}
        return [f for f in found if not ids.intersection(CONSEQUENCE_OF.get(f.id, ()))], unjudged

    def _rounding_against_usual(self, rep: Rep, history: list[Features]) -> Fault | None:
        """Rounding seen against this lifter's own hinge: at the bottom the shoulders sit lower
        under the hips than on their usual reps (the median of the reps before) by about what
        20 degrees of spinal flexion takes off a trunk bent toward horizontal."""
        limit = self.ex.faults.get("spine_rounding", {}).get("max_shoulder_drop_vs_usual_leg_lengths")
        t = _deepest_t(rep, self.ex.kind)
        sh, hip = _at(history, "shoulder_height", t), _at(history, "hip_height", t)
        if limit is None or sh is None or hip is None:
            return None
        self._drops[rep.index] = hip - sh
        before = [d for i, d in self._drops.items() if i < rep.index]
        if len(before) < 2:
            return None
        drop = hip - sh - statistics.median(before)
        if drop < limit:
            return None
        return Fault("spine_rounding", "bottom", _severity(drop, limit),
                     {"shoulder_drop_vs_usual_leg_lengths": round(drop, 3), "limit": limit})

    def at_count(self, rep: Rep, history: Iterable[Features]) -> list[Fault]:
        """Faults that can be called the moment the rep counts (said while it still helps)."""
        h = list(history)
        if self._judgeable(rep, h):
            return []
        faults, _ = self._check(rep, h)
        self._said[rep.index] = {f.id for f in faults}
        return faults

    def ready(self, rep: Rep, now: float, reps: list[Rep]) -> bool:
        """Can this rep get its final verdict now? Floor-start lifts wait for the lowering after
        lockout (it belongs to the rep); a lowering is only "rushed" against the lifter's usual,
        which takes three lowerings to know."""
        if "rushed_lowering" not in self.ex.faults:
            return True
        if self.ex.kind == "floor_start" and rep.lowering is None and now - rep.end < 6.0:
            return False
        return sum(1 for r in reps if r.lowering) >= 3

    def _rushed(self, rep: Rep, reps: list[Rep]) -> Fault | None:
        limits = self.ex.faults.get("rushed_lowering")
        if limits is None or rep.lowering is None:
            return None
        # The lifter's usual lowering, from their other controlled reps: a rushed rep must not
        # pull its own yardstick down (early in a set, one of three is a third of the median),
        # nor must the ones already called rushed.
        others = [r for r in reps if r.lowering and r is not rep]
        controlled = [r for r in others if r.index not in self._rushed_reps]
        if len(others) < 2:
            return None
        # (two at least: one odd lowering, say a rep that began early, is no yardstick alone)
        times = [r.lowering[1] - r.lowering[0] for r in (controlled if len(controlled) >= 2 else others)
                 if r.lowering is not None]
        usual = statistics.median(times)
        took = rep.lowering[1] - rep.lowering[0]
        share = took / usual if usual > 0 else 1.0
        if share <= limits["max_share_of_usual"]:
            self._rushed_reps.add(rep.index)
            return Fault("rushed_lowering", "lowering", "moderate",
                         {"lowering_s": round(took, 2), "usual_s": round(usual, 2),
                          "limit": limits["max_share_of_usual"]})
        return None

    def verdict(self, rep: Rep, history: Iterable[Features], reps: list[Rep]) -> Verdict:
        h = list(history)
        reason = self._judgeable(rep, h)
        if reason:
            return Verdict(False, (), (), {fid: reason for fid in self.ex.faults})
        faults, unjudged = self._check(rep, h)
        rushed = self._rushed(rep, reps)
        if rushed:
            faults.append(rushed)
        faults.sort(key=lambda f: FAULT_IDS.index(f.id))
        said = self._said.pop(rep.index, set())
        return Verdict(True, tuple(faults), tuple(f for f in faults if f.id not in said), unjudged)

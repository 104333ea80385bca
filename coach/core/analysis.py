"""Frames -> features -> reps -> faults -> events. Pure: no I/O, no clock but the frames' `t`.

The same Analyzer runs a recorded trace (`coach analyze`) and a live camera (the runtime): feed it
frames as they come, collect the events it returns.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace

from coach.core.events import Event, FaultFound, NotCounted, PoseFound, PoseLost, RepCounted, RepJudged
from coach.core.exercises import Exercise, load_exercise
from coach.core.faults import FaultJudge
from coach.core.features import FeatureExtractor, Features
from coach.core.frames import Frame, TraceMeta
from coach.core.reps import Rejected, Rep, RepMachine
from coach.core.view import ViewEstimator
from coach.core.view_rules import restrict_to_view, view_json

_POSE_LOST_AFTER_S = 0.5  # a shorter drop-out is bridged silently
_FEATURE_HISTORY_S = 20.0
_FRONTAL_YAW_DEG = 80.0  # the camera this far off the side looks at the lifter's front or back


class Analyzer:
    def __init__(self, meta: TraceMeta, exercise: Exercise | str,
                 rules_off: frozenset[str] = frozenset()):
        self.exercise = load_exercise(exercise) if isinstance(exercise, str) else exercise
        self.meta = meta
        self.features = FeatureExtractor(meta)
        self.reps = RepMachine(self.exercise, rules_off)
        self.faults = FaultJudge(self.exercise)
        self.view = ViewEstimator(meta)
        self.history: deque[Features] = deque()
        self._pose = False
        self._now: Features | None = None  # this frame's features
        self._last_pose_t: float | None = None
        self._awaiting: list[Rep] = []  # counted reps whose verdict needs more frames
        self.t = 0.0

    @property
    def hip_flexion(self) -> float | None:
        """The hip flexion the reps are counted on, now (degrees, 0 = standing tall); None while
        no person is seen."""
        return self._now.hip_flexion if self._now is not None else None

    def feed(self, frame: Frame) -> list[Event]:
        """One frame in (frames in time order); what happened at it out: PoseFound/PoseLost,
        ViewChanged, PhaseChanged, RepCounted the moment a rep counts, NotCounted for a movement
        refused, FaultFound and RepJudged as each rep's verdict comes in. Faults the camera's
        view cannot judge are left out (the RepJudged says which and why)."""
        self.t = frame.t
        out: list[Event] = []
        changed = self.view.feed(frame)
        if changed is not None:
            out.append(changed)
        f = self.features(frame)
        self._now = f
        if f is None:
            if self._pose and self._last_pose_t is not None and frame.t - self._last_pose_t >= _POSE_LOST_AFTER_S:
                self._pose = False
                out.append(PoseLost(frame.t))
        else:
            if not self._pose:
                self._pose = True
                out.append(PoseFound(frame.t))
            self._last_pose_t = frame.t
            self.history.append(f)
            while self.history and self.history[0].t < frame.t - _FEATURE_HISTORY_S:
                self.history.popleft()
        self._take(self.reps.update(self._for_counting(f), frame.t), out)
        out.extend(self._verdicts(final=False))
        return self._as_view_allows(out)

    def _for_counting(self, f: Features | None) -> Features | None:
        """The features the rep machine counts on. Seen from the front or the back, the hinge
        happens in the camera's depth and the hip angle in the picture says nothing; the bend
        read from heights still does, for lifts done standing (the exercise file says)."""
        view = self.view.current()
        if f is None or view is None or view.yaw_deg <= _FRONTAL_YAW_DEG \
                or not self.exercise.counting.bend_from_heights:
            return f
        return replace(f, hip_flexion=f.hip_bend_from_heights)

    def _as_view_allows(self, events: list[Event]) -> list[Event]:
        """A fault the camera's view cannot judge is not called; the rep says why instead."""
        view = self.view.current()
        if view is None or not any(isinstance(e, (FaultFound, RepJudged)) for e in events):
            return events
        kept = (restrict_to_view(e, self.exercise.id, view) for e in events)
        return [e for e in kept if e is not None]

    def view_report(self) -> dict:
        """The `view` object of the analysis report: the view that held for most of the set."""
        return view_json(self.view.settled(), self.exercise.id)

    def _judge_as_seen(self) -> None:
        """Angles are judged as the camera sees them: tell the judge its current yaw."""
        view = self.view.current()
        self.faults.camera_yaw_deg = view.yaw_deg if view is not None else 0.0

    def _take(self, items: list, out: list[Event]) -> None:
        if items:
            self._judge_as_seen()
        for item in items:
            if isinstance(item, Rejected):
                out.append(NotCounted(item.t, item.rule, item.reason))
            elif isinstance(item, Rep):
                out.append(RepCounted(self.t, item.index, item.start, item.end))
                out.extend(FaultFound(self.t, item.index, fault)
                           for fault in self.faults.at_count(item, self.history))
                self._awaiting.append(item)
            else:
                out.append(item)

    def _verdicts(self, final: bool) -> list[Event]:
        """A rep's verdict is final once everything belonging to it is seen: for floor-start
        lifts, the lowering after lockout (or the end of the clip)."""
        out: list[Event] = []
        if self._awaiting:
            self._judge_as_seen()
        while self._awaiting:
            rep = self._awaiting[0]
            if not final and not self.faults.ready(rep, self.t, self.reps.reps):
                break
            self._awaiting.pop(0)
            verdict = self.faults.verdict(rep, self.history, self.reps.reps)
            out.extend(FaultFound(self.t, rep.index, fault) for fault in verdict.late_faults)
            out.append(RepJudged(self.t, rep.index, verdict.judged, verdict.faults, verdict.not_judged))
        return out

    def settle(self) -> list[Event]:
        """The verdicts of the reps counted so far, final now (the set is interrupted: a pause,
        a switch of exercise); counting goes on."""
        return self._as_view_allows(self._verdicts(final=True))

    def finish(self) -> list[Event]:
        """The end of the recording: what it settles (a movement waiting on the next one) and
        every verdict still open."""
        out: list[Event] = []
        self._take(self.reps.finish(), out)
        out.extend(self._verdicts(final=True))
        return self._as_view_allows(out)


def analyze(meta: TraceMeta, frames: Iterable[Frame], exercise: Exercise | str) -> Iterator[Event]:
    analyzer = Analyzer(meta, exercise)
    for frame in frames:
        yield from analyzer.feed(frame)
    yield from analyzer.finish()

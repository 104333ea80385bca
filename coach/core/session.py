"""The workout as the lifter lives it: plan, current exercise and set, reps, faults, rest, pause.

Pure: `Session.handle(event)` takes analysis events (RepCounted, FaultFound, RepJudged, ...) and
voice commands (CommandHeard) and returns the session events they cause (SetStarted, SetEnded,
RestStarted, ...). Time only comes from the events' `t`; the rest timer runs on it too.

Reps outside a set (warm-up, a fidget the analysis counted) start an implicit set, because a
person who just lifts without saying "start set" still wants their reps counted and logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from coach.core.commands import (
    EndSet,
    FinishWorkout,
    GoToSet,
    HowMany,
    HowWasThatRep,
    NextSet,
    No,
    Pause,
    Repeat,
    Rest,
    Resume,
    SetTarget,
    SkipRest,
    StartSet,
    SwitchExercise,
    UndoRep,
    Yes,
    default_vocabulary,
)
from coach.core.datafile import read_toml
from coach.core.errors import CoachError
from coach.core.events import (
    Answered,
    Command,
    CommandHeard,
    ConfirmAsked,
    ConfirmDropped,
    Confirmed,
    Event,
    ExerciseChanged,
    Fault,
    FaultFound,
    Paused,
    RepCounted,
    RepJudged,
    RepRecorded,
    RepUndone,
    RestEnded,
    RestStarted,
    Resumed,
    SetEnded,
    SetStarted,
    TargetChanged,
    WorkoutFinished,
)
from coach.core.exercises import exercise_ids
from coach.core.vocabulary import Vocabulary

# When the target is reached, wait this long for the last rep's verdict before closing the set
# (floor-start lifts are judged on the lowering after lockout).
_JUDGE_GRACE_S = 3.0

# How long an unsure command that discards or ends something waits for the lifter's "yes",
# from the question (ConfirmAsked.t): time to hear "Finish the workout? Say yes." (about 2 s),
# take it in and answer between reps; longer, and a "yes" said to someone else in the gym
# could end a set the lifter has long gone on with.
CONFIRM_WINDOW_S = 8.0


class PlanError(CoachError):
    """A plan file that cannot be used. str() is one sentence naming the file and key."""


@dataclass(frozen=True)
class PlannedExercise:
    exercise: str
    sets: int = 3
    target_reps: int | None = None
    rest_s: float = 90.0


@dataclass(frozen=True)
class Plan:
    name: str
    exercises: tuple[PlannedExercise, ...]


def default_plan(exercise: str = "hip_hinge_drill") -> Plan:
    return Plan("free training", (PlannedExercise(exercise, sets=3, target_reps=None, rest_s=90.0),))


def _positive(value: object, where: str, kind: type, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise PlanError(f"{where} must be a {'whole ' if kind is int else ''}number")
    if value <= 0 and not (kind is float and value == 0):
        raise PlanError(f"{where} must be positive")
    return kind(value)


def parse_plan(data: dict[str, Any], source: str = "<plan>") -> Plan:
    """A plan from parsed TOML: `name` and an array of `[[exercise]]` tables with
    `name`, `sets`, `reps` (optional), `rest` (seconds)."""
    name = data.get("name", "workout")
    if not isinstance(name, str):
        raise PlanError(f"{source}: key 'name' must be text")
    unknown = set(data) - {"name", "exercise"}
    if unknown:
        raise PlanError(f"{source}: unknown key '{sorted(unknown)[0]}' (expected 'name' and [[exercise]] tables)")
    items = data.get("exercise")
    if not isinstance(items, list) or not items:
        raise PlanError(f"{source}: key 'exercise' must hold at least one [[exercise]] table")
    out = []
    for i, item in enumerate(items, 1):  # counted as people count: the first [[exercise]] is exercise 1
        where = f"{source}: exercise {i}"
        if not isinstance(item, dict):
            raise PlanError(f"{where} must be a [[exercise]] table")
        bad = set(item) - {"name", "sets", "reps", "rest"}
        if bad:
            raise PlanError(f"{where} has an unknown key '{sorted(bad)[0]}' (expected name, sets, reps, rest)")
        ex = item.get("name")
        if ex is None:
            raise PlanError(f"{where} has no name; give one of {', '.join(exercise_ids())}")
        if ex not in exercise_ids():
            raise PlanError(f"{where}: '{ex}' is not an exercise; choose one of {', '.join(exercise_ids())}")
        sets = _positive(item.get("sets", 3), f"{where}: 'sets'", int)
        reps = _positive(item.get("reps"), f"{where}: 'reps'", int, allow_none=True)
        rest = _positive(item.get("rest", 90), f"{where}: 'rest'", float)
        out.append(PlannedExercise(ex, sets, reps, rest))
    return Plan(name, tuple(out))


def load_plan(path: str | os.PathLike[str]) -> Plan:
    path = os.fspath(path)
    return parse_plan(read_toml(path, PlanError, "plan file"), path)


# --- the session ------------------------------------------------------------------------------

@dataclass
class RepRecord:
    rep: int  # position in the set, 1-based
    analysis_rep: int
    start: float
    end: float
    faults: dict[str, Fault] = field(default_factory=dict)
    judged: bool = False


@dataclass
class SetRecord:
    set_no: int  # counts all sets of the workout, 1-based
    exercise: str
    started: float
    target_reps: int | None
    reps: list[RepRecord] = field(default_factory=list)
    ended: float | None = None

    def fault_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.reps:
            for fid in r.faults:
                counts[fid] = counts.get(fid, 0) + 1
        return counts


class Session:
    """`vocabulary` says which commands are asked about when heard unsure (`confirm = true`);
    default: the bundled English one."""

    def __init__(self, plan: Plan | None = None, exercise: str | None = None,
                 judge_grace_s: float = _JUDGE_GRACE_S, vocabulary: Vocabulary | None = None):
        self.plan = plan or default_plan(exercise or "hip_hinge_drill")
        self.exercise_index = 0
        self.exercise = exercise or self.plan.exercises[0].exercise
        # no exercise and no plan: the lifter has not chosen yet (the live coach asks), so
        # naming the default one still counts as choosing it
        self.chosen = exercise is not None or plan is not None
        if exercise and exercise != self.plan.exercises[0].exercise:
            idx = [p.exercise for p in self.plan.exercises]
            self.exercise_index = idx.index(exercise) if exercise in idx else -1
        self.sets: list[SetRecord] = []
        self.current: SetRecord | None = None
        self.target_override: int | None = None
        self.paused = False
        self.rest_until: float | None = None
        self.finished = False
        self.t = 0.0
        self._judge_grace_s = judge_grace_s
        self._close_at: float | None = None  # target reached: close the set when judged or then
        self._by_analysis_rep: dict[int, RepRecord] = {}
        self._early_faults: dict[int, dict[str, Fault]] = {}
        self._last_rep: RepRecord | None = None
        self._vocabulary = vocabulary
        self._held: ConfirmAsked | None = None  # the unsure command asked about, one at a time

    # -- what the session knows ------------------------------------------------------------
    @property
    def planned(self) -> PlannedExercise:
        if 0 <= self.exercise_index < len(self.plan.exercises):
            return self.plan.exercises[self.exercise_index]
        return PlannedExercise(self.exercise, sets=3, target_reps=None, rest_s=90.0)

    @property
    def target_reps(self) -> int | None:
        return self.target_override if self.target_override is not None else self.planned.target_reps

    @property
    def reps(self) -> int:
        return len(self.current.reps) if self.current else 0

    @property
    def set_no(self) -> int:
        return self.current.set_no if self.current else len(self.sets)

    @property
    def resting(self) -> bool:
        return self.rest_until is not None

    def rest_left(self, t: float) -> float | None:
        return None if self.rest_until is None else max(0.0, self.rest_until - t)

    @property
    def total_reps(self) -> int:
        return sum(len(s.reps) for s in self.sets)

    # -- the one entry point -----------------------------------------------------------------
    def handle(self, event: object) -> list[Event]:
        """The one entry point: an analysis event (RepCounted, FaultFound, RepJudged) or a voice
        command (CommandHeard) in; what changed in the workout out (SetStarted, RepRecorded,
        SetEnded, RestStarted, Answered, ...), in order. Time only moves forward, with the events."""
        t = float(getattr(event, "t", self.t))
        out = self.tick(t)
        if self.finished:
            return out
        if isinstance(event, RepCounted):
            out += self._on_rep(event)
        elif isinstance(event, FaultFound):
            out += self._on_fault(event)
        elif isinstance(event, RepJudged):
            out += self._on_judged(event)
        elif isinstance(event, CommandHeard):
            out += self._on_command(event)
        return out

    def tick(self, t: float) -> list[Event]:
        """Advance the session's clock: the rest timer ends, a finished set closes."""
        self.t = max(self.t, t)
        out: list[Event] = []
        if self._held is not None and t > self._held.t + CONFIRM_WINDOW_S:
            out.append(ConfirmDropped(t, self._held.command, "timeout"))  # a later "yes" does nothing
            self._held = None
        if self._close_at is not None and t >= self._close_at:
            out += self._end_set(t)
        if self.rest_until is not None and t >= self.rest_until:
            self.rest_until = None
            out.append(RestEnded(t))
        return out

    # -- analysis events ---------------------------------------------------------------------
    def _on_rep(self, e: RepCounted) -> list[Event]:
        if self.paused:
            return []  # the lifter paused: whatever the camera sees is not a rep
        out: list[Event] = []
        if e.rep in self._by_analysis_rep or (self._by_analysis_rep and e.rep < max(self._by_analysis_rep)):
            # the analysis started over (a new analyzer): its numbers mean new reps
            self._by_analysis_rep.clear()
        if self._close_at is not None:  # one more rep after the target: the set goes on
            self._close_at = None
        if self.current is None:
            if self.rest_until is not None:
                self.rest_until = None
                out.append(RestEnded(e.t, skipped=True))
            out += self._start_set(e.start if e.start < e.t else e.t)
        assert self.current is not None
        rec = RepRecord(len(self.current.reps) + 1, e.rep, e.start, e.end,
                        dict(self._early_faults.pop(e.rep, {})))
        self.current.reps.append(rec)
        self._by_analysis_rep[e.rep] = rec
        self._last_rep = rec
        out.append(self._recorded(e.t, rec))
        target = self.target_reps
        if target is not None and rec.rep >= target:
            self._close_at = e.t + self._judge_grace_s
        return out

    def _on_fault(self, e: FaultFound) -> list[Event]:
        rec = self._by_analysis_rep.get(e.rep)
        if rec is None:  # judged before the count (a lowering fault): keep it for the rep
            self._early_faults.setdefault(e.rep, {})[e.fault.id] = e.fault
            return []
        if e.fault.id in rec.faults:
            return []
        rec.faults[e.fault.id] = e.fault
        return []

    def _on_judged(self, e: RepJudged) -> list[Event]:
        rec = self._by_analysis_rep.get(e.rep)
        if rec is None or rec.judged:
            return []
        for f in e.faults:
            rec.faults[f.id] = f
        rec.judged = True
        out: list[Event] = [self._recorded(e.t, rec)]
        if (self._close_at is not None and self.current is not None and self.current.reps
                and self.current.reps[-1] is rec):
            out += self._end_set(e.t)
        return out

    def _recorded(self, t: float, rec: RepRecord) -> RepRecorded:
        s = self.current if self.current and rec in self.current.reps else self._set_of(rec)
        return RepRecorded(t, s.exercise if s else self.exercise, s.set_no if s else 0, rec.rep,
                           rec.start, rec.end, tuple(rec.faults.values()), rec.judged)

    def _set_of(self, rec: RepRecord) -> SetRecord | None:
        for s in reversed(self.sets):
            if rec in s.reps:
                return s
        return None

    # -- sets, rest ----------------------------------------------------------------------------
    def _close_open(self, t: float) -> list[Event]:
        """Before a new set or the end: the open set ends (no rest), a rest running is cut short."""
        out: list[Event] = []
        if self.current is not None:
            out += self._end_set(t, rest=False)
        if self.rest_until is not None:
            self.rest_until = None
            out.append(RestEnded(t, skipped=True))
        return out

    def _start_set(self, t: float) -> list[Event]:
        out = self._close_open(t)
        self.current = SetRecord(len(self.sets) + 1, self.exercise, t, self.target_reps)
        self.sets.append(self.current)
        out.append(SetStarted(t, self.current.set_no, self.exercise, self.current.target_reps))
        return out

    def _end_set(self, t: float, rest: bool = True, rest_s: float | None = None) -> list[Event]:
        self._close_at = None
        s = self.current
        if s is None:
            return []
        self.current = None
        s.ended = t
        if not s.reps:  # an empty set (started, then ended) leaves no trace in the workout
            self.sets.remove(s)
            return [SetEnded(t, s.set_no, s.exercise, 0, {}, None)]
        seconds = (rest_s if rest_s is not None else self.planned.rest_s) if rest else None
        out: list[Event] = [SetEnded(t, s.set_no, s.exercise, len(s.reps), s.fault_counts(), seconds)]
        if seconds:
            out += self._start_rest(t, seconds)
        return out

    def _start_rest(self, t: float, seconds: float) -> list[Event]:
        self.rest_until = t + seconds
        return [RestStarted(t, seconds)]

    def _change_exercise(self, t: float, exercise: str, index: int | None = None) -> list[Event]:
        out: list[Event] = []
        if self.current is not None:
            out += self._end_set(t, rest=False)
        if index is None:
            names = [p.exercise for p in self.plan.exercises]
            index = names.index(exercise) if exercise in names else -1
        self.exercise, self.exercise_index = exercise, index
        self.target_override = None
        self._by_analysis_rep.clear()
        self._early_faults.clear()
        out.append(ExerciseChanged(t, exercise))
        return out

    def finish(self, t: float) -> list[Event]:
        if self.finished:
            return []
        self._held = None  # the workout ends anyway: nothing is left to ask about
        out = self._close_open(t)
        self.finished = True
        out.append(WorkoutFinished(t, len(self.sets), self.total_reps))
        return out

    def _answer(self, t: float, question: str) -> Answered:
        if question == "last_rep":
            last = self._last_rep
            s = self._set_of(last) if last else None
            return Answered(t, question, self.exercise, s.set_no if s else self.set_no,
                            last.rep if last else 0, self.target_reps,
                            tuple(last.faults) if last else (), self.rest_left(t))
        reps = self.reps
        if self.current is None and self.sets and question == "count":
            reps = len(self.sets[-1].reps)  # between sets, "how many" means the set just done
        return Answered(t, question, self.exercise, self.set_no, reps, self.target_reps, (),
                        self.rest_left(t))

    # -- commands ------------------------------------------------------------------------------
    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = default_vocabulary("en")
        return self._vocabulary

    @property
    def asking(self) -> ConfirmAsked | None:
        """The unsure command held until the lifter says yes (None: nothing asked)."""
        return self._held

    def _on_command(self, e: CommandHeard) -> list[Event]:
        """An unsure command that discards or ends something is held and asked about (one at a
        time; a newer one replaces it); "yes" within CONFIRM_WINDOW_S does it, "no" drops it,
        any other command drops it and is done; "repeat" asks again (the window starts over).
        A "yes" or "no" with nothing asked does nothing."""
        held, cmd, t = self._held, e.command, e.t
        if isinstance(cmd, (Yes, No)):
            if held is None:
                return []
            self._held = None
            if isinstance(cmd, No):
                return [ConfirmDropped(t, held.command, "no")]
            return [Confirmed(t, held.command), *self._do(t, held.command)]  # as if heard sure, now
        if isinstance(cmd, Repeat) and held is not None:  # "pardon?": the question again
            self._held = ConfirmAsked(t, held.command)
            return [self._held]
        out: list[Event] = []
        if held is not None:
            self._held = None
            out.append(ConfirmDropped(t, held.command, "other"))
        if e.confirm and self.vocabulary.needs_confirmation(cmd):
            self._held = ConfirmAsked(t, cmd)
            return out + [self._held]
        return out + self._do(t, cmd)

    def _do(self, t: float, cmd: Command) -> list[Event]:
        """Carry out a command (one heard sure, or one the lifter confirmed)."""
        match cmd:
            case Pause():
                if self.paused:
                    return []
                self.paused = True
                return [Paused(t)]
            case Resume():
                if not self.paused:
                    return []
                self.paused = False
                return [Resumed(t)]
            case HowMany():
                return [self._answer(t, "count")]
            case HowWasThatRep():
                return [self._answer(t, "last_rep")]
            case FinishWorkout():
                return self.finish(t)
        out: list[Event] = []
        if self.paused and isinstance(cmd, (StartSet, NextSet, SwitchExercise, GoToSet)):
            self.paused = False  # starting something is a clear sign the lifter is back
            out.append(Resumed(t))
        match cmd:
            case SwitchExercise(exercise=ex):
                if ex not in exercise_ids() or (ex == self.exercise and self.chosen):
                    return out
                self.chosen = True
                return out + self._change_exercise(t, ex)
            case StartSet() if self.current is not None and t < self.current.started:
                return out   # said before this set began, answered late (a slow recognizer): it asked for this set
            case StartSet() | NextSet() | GoToSet():
                return out + self._start_set(t)  # "set three": start it; numbering follows the log
            case EndSet():
                return out + self._end_set(t, rest=True)
            case SetTarget(reps=n):
                if n <= 0:
                    return out
                self.target_override = n
                if self.current is not None:
                    self.current.target_reps = n
                out.append(TargetChanged(t, n))
                if self.current is not None and self.reps >= n:
                    out += self._end_set(t)
                return out
            case Rest(seconds=seconds):
                rest_s = float(seconds) if seconds is not None and seconds > 0 else self.planned.rest_s
                if self.current is not None:
                    return out + self._end_set(t, rest=True, rest_s=rest_s)
                return out + self._start_rest(t, rest_s)
            case SkipRest():
                if self.rest_until is None:
                    return out
                self.rest_until = None
                return out + [RestEnded(t, skipped=True)]
            case UndoRep():
                return out + self._undo(t)
        return out  # speech settings, help, repeat: not the session's business

    def _undo(self, t: float) -> list[Event]:
        s = self.current
        if s is None and self.sets and self.sets[-1].ended is not None and self.sets[-1].reps:
            s = self.sets[-1]  # "that wasn't a rep" right after the set closed on its target
            if self.rest_until is not None and s.ended is not None and t - s.ended < 15:
                self.current, s.ended = s, None
                self.rest_until = None
        if s is None or not s.reps:
            return []
        rec = s.reps.pop()
        self._by_analysis_rep = {k: v for k, v in self._by_analysis_rep.items() if v is not rec}
        self._last_rep = s.reps[-1] if s.reps else None
        self._close_at = None
        return [RepUndone(t, s.set_no, len(s.reps))]

"""What the coach says and when: events in, `Cue` events out (pure: no clock, no I/O).

The rules a coach would state:
- at most one correction per rep, the most important fault first (safety faults before style),
  said the moment the analysis finds it (during the lowering, not three reps later);
- the same fault is not cued on every rep (cooldown in reps); a fault that persists gets a
  different wording, then a suggestion to lower the load; a cued fault that goes away is praised;
- counts every rep / every n reps / off, a countdown near the target, a summary per set;
- safety notes at their moments; system messages for what the lifter cannot see.

Who may talk over whom is data on the Cue (`priority`) plus `SpeechQueue`, the pure arbiter a
speech sink asks whether a new cue pre-empts what is playing, waits, or is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from coach.core.commands import CountEvery, Faster, Louder, Quieter, QuietMode, Repeat, Slower
from coach.core.cues import CueLibrary
from coach.core.events import (
    Answered,
    CommandHeard,
    Cue,
    FaultFound,
    Paused,
    PoseFound,
    PoseLost,
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
from coach.core.policy_config import SEVERITIES, PolicyConfig

# --- the policy ----------------------------------------------------------------------------------

@dataclass
class _FaultState:
    last_rep: int | None = None  # the latest rep that had the fault
    cued_in_streak: int = 0  # how often it was cued since it last went away
    last_cued_rep: int | None = None
    ever_cued: bool = False


class CuePolicy:
    """Feed it events (one moment's batch at a time); it returns the cues to say."""

    HANDLES: tuple[type, ...] = (FaultFound, RepJudged, RepCounted, RepRecorded, RepUndone, SetStarted, SetEnded,
                                  RestStarted, RestEnded, TargetChanged, WorkoutFinished, Paused, Resumed,
                                  PoseLost, PoseFound, Answered, CommandHeard)

    def __init__(self, library: CueLibrary, config: PolicyConfig | None = None,
                 exercise: str | None = None):
        self.lib = library
        self.config = config or PolicyConfig()
        self.exercise = exercise
        self._variant: dict[str, int] = {}
        self._faults: dict[str, _FaultState] = {}
        self._corrected_reps: set[int] = set()
        self._last_correction_rep: int | None = None
        self._rep_faults: dict[int, set[str]] = {}
        self._severe_said_set: int | None = None
        self._session_mode = False  # a session feeds SetStarted/RepRecorded: count from those
        self._counted_ends: set[float] = set()
        self._rep_base = 0
        self._last_rep_seen = 0
        self._target: int | None = None
        self._set_no = 0
        self._sets_started = 0
        self._paused = False
        self._resting_until: float | None = None
        self._rest_warned = False
        self._summary_had_rest = False
        self._person_lost_said: float | None = None
        self._person_missing = False
        self._lost_announced = False
        self._set_open = True  # False between a set's end and the next start: no praise then
        self._physio_said = False
        self._last_said: Cue | None = None
        # the events this policy speaks for (the runtime's SessionCues speaks for the rest)
        self._handlers: dict[type, Callable[[Any], list[Cue]]] = {
            FaultFound: self._on_fault_found,
            RepJudged: self._on_rep_judged,
            RepCounted: self._on_rep_counted,
            RepRecorded: self._on_rep_recorded,
            RepUndone: self._on_rep_undone,
            SetStarted: self._on_set_started,
            SetEnded: self._on_set_ended,
            RestStarted: self._on_rest_started,
            RestEnded: self._on_rest_ended,
            TargetChanged: self._on_target_changed,
            WorkoutFinished: self._on_workout_finished,
            Paused: self._on_paused,
            Resumed: self._on_resumed,
            PoseLost: self._on_pose_lost,
            PoseFound: self._on_pose_found,
            Answered: self._on_answered,
            CommandHeard: self._on_command_heard,
        }

    # -- helpers --
    def _text(self, cue_id: str, **values: Any) -> str:
        n = self._variant.get(cue_id, 0)
        self._variant[cue_id] = n + 1
        return self.lib.render(cue_id, n, **values)

    def _cue(self, t: float, cue_id: str, kind: str, *, priority: int | None = None,
             rep: int | None = None, fault: str | None = None, **values: Any) -> Cue:
        if rep is not None:
            values.setdefault("rep", rep)  # str.format ignores it where the text has no {rep}
        cue = Cue(t, self._text(cue_id, **values), kind,
                  self.config.priority(kind) if priority is None else priority, cue_id, rep, fault)
        if kind != "count":
            self._last_said = cue
        return cue

    def _rank(self, fault: str) -> int:
        order = self.config.fault_order
        return order.index(fault) if fault in order else len(order)

    def _exercise_name(self, exercise: str) -> str:
        return self.lib.exercise_name(exercise)

    # -- entry points --
    def feed(self, events: Iterable[object]) -> list[Cue]:
        """Cues for one batch of simultaneous events (e.g. what one frame produced)."""
        batch = list(events)
        # several faults found at once: the most important gets the rep's one correction
        # (only the faults are reordered, among their own slots; everything else keeps its order)
        found = [(i, e) for i, e in enumerate(batch) if isinstance(e, FaultFound)]
        by_rank = sorted((e for _, e in found), key=lambda e: self._rank(e.fault.id))
        for (i, _), e in zip(found, by_rank):
            batch[i] = e
        out: list[Cue] = []
        for event in batch:
            out.extend(self._on(event))
        # at one moment: the count first (it is short and it is what a rep counter is for; a
        # correction waits the half second, see count_grace_s), then the most important first
        out.sort(key=lambda c: (c.kind != "count", -c.priority))
        return out

    def tick(self, t: float) -> list[Cue]:
        """The passing of time without events (rest countdown)."""
        if (self._resting_until is not None and not self._rest_warned and not self._paused
                and self._resting_until - t <= self.config.rest_warning_s):
            self._rest_warned = True
            left = max(1, round(self._resting_until - t))
            return [self._cue(t, "rest.left", "system", seconds=left)]
        return []

    def _on(self, e: object) -> list[Cue]:
        handler = self._handlers.get(type(e))
        return handler(e) if handler else []

    # -- reps and faults --
    def _on_fault_found(self, e: FaultFound) -> list[Cue]:
        f = e.fault.id
        self._rep_faults.setdefault(e.rep, set()).add(f)
        st = self._faults.setdefault(f, _FaultState())
        if st.last_rep is not None and st.last_rep not in (e.rep, e.rep - 1) and st.cued_in_streak:
            st.cued_in_streak = 0  # a gap of unjudged reps: treat it as a new streak
        repeated = st.last_rep == e.rep - 1
        st.last_rep = e.rep
        if self._paused:
            return []
        out: list[Cue] = []
        if (e.fault.severity == "severe" and f == "spine_rounding"
                and self._severe_said_set != self._set_no):
            self._severe_said_set = self._set_no
            out.append(self._cue(e.t, "safety.severe", "safety", rep=e.rep, fault=f))
        if e.rep in self._corrected_reps or self._last_rep_seen - e.rep >= 2:
            return out  # one correction a rep; and a fault two reps old no longer helps
        if SEVERITIES.index(e.fault.severity if e.fault.severity in SEVERITIES else "moderate") \
                < SEVERITIES.index(self.config.min_severity):
            return out
        if st.last_cued_rep is not None and e.rep - st.last_cued_rep < self.config.cooldown_reps:
            return out
        if self.config.mild_needs_repeat and e.fault.severity == "mild" and not repeated:
            return out
        if (f not in self.config.safety_faults and self._last_correction_rep is not None
                and e.rep - self._last_correction_rep < self.config.correction_gap_reps):
            return out
        nth = st.cued_in_streak + 1
        if nth >= self.config.lower_load_at and self.exercise not in self.config.unloaded_exercises:
            which = "lower_load"
        elif nth >= self.config.escalate_at:
            which = "escalate"
        else:
            which = "short" if st.ever_cued else "long"
        st.cued_in_streak, st.last_cued_rep, st.ever_cued = nth, e.rep, True
        self._corrected_reps.add(e.rep)
        self._last_correction_rep = e.rep
        kind = "correction"
        prio = self.config.priority("safety_correction" if f in self.config.safety_faults else "correction")
        out.append(self._cue(e.t, f"fault.{f}.{which}", kind, priority=prio, rep=e.rep, fault=f))
        if which == "lower_load" and st.cued_in_streak == self.config.lower_load_at:
            out.append(self._cue(e.t, "safety.form_before_load", "safety",
                                 priority=self.config.priority("set"), rep=e.rep))
        return out

    def _on_rep_judged(self, e: RepJudged) -> list[Cue]:
        if not e.judged:
            return []
        present = {f.id for f in e.faults} | self._rep_faults.get(e.rep, set())
        fixed = []
        for f, st in self._faults.items():
            if f in present or f in e.not_judged:
                continue
            if st.last_rep is not None and st.last_rep < e.rep:
                if st.cued_in_streak:
                    fixed.append(f)
                st.cued_in_streak = 0
                st.last_rep = None
        self._rep_faults = {r: fs for r, fs in self._rep_faults.items() if r > e.rep - 3}
        if (not fixed or not self.config.praise or self._paused or e.rep in self._corrected_reps
                or present or not self._set_open):
            return []
        best = min(fixed, key=self._rank)
        return [self._cue(e.t, f"fault.{best}.praise", "praise", rep=e.rep, fault=best)]

    def _count(self, t: float, n: int, end: float) -> list[Cue]:
        if end in self._counted_ends or self._paused:
            return []
        self._counted_ends.add(end)
        target, c = self._target, self.config
        if target is not None and n == target:
            # the set's last word: it may wait behind a correction instead of going stale
            return [self._cue(t, "count.target_reached", "set", rep=n)]
        if target is not None and n < target:
            left = target - n
            if left == 1 and c.countdown_from >= 1:
                return [self._cue(t, "count.last", "count", rep=n)]
            if left <= c.countdown_from:
                return [self._cue(t, "count.remaining", "count", rep=n, left=left)]
        if c.count_every and n % c.count_every == 0:
            return [self._cue(t, "count.rep", "count", rep=n)]
        return []

    def _on_rep_counted(self, e: RepCounted) -> list[Cue]:
        self._last_rep_seen = e.rep
        if self._session_mode:
            return []
        return self._count(e.t, e.rep - self._rep_base, e.end)

    def _on_rep_recorded(self, e: RepRecorded) -> list[Cue]:
        self._session_mode = True
        if e.judged:
            return []
        return self._count(e.t, e.rep, e.end)

    def _on_rep_undone(self, e: RepUndone) -> list[Cue]:
        return [self._cue(e.t, "confirm.rep_undone", "confirm", reps=e.reps)]

    # -- sets and rest --
    def _on_set_started(self, e: SetStarted) -> list[Cue]:
        self._session_mode = True
        self._set_no, self._target, self.exercise = e.set_no, e.target_reps, e.exercise
        self._rep_base = self._last_rep_seen
        self._resting_until = None
        self._sets_started += 1
        name = self._exercise_name(e.exercise)
        if e.target_reps:
            text = self._text("set.start_target", set_no=e.set_no, exercise=name, target=e.target_reps)
            key = "set.start_target"
        else:
            text = self._text("set.start", set_no=e.set_no, exercise=name)
            key = "set.start"
        # the safety note goes first, in the same cue: after "go when you're ready" the lifter
        # is lifting, and a long note would hold back the first count
        note = {1: "safety.form_before_load", 2: "safety.stop_on_pain"}.get(self._sets_started)
        if note:
            text = f"{self._text(note)} {text}"
        for st in self._faults.values():  # a new set starts every streak afresh
            st.cued_in_streak, st.last_rep, st.last_cued_rep = 0, None, None
        self._last_correction_rep = None
        self._set_open = True
        cue = Cue(e.t, text, "set", self.config.priority("set"), key)
        self._last_said = cue
        return [cue]

    def _on_set_ended(self, e: SetEnded) -> list[Cue]:
        reps = (self.lib.render("set.reps_one") if e.reps == 1
                else self.lib.render("set.reps_many", count=e.reps))
        counts = sorted(((f, n) for f, n in e.fault_counts.items() if n > 0),
                        key=lambda fn: self._rank(fn[0]))
        phrases = [self.lib.render("set.fault_count", count=n, phrase=self._summary_phrase(f))
                   for f, n in counts]
        if phrases:
            joined = (phrases[0] if len(phrases) == 1 else
                      ", ".join(phrases[:-1]) + f" {self.lib.render('set.and')} " + phrases[-1])
            text = self._text("set.summary", set_no=e.set_no, reps=reps, faults=joined)
            key = "set.summary"
        else:
            text = self._text("set.summary_clean", set_no=e.set_no, reps=reps)
            key = "set.summary_clean"
        self._summary_had_rest = e.rest_s is not None and e.rest_s > 0
        if e.rest_s is not None and e.rest_s > 0:
            text += " " + self._text("set.rest", seconds=round(e.rest_s))
        out = [Cue(e.t, text, "set", self.config.priority("set"), key)]
        self._last_said = out[0]
        worst = max((n for f, n in counts if f in self.config.safety_faults), default=0)
        if (not self._physio_said and e.reps >= 2
                and worst >= self.config.see_physio_share * e.reps):
            self._physio_said = True
            out.append(self._cue(e.t, "safety.see_physio", "safety",
                                 priority=self.config.priority("set") - 1))
        self._target = None
        self._set_open = False
        return out

    def _summary_phrase(self, fault: str) -> str:
        key = f"fault.{fault}.summary"
        return self.lib.render(key) if self.lib.has(key) else fault.replace("_", " ")

    def _on_rest_started(self, e: RestStarted) -> list[Cue]:
        self._resting_until, self._rest_warned = e.t + e.seconds, False
        if self._summary_had_rest:
            self._summary_had_rest = False
            return []
        return [self._cue(e.t, "set.rest", "set", seconds=round(e.seconds))]

    def _on_rest_ended(self, e: RestEnded) -> list[Cue]:
        self._resting_until = None
        return [] if e.skipped else [self._cue(e.t, "rest.over", "system")]

    def _on_target_changed(self, e: TargetChanged) -> list[Cue]:
        self._target = e.target_reps
        if e.target_reps:
            return [self._cue(e.t, "confirm.target", "confirm", target=e.target_reps)]
        return [self._cue(e.t, "confirm.target_off", "confirm")]

    def _on_workout_finished(self, e: WorkoutFinished) -> list[Cue]:
        # after the last set's summary (same moment, one step less important)
        return [self._cue(e.t, "system.session_end", "system", priority=self.config.priority("set") - 1,
                          sets=e.sets, reps=e.reps)]

    # -- system --
    def _on_paused(self, e: Paused) -> list[Cue]:
        self._paused = True
        return [self._cue(e.t, "system.paused", "system")]

    def _on_resumed(self, e: Resumed) -> list[Cue]:
        self._paused = False
        return [self._cue(e.t, "system.resumed", "system")]

    def _on_pose_lost(self, e: PoseLost) -> list[Cue]:
        self._person_missing = True
        if self._paused or self._resting_until is not None:
            return []  # walking off during a rest is normal
        if (self._person_lost_said is not None
                and e.t - self._person_lost_said < self.config.person_lost_repeat_s):
            return []
        self._person_lost_said = e.t
        self._lost_announced = True
        return [self._cue(e.t, "system.person_lost", "system")]

    def _on_pose_found(self, e: PoseFound) -> list[Cue]:
        announced, self._lost_announced = self._lost_announced, False
        self._person_missing = False
        if not announced or self._paused:
            return []
        return [self._cue(e.t, "system.person_back", "system")]

    def _on_answered(self, e: Answered) -> list[Cue]:
        q = e.question
        if q == "count":
            if e.target_reps:
                return [self._cue(e.t, "answer.count_target", "confirm", reps=e.reps, target=e.target_reps)]
            return [self._cue(e.t, "answer.count", "confirm", reps=e.reps)]
        if q == "last_rep":
            if not e.faults:
                return [self._cue(e.t, "answer.last_rep_clean", "confirm")]
            worst = min(e.faults, key=self._rank)
            return [self._cue(e.t, "answer.last_rep_fault", "confirm", fault=worst,
                              cue=self.lib.render(f"fault.{worst}.short"))]
        if q == "rest_left" and e.rest_left_s is not None:
            return [self._cue(e.t, "rest.left", "confirm", seconds=max(1, round(e.rest_left_s)))]
        return [self._cue(e.t, "answer.status", "confirm", exercise=self._exercise_name(e.exercise),
                          set_no=e.set_no, reps=e.reps)]

    def _on_command_heard(self, e: CommandHeard) -> list[Cue]:
        match e.command:
            case Repeat() if self._last_said is not None:
                last = self._last_said
                return [Cue(e.t, last.text, "confirm", self.config.priority("confirm"), last.key,
                            last.rep, last.fault)]
            case CountEvery(n=n):
                n = max(0, n)
                self.config = replace(self.config, count_every=n)
                if n == 1:
                    return [self._cue(e.t, "confirm.count_every_rep", "confirm")]
                return [self._cue(e.t, "confirm.count_every", "confirm", n=n)] if n else []
            case QuietMode():
                self.config = replace(self.config, count_every=0, countdown_from=0, praise=False)
                return [self._cue(e.t, "confirm.quiet_mode", "confirm")]
            case Louder() | Quieter() | Slower() | Faster():
                # the speech adapter applies it (Speaker.apply_command); the policy confirms in words
                return [self._cue(e.t, f"confirm.{type(e.command).__name__.lower()}", "confirm")]
        return []


def cues_for(events: Iterable[object], library: CueLibrary, config: PolicyConfig | None = None,
             exercise: str | None = None) -> list[Cue]:
    """Run the policy over a recorded event stream, batching events that share a time."""
    policy = CuePolicy(library, config, exercise)
    out: list[Cue] = []
    batch: list[object] = []
    for event in events:
        if batch and getattr(event, "t", None) != getattr(batch[0], "t", None):
            out.extend(policy.feed(batch))
            batch = []
        batch.append(event)
    if batch:
        out.extend(policy.feed(batch))
    return out
